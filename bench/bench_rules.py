"""Time to exact for every finite rule with the ``fast`` recipe: median train seconds over 5 seeds (issue 26).

    python -m bench.bench_rules [--seeds 5] [--rules subtraction,times_three]

Every rule trains in this one process, one run after another, so the rows compare like with like on a noisy
shared machine. Training seconds exclude the exhaustive checks of the training set (``train_seconds``); the wall
time with them is printed beside. Addition is measured too, as the yardstick. Target: median ≤ 2 s, 5/5 solved.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

from explainer.rules import FINITE_RULES
from explainer.training.train import train

TARGET_MEDIAN_SECONDS = 2.0


def measure(rule: str, seeds: int) -> dict:
    runs, walls = [], []
    for seed in range(seeds):
        started = time.perf_counter()
        runs.append(train("fast", seed=seed, rule=rule))
        walls.append(time.perf_counter() - started)
    return {
        "rule": rule,
        "solved": sum(run.solved for run in runs),
        "runs": seeds,
        "steps": [run.steps for run in runs],
        "train_seconds": [round(run.train_seconds, 3) for run in runs],
        "median_seconds": statistics.median(run.train_seconds for run in runs),
        "median_wall_seconds": statistics.median(walls),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--rules", default=",".join(FINITE_RULES))
    arguments = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    print("| rule | solved | median train s | median wall s (with checks) | steps per seed |")
    print("|---|---|---|---|---|")
    rows = []
    for rule in arguments.rules.split(","):  # each row as soon as it is measured: a slow rule takes minutes
        row = measure(rule, arguments.seeds)
        rows.append(row)
        print(
            f"| {row['rule']} | {row['solved']}/{row['runs']} | {row['median_seconds']:.2f} "
            f"| {row['median_wall_seconds']:.1f} | {', '.join(map(str, row['steps']))} |",
            flush=True,
        )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print(json.dumps({"benchmark": "rules", "rows": rows}))
    passed = all(row["median_seconds"] <= TARGET_MEDIAN_SECONDS and row["solved"] == row["runs"] for row in rows)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
