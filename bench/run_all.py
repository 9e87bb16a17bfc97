"""Run every benchmark, one after the other, and print their tables: ``make bench`` (``python -m bench.run_all``).

Each benchmark is its own script (``bench/bench_*.py``) so it can also be run alone; this one runs them
in turn and exits non-zero if any missed its target.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(BENCH.glob("bench_*.py")):
        print(f"\n## {script.stem}\n", flush=True)
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", f"bench.{script.stem}"], cwd=BENCH.parent, stdout=subprocess.PIPE, text=True
        )
        table = [line for line in completed.stdout.splitlines() if not line.startswith("{")]
        print("\n".join(table))
        verdict = "met its targets" if completed.returncode == 0 else "MISSED a target"
        print(f"\n({time.perf_counter() - started:.0f} s; {verdict})")
        if completed.returncode != 0:
            failed.append(script.stem)
    print(f"\n{len(failed)} benchmark(s) missed a target{': ' + ', '.join(failed) if failed else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
