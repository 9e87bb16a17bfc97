"""Time of ``python -m explainer.verify`` on both shipped networks, and of re-checking the certificate.

    python -m bench.bench_verify

Targets (issue 11): the shipped network gives a counterexample in ≤ 5 s, the long network is proved in
≤ 30 s, its certificate re-checks in ≤ 2 s. Each command runs as a fresh process, as a user would run it
(so the times include starting Python and reading the model), and its own ``seconds`` is reported too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"shipped network → counterexample": 5.0, "long network → proved": 30.0, "certificate re-check": 2.0}


def run(*arguments: str) -> tuple[float, dict]:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "explainer.verify", *arguments], cwd=ROOT, capture_output=True, text=True
    )
    return time.perf_counter() - started, json.loads(completed.stdout.strip().splitlines()[-1])


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
    print("| run | wall s (own s) | result | target |\n|---|---|---|---|")
    for name, (wall, result) in rows.items():
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
            f"| {name} | {wall:.2f} ({result.get('seconds', float('nan')):.2f}) | {outcome} | ≤ {TARGETS[name]:g} s |"
        )
        print(json.dumps({"run": name, "wall_seconds": round(wall, 3), **result}))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
