"""Time to 100% exact on all 16,384 pairs: the ``fast`` recipe against the blog's ``seed`` recipe.

    python -m bench.bench_training [--seeds 5]

Both recipes run in this one process, one after the other, so the ratio compares like with like on a
noisy shared machine. Training seconds exclude the exhaustive checks. Target: fast ≥ 15× faster, 5/5.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from explainer.training.train import train

TARGET_RATIO = 15.0


def measure(seeds: int) -> dict:
    results = {}
    for recipe in ("fast", "seed"):
        runs = [train(recipe, seed=seed) for seed in range(seeds)]
        results[recipe] = {
            "solved": sum(run.solved for run in runs),
            "runs": seeds,
            "steps": [run.steps for run in runs],
            "train_seconds": [round(run.train_seconds, 3) for run in runs],
            "median_seconds": statistics.median(run.train_seconds for run in runs),
            "median_steps": statistics.median(run.steps for run in runs),
        }
    results["ratio"] = results["seed"]["median_seconds"] / results["fast"]["median_seconds"]
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    arguments = parser.parse_args()
    results = measure(arguments.seeds)
    print("| recipe | solved | median steps | median train s | steps per seed |")
    print("|---|---|---|---|---|")
    for recipe in ("seed", "fast"):
        row = results[recipe]
        print(
            f"| {recipe} | {row['solved']}/{row['runs']} | {row['median_steps']:.0f} | {row['median_seconds']:.2f} "
            f"| {', '.join(map(str, row['steps']))} |"
        )
    print(f"\nfast is {results['ratio']:.1f}× faster than seed (target ≥ {TARGET_RATIO:.0f}×)")
    print(json.dumps({"benchmark": "training", **results}))
    passed = results["ratio"] >= TARGET_RATIO and all(results[r]["solved"] == arguments.seeds for r in ("fast", "seed"))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
