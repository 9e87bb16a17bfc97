"""A classroom on one server: 40 concurrent browser sessions against one ``streamlit run``.

    python -m bench.bench_load [--sessions 40]

The same sessions as ``tests/test_load.py`` (each types its own pair and steps 1–5 times, arriving 0.5 s
apart, all open at once, tabs of 8 Chromium processes), timed: the whole run, and each kind of wait
(p50 / p95 / max).
Target: 40 sessions complete in ≤ 120 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from tests.support.browser import streamlit_server, wait_until_healthy
from tests.support.sessions import run_sessions, summarise

TARGET_SECONDS = 120.0
TIMEOUT_MS = 90_000
STAGGER_SECONDS = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--browsers", type=int, default=8, help="Chromium processes the sessions are spread over")
    arguments = parser.parse_args()
    with streamlit_server() as (url, process):
        wait_until_healthy(url, process)
        results, seconds = asyncio.run(
            run_sessions(url, arguments.sessions, TIMEOUT_MS, STAGGER_SECONDS, 600, browsers=arguments.browsers)
        )
    summary = summarise(results, seconds, TIMEOUT_MS)
    print("| measure | value | target |")
    print("|---|---|---|")
    target = f"≤ {TARGET_SECONDS:.0f} s"
    print(f"| {arguments.sessions} concurrent browser sessions, one server | {seconds:.0f} s | {target} |")
    for kind, numbers in summary["waits"].items():
        print(
            f"| {kind}, p50 / p95 / max of {numbers['count']} | {numbers['p50']:.2f} / {numbers['p95']:.2f} / "
            f"{numbers['max']:.2f} s | |"
        )
    print(json.dumps({"benchmark": "load", **summary}))
    return 0 if seconds <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
