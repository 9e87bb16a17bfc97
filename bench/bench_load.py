"""A classroom on one server: 40 concurrent browser sessions against one ``streamlit run``.

    python -m bench.bench_load [--sessions 40] [--rules addition,subtraction,...]

The same sessions as ``tests/test_load.py`` (each types its own pair and steps 1–5 times, arriving 0.5 s
apart, all open at once, tabs of 8 Chromium processes, at most ``ACTIVE_AT_ONCE`` loading, typing or stepping
at the same moment: ``--active 0`` lets every tab act at once), timed: the whole run, and each kind of wait
(p50 / p95 / max), and the server's CPU over the whole run.
``--rules`` spreads the sessions over those rules in turn (issue 26: the rule mix; ``all`` for every rule): another
rule's session opens its link with its own inputs (its "first view" waits for its verdict and drawing) and steps
as addition's do, without typing.
Target: 40 sessions complete in ≤ 120 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from explainer.rules import RULES
from tests.support import processes
from tests.support.browser import streamlit_server, wait_until_healthy
from tests.support.sessions import ACTIVE_AT_ONCE, run_sessions, summarise

TARGET_SECONDS = 120.0
TIMEOUT_MS = 90_000
STAGGER_SECONDS = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--browsers", type=int, default=8, help="Chromium processes the sessions are spread over")
    parser.add_argument(
        "--active", type=int, default=ACTIVE_AT_ONCE, help="sessions loading, typing or stepping at once (0: all)"
    )
    parser.add_argument("--rules", default="addition", help="rules the sessions visit in turn, or 'all'")
    arguments = parser.parse_args()
    rules = tuple(RULES) if arguments.rules == "all" else tuple(arguments.rules.split(","))
    unknown = sorted(set(rules) - set(RULES))
    if unknown:
        parser.error(f"unknown rule(s) {', '.join(unknown)}; choose from {', '.join(RULES)}")
    with streamlit_server() as (url, process):
        wait_until_healthy(url, process)
        server_before = processes.cpu_seconds(process.pid, with_descendants=True)
        results, seconds = asyncio.run(
            run_sessions(
                url,
                arguments.sessions,
                TIMEOUT_MS,
                STAGGER_SECONDS,
                600,
                browsers=arguments.browsers,
                active_at_once=arguments.active or None,
                rules=rules,
            )
        )
        summary = summarise(results, seconds, TIMEOUT_MS)
        summary["server_cpu_seconds"] = processes.cpu_seconds(process.pid, with_descendants=True) - server_before
        summary["rules"] = list(rules)
        summary["verdicts_right"] = sum(
            len(result.verdicts) == 1 and result.verdicts[0].endswith("✓") and f"t={result.steps}" in result.url
            for result in results
        )
    print("| measure | value | target |")
    print("|---|---|---|")
    target = f"≤ {TARGET_SECONDS:.0f} s"
    mix = ", ".join(rules)
    print(f"| {arguments.sessions} concurrent browser sessions, one server ({mix}) | {seconds:.0f} s | {target} |")
    print(f"| sessions showing their own ✓ verdict and step at the end | {summary['verdicts_right']} | all |")
    server_cpu = summary["server_cpu_seconds"]
    print(f"| server CPU over the run (per session) | {server_cpu:.1f} s ({server_cpu / len(results):.2f} s) | |")
    for kind, numbers in summary["waits"].items():
        print(
            f"| {kind}, p50 / p95 / max of {numbers['count']} | {numbers['p50']:.2f} / {numbers['p95']:.2f} / "
            f"{numbers['max']:.2f} s | |"
        )
    print(json.dumps({"benchmark": "load", **summary}))
    return 0 if seconds <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
