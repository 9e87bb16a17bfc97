"""Peak memory for the worst networks a visitor can upload (64 units, the upload limit): issue 23 item 2.

    python -m bench.bench_memory [--root DIR] [--networks N]

1. **The proof child**: ``python -m explainer.verify.verdict --child`` (what the page runs on an uploaded
   network, with the page's time limit) on 16-, 32- and 64-unit networks, each as a fresh process; its peak
   RSS comes from ``os.wait4``. The networks are the shipped network copied to H units (it adds exactly like the
   shipped one, so the counterexample search finds its 17-column failure and the bounded proof runs long), the
   long network copied to 64 units (a proof), and a random 64-unit network.
2. **The page process's analysis caches**: every per-network analysis the views cache (exhaustive trees at 7 and
   8 bits, correctness grid, carry probe, state space) computed for ``--networks`` distinct random 64-unit
   networks in this process (no Streamlit); RSS before and after, and the bytes the caches say they hold.

``--root`` runs the child and the analyses from another checkout (e.g. an export of an older commit), to
measure before/after on one machine in one run. Target: the child under 512 MB, the caches' growth under the
sum of their byte limits (~170 MB) plus what numpy and the allocator keep.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CHILD_TARGET_MB = 512


def copies_of(weights, copies: int):
    from explainer.model.network import RNNWeights

    return RNNWeights(
        np.tile(weights.input_weights, (1, copies)),
        np.tile(weights.recurrent_weights, (copies, copies)) / copies,
        np.tile(weights.output_weights, (copies, 1)) / copies,
    )


def random_weights(units: int, seed: int):  # the same as the caches' script below
    from explainer.model.network import RNNWeights

    rng = np.random.default_rng(seed)
    return RNNWeights(rng.normal(size=(2, units)), rng.normal(size=(units, units)), rng.normal(size=(units, 1)))


def child_peak(root: Path, weights, time_limit: float) -> tuple[float, float, dict]:
    """Peak RSS (MB), wall seconds and answer of one proof child run from ``root``."""
    from explainer.files.npz_file import weights_to_npz_bytes

    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "explainer.verify.verdict", "--child", "--time-limit", str(time_limit)]
        command += ["--certificate", str(Path(folder) / "certificate.json")]
        started = time.perf_counter()
        environment = {**os.environ, "PYTHONPATH": str(root)}
        process = subprocess.Popen(command, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment)
        process.stdin.write(weights_to_npz_bytes(weights))
        process.stdin.close()
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
    lines = output.decode(errors="replace").strip().splitlines()
    answer = json.loads(lines[-1]) if lines else {"verdict": f"no answer (exit {process.returncode})"}
    return usage.ru_maxrss / 1024, wall, answer


def caches(root: Path, networks: int) -> dict:
    """Fill the analyses' caches with ``networks`` distinct 64-unit networks in a fresh process run from ``root``."""
    script = f"""
import json, os, resource
import numpy as np
from explainer.model.network import RNNWeights
def random_weights(units, seed):
    rng = np.random.default_rng(seed)
    return RNNWeights(rng.normal(size=(2, units)), rng.normal(size=(units, units)), rng.normal(size=(units, 1)))
def rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
from explainer.analysis import carry_probe, correctness_grid, exhaustive_states, state_space
import sys
modules = [sys.modules["explainer.analysis." + name] for name in ("exhaustive", "correctness", "probe", "state_space")]
before = rss_mb()
for seed in range({networks}):
    weights = random_weights(64, 1000 + seed)
    exhaustive_states(weights, 7)
    exhaustive_states(weights, 8)
    correctness_grid(weights, 8)
    carry_probe(weights)
    state_space(weights)
functions = ("_exhaustive_states", "_correctness_grid", "carry_probe", "state_space")
held = [getattr(getattr(module, name), "cache", None) for module, name in zip(modules, functions)]
print(json.dumps({{"before_mb": before, "after_mb": rss_mb(),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "held_mb": None if None in held else sum(cache.total_bytes for cache in held) / 2**20,
                  "limit_mb": None if None in held else sum(cache.max_bytes for cache in held) / 2**20}}))
"""
    environment = {**os.environ, "PYTHONPATH": str(root)}
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, env=environment
    )
    if completed.returncode:
        raise RuntimeError(f"the caches' process failed: {completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_memory", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose verifier and analyses to run")
    parser.add_argument("--networks", type=int, default=14, help="distinct 64-unit networks for the caches")
    parser.add_argument("--time-limit", type=float, default=10.0, help="the child's time limit (the page's: 10 s)")
    arguments = parser.parse_args(argv)
    from explainer.files.keras_file import LONG_MODEL_PATH, SHIPPED_MODEL_PATH, load_weights

    shipped, long = load_weights(SHIPPED_MODEL_PATH), load_weights(LONG_MODEL_PATH)
    networks = {
        "shipped ×1 (H = 16)": shipped,
        "shipped ×2 (H = 32)": copies_of(shipped, 2),
        "shipped ×4 (H = 64)": copies_of(shipped, 4),
        "long ×4 (H = 64)": copies_of(long, 4),
        "random (H = 64)": random_weights(64, 7),
    }
    print(f"root: {arguments.root}; load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| proof child on | peak RSS MB | wall s | verdict |\n|---|---|---|---|")
    missed = False
    for name, weights in networks.items():
        peak, wall, answer = child_peak(arguments.root, weights, arguments.time_limit)
        outcome = answer.get("verdict", "?")
        if outcome == "counterexample":
            outcome += f" at {answer['counterexample']['columns']} columns; {answer['bounded_proof']}"
        elif outcome == "unknown":
            outcome += "; " + "; ".join(answer.get("tried", []))
        missed |= peak > CHILD_TARGET_MB
        print(f"| {name} | {peak:.0f} | {wall:.1f} | {outcome} |")
        print(json.dumps({"child": name, "peak_rss_mb": round(peak, 1), "wall_seconds": round(wall, 2), **answer}))
    result = caches(arguments.root, arguments.networks)
    print(f"\n| page process, {arguments.networks} distinct 64-unit networks | MB |\n|---|---|")
    print(f"| RSS before → after | {result['before_mb']:.0f} → {result['after_mb']:.0f} |")
    print(f"| peak RSS | {result['peak_mb']:.0f} |")
    if result["held_mb"] is not None:
        held, limit = result["held_mb"], result["limit_mb"]
        print(f"| held by the caches (their own count) / their limits | {held:.0f} / {limit:.0f} |")
    print(json.dumps({"caches": arguments.networks, **result}))
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB peak)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
