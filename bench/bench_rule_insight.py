"""Server time of each rule's "What did it learn?" view and of "Compare the rules" (issue 26), through AppTest.

    python -m bench.bench_rule_insight [--rules subtraction,brackets] [--warm 3]

One process: for each rule and view, the first run (cold: the view's analysis read from the network's shipped
file, ``assets/rules/<rule>.analyses.npz``, or worked out when that file is not about this network) and the median
of ``--warm`` reruns (warm: every analysis cached per network, as for every later visitor). Then "Compare the rules"
cold (after the views, so only what they left out) and warm. Target: every view ≤ 2 s warm.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from streamlit.testing.v1 import AppTest

from explainer.paths import PROJECT_ROOT
from explainer.rules import RULES
from ui.rule_insight import RULE_VIEWS

APP = str(PROJECT_ROOT / "tests" / "apps" / "rule_insight_app.py")
TARGET_WARM_SECONDS = 2.0


def timed_runs(query: dict[str, str], view: str | None, warm: int) -> tuple[float, float]:
    """(first run, median of ``warm`` reruns) in seconds for the test page with ``query`` and ``view`` chosen."""
    app = AppTest.from_file(APP, default_timeout=900)
    app.query_params.update(query)
    if view is not None:
        app.query_params["view"] = view.lower().replace(" ", "-")
    started = time.perf_counter()
    app.run()
    cold = time.perf_counter() - started
    if app.exception:
        raise RuntimeError(f"{query} {view}: {app.exception[0].value}")
    times = []
    for _ in range(warm):
        started = time.perf_counter()
        app.run()
        times.append(time.perf_counter() - started)
    return cold, statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", default=",".join(RULES))
    parser.add_argument("--warm", type=int, default=3)
    arguments = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    worst = 0.0
    for name in arguments.rules.split(","):
        for view in RULE_VIEWS:
            cold, warm = timed_runs({"rule": name}, view, arguments.warm)
            worst = max(worst, warm)
            print(f"{name:20s} {view:22s} cold {cold:6.2f} s   warm {warm:5.2f} s", flush=True)
    cold, warm = timed_runs({"rule": "compare"}, None, arguments.warm)
    worst = max(worst, warm)
    print(f"{'Compare the rules':43s} cold {cold:6.2f} s   warm {warm:5.2f} s")
    print(f"load average {os.getloadavg()[0]:.1f}; slowest warm view {worst:.2f} s (target ≤ {TARGET_WARM_SECONDS} s)")
    return 0 if worst <= TARGET_WARM_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
