"""The page's targets on every rule (issue 26), measured in one run so the rules compare with addition's figures.

    python -m bench.bench_rule_targets [--clicks 20] [--cold 2] [--rules addition,subtraction,...]

- per "Next ▶" click on each rule's page (``?rule=NAME`` with an input of about 40 columns; addition's page is its
  "40-bit pair"), on one warm server reached through a relay that counts the bytes it sends
  (``tests/support/relay.py``): the server's CPU (``/proc``, as ``bench/bench_clicks.py``: median and mean), click →
  new step visible in Chromium (p50 / p95, as ``bench_clicks.CLICK_AND_WAIT``) and the bytes sent on the wire until
  the run's ``script_finished`` message (median, as ``bench/bench_clicks_network.py``). Each rule's page is visited
  once before it is measured (its network loaded, its probe fitted: what a first visitor of that rule pays once per
  server).
- cold start to the first view of each rule: ``streamlit run`` launched → the unfolded drawing's hidden-state cells
  visible in Chromium for ``?rule=NAME`` (the browser already running), ``--cold`` rounds over the rules in turn, a
  fresh server each time.

Targets (README, ``bench/README.md``): ≤ 30 ms of server CPU per click (median), ≤ 150 / 300 ms click → visible,
≤ 10 kB on the wire per click, ≤ 4 s cold start. The machine is shared: read each rule's figure against addition's
from the same run. Exits non-zero if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

from bench.bench_clicks import CLICK_AND_WAIT, RULE_QUERIES, percentile, wait_until_quiet
from bench.bench_clicks_network import Wire
from tests.support.browser import HIDDEN_STATE_CELL, launch_chromium, streamlit_server, wait_until_healthy
from tests.support.relay import CountingRelay

TIMEOUT_MS = 90_000
CHOSEN_COLUMN = ".st-key-unfolded_chart g.chosen-column"
# Each rule's page with an input of about 40 columns and that column count; addition's is its "40-bit pair".
QUERIES = {"addition": ("a=1000000000000&b=999999999999", 41), **RULE_QUERIES}
TARGETS = {
    "next_click_cpu_median_ms": 30.0,
    "click_visible_p50_ms": 150.0,
    "click_visible_p95_ms": 300.0,
    "click_bytes_median": 10_000,
    "cold_start_seconds": 4.0,
}


def rule_url(url: str, rule: str) -> str:
    query, _ = QUERIES[rule]
    return f"{url}/?{query}&t=0" if rule == "addition" else f"{url}/?rule={rule}&{query}&t=0"


def open_page(browser, url: str, rule: str, relay: CountingRelay | None = None):
    """A new visitor's tab on ``rule``'s page, once its drawing and step 0 show; (context, page, wire or None)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    wire = None if relay is None else Wire(page, relay)
    page.goto(rule_url(url, rule))
    page.locator(CHOSEN_COLUMN).first.wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("Step t = 0 reads").first.wait_for(timeout=TIMEOUT_MS)
    return context, page, wire


def measure_clicks(browser, url: str, relay: CountingRelay, pid: int, rule: str, clicks: int) -> dict:
    """``clicks`` "Next ▶" clicks from t = 0 on ``rule``'s page (fewer than its columns: no wrapping back)."""
    _, timesteps = QUERIES[rule]
    clicks = min(clicks, timesteps - 1)
    warm_up, _, _ = open_page(browser, url, rule)
    warm_up.close()
    context, page, wire = open_page(browser, url, rule, relay)
    before = wait_until_quiet(pid)
    cpu, visible, on_wire = [], [], []
    for step in range(1, clicks + 1):
        size, _, milliseconds = wire.interaction(
            lambda s=step: page.evaluate(CLICK_AND_WAIT, ["Next ▶", f"Step t = {s} reads", TIMEOUT_MS])
        )
        after = wait_until_quiet(pid)
        cpu.append((after - before) * 1000)
        before = after
        visible.append(milliseconds)
        on_wire.append(size)
    context.close()
    return {
        "next_click_cpu_median_ms": statistics.median(cpu),
        "next_click_cpu_mean_ms": statistics.fmean(cpu),
        "click_visible_p50_ms": statistics.median(visible),
        "click_visible_p95_ms": percentile(visible, 0.95),
        "click_bytes_median": statistics.median(on_wire),
        "click_bytes_max": max(on_wire),
        "clicks": clicks,
        "columns": timesteps,
    }


def measure_cold_start(browser, rule: str) -> float:
    """``streamlit run`` launched → ``rule``'s unfolded drawing visible in a new tab, in seconds."""
    started = time.perf_counter()
    with streamlit_server() as (url, process):
        wait_until_healthy(url, process)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(rule_url(url, rule))
        page.locator(HIDDEN_STATE_CELL).first.wait_for(timeout=TIMEOUT_MS)
        seconds = time.perf_counter() - started
        context.close()
    return seconds


def measure(rules: list[str], clicks: int, cold_rounds: int) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict = {rule: {} for rule in rules}
    loads = [os.getloadavg()[0]]
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            with streamlit_server() as (url, process):
                wait_until_healthy(url, process)
                with CountingRelay(int(url.rsplit(":", 1)[1])) as relay:
                    relay_url = f"http://127.0.0.1:{relay.port}"
                    for rule in rules:
                        results[rule].update(measure_clicks(browser, relay_url, relay, process.pid, rule, clicks))
                        print(rule, json.dumps(results[rule]), flush=True)
            loads.append(os.getloadavg()[0])
            for _ in range(cold_rounds):
                for rule in rules:
                    results[rule].setdefault("cold_starts", []).append(measure_cold_start(browser, rule))
            for rule in rules:
                if cold_rounds:
                    results[rule]["cold_start_seconds"] = statistics.median(results[rule]["cold_starts"])
        finally:
            browser.close()
    loads.append(os.getloadavg()[0])
    results["load_averages"] = loads
    return results


def print_table(results: dict, rules: list[str]) -> None:
    print(f"load average (1 min) at the start, after the clicks, at the end: {results['load_averages']}")
    print(
        "| rule | columns | server CPU per 'Next ▶', median / mean | click → visible, p50 / p95 | "
        "bytes per click on the wire, median (max) | cold start → first view (each round) |"
    )
    print("|---|---|---|---|---|---|")
    for rule in rules:
        row = results[rule]
        cold = ", ".join(f"{seconds:.1f}" for seconds in row.get("cold_starts", [])) or "–"
        cpu = f"{row['next_click_cpu_median_ms']:.0f} / {row['next_click_cpu_mean_ms']:.1f} ms"
        print(
            f"| {rule} | {row['columns']} | {cpu} | "
            f"{row['click_visible_p50_ms']:.0f} / {row['click_visible_p95_ms']:.0f} ms | "
            f"{row['click_bytes_median'] / 1000:.1f} kB ({row['click_bytes_max'] / 1000:.1f}) | {cold} s |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--cold", type=int, default=2, help="cold-start rounds over the rules (0: none)")
    parser.add_argument("--rules", default=",".join(QUERIES))
    arguments = parser.parse_args()
    rules = arguments.rules.split(",")
    unknown = sorted(set(rules) - set(QUERIES))
    if unknown:
        parser.error(f"unknown rule(s) {', '.join(unknown)}; choose from {', '.join(QUERIES)}")
    results = measure(rules, arguments.clicks, arguments.cold)
    print_table(results, rules)
    print(json.dumps({"benchmark": "rule_targets", **results}))
    missed = [
        f"{rule} {name}"
        for rule in rules
        for name, limit in TARGETS.items()
        if name in results[rule] and results[rule][name] > limit
    ]
    if missed:
        print(f"missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
