"""Time of ``python -m explainer.verify`` on both shipped networks, and of re-checking the certificate.

    python -m bench.bench_verify

Targets (issue 11): the shipped network gives a counterexample in ≤ 5 s, the long network is proved in
≤ 30 s, its certificate re-checks in ≤ 2 s. Each command runs as a fresh process, as a user would run it
(so the times include starting Python and reading the model), and its own ``seconds`` is reported too. The
machine is often shared, so each run's CPU time (user + system, from ``resource.getrusage``) is reported beside
its wall time, with the load average: on a loaded machine the CPU time is the steadier number.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"shipped network → counterexample": 5.0, "long network → proved": 30.0, "certificate re-check": 2.0}


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(*arguments: str) -> tuple[float, float, dict]:
    """Wall seconds, CPU seconds and the last JSON line of one ``python -m explainer.verify`` process."""
    started, cpu_started = time.perf_counter(), children_cpu_seconds()
    completed = subprocess.run(
        [sys.executable, "-m", "explainer.verify", *arguments], cwd=ROOT, capture_output=True, text=True
    )
    wall, cpu = time.perf_counter() - started, children_cpu_seconds() - cpu_started
    return wall, cpu, json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        certificate = str(Path(folder) / "long.json")
        rows = {
            "shipped network → counterexample": run("--model", "assets/model.keras"),
            "long network → proved": run("--model", "assets/model-long.keras", "--certificate", certificate),
            "certificate re-check": run("--check", certificate, "--model", "assets/model-long.keras"),
        }
        size = Path(certificate).stat().st_size
    missed = False
    print(f"load average (1 min) after the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| run | wall s (own s) | CPU s | result | target |\n|---|---|---|---|---|")
    for name, (wall, cpu, result) in rows.items():
        if "verdict" in result:
            outcome = result["verdict"]
            if outcome == "counterexample":
                found = result["counterexample"]
                outcome += (
                    f" {found['a']} + {found['b']} over {found['columns']} columns; "
                    f"none below {result['no_counterexample_below']} proved"
                )
        else:
            outcome = f"valid: {result['valid']}, {result['pieces_checked']} pieces, certificate {size:,} bytes"
        good = wall <= TARGETS[name] and (result.get("verdict") != "unknown") and result.get("valid", True)
        missed |= not good
        print(
            f"| {name} | {wall:.2f} ({result.get('seconds', float('nan')):.2f}) | {cpu:.2f} | {outcome} "
            f"| ≤ {TARGETS[name]:g} s |"
        )
        print(json.dumps({"run": name, "wall_seconds": round(wall, 3), "cpu_seconds": round(cpu, 3), **result}))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
