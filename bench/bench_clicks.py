"""What one click costs: a real ``streamlit run`` driven by Chromium, server CPU read from /proc.

    python -m bench.bench_clicks [--clicks 30] [--changes 10] [--json PATH]
    python -m bench.bench_clicks --transplant 20
    python -m bench.bench_clicks --rule subtraction [--clicks 30]


- server CPU per interaction: utime + stime of the server and its children (``/proc/<pid>/stat``)
  read before an action and again once the page shows its result and the server has gone quiet:
  a first visit, each "Next ▶" click (median and p95 over ``--clicks``), each click on the next column of the
  unfolded addition (the same step, chosen in the drawing: as many), each change of a number.
- click → new step visible: measured inside Chromium, from the click event to the moment the page
  shows "Step t = N reads" (and one animation frame after it), p50 and p95.
- cold start: ``streamlit run`` launched → the hidden-state heatmap visible in Chromium (the browser is
  already running: it is the visitor's).
- ``--transplant N`` (alone): server CPU per change of the "Transplant the carry" panel's column (its slider
  moved one column by the keyboard, back and forth over 50 + 18's columns), median and p95 over N, read the
  same way once the panel's new sentence shows; the view's table is computed (and cached) before the first.
- ``--rule NAME`` (alone): server CPU per "Next ▶" click and click → step visible on another rule's page
  (``?rule=NAME`` with an input of about 40 columns, ``RULE_QUERIES``), as for addition.
- capacity: interactions per second one server sustains on this machine's cores, from the CPU per click
  (2 cores / CPU-seconds per click; the server's script runs hold the GIL, so one process uses ~1 core for
  them: both figures are printed).

Exits non-zero if a target in ``TARGETS`` is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from explainer import timesteps_for
from tests.support import processes
from tests.support.browser import HIDDEN_STATE_CELL as HEATMAP
from tests.support.browser import launch_chromium, streamlit_server, wait_until_healthy
from tests.support.processes import TICK_SECONDS

TARGETS = {
    "next_click_cpu_median_ms": 30.0,
    "number_change_cpu_median_ms": 60.0,
    "first_visit_cpu_ms": 300.0,
    "click_visible_p50_ms": 150.0,
    "click_visible_p95_ms": 300.0,
    "cold_start_seconds": 4.0,
}
TRANSPLANT_TARGETS = {"transplant_click_cpu_median_ms": 50.0}
TRANSPLANT_PAIR = (50, 18)  # 8 columns: the panel's column runs 0 … 6
TIMEOUT_MS = 60_000
PAIR = (1_000_000_000_000, 999_999_999_999)  # the "40-bit pair" preset

# Clicks `what` (the text of a button, or a timestep: the middle of that column's first heatmap cell in the unfolded
# addition, the click a reader makes on a column), then resolves with the milliseconds until `expected` is in the
# page's text, plus one animation frame (the frame that paints it). Runs in the page, so Playwright's own round
# trips are not counted.
CLICK = """
(what => {
  if (typeof what === 'number') {
    const cell = document.querySelector(`.st-key-unfolded_chart .hidden-state rect[data-t="${what}"]`);
    if (!cell) throw new Error('no column ' + what);
    const box = cell.getBoundingClientRect();
    const at = {bubbles: true, clientX: box.left + box.width / 2, clientY: box.top + box.height / 2};
    return () => cell.dispatchEvent(new MouseEvent('click', at));
  }
  const target = [...document.querySelectorAll('button')].find(b => b.innerText.trim() === what);
  if (!target) throw new Error('no button ' + what);
  return () => target.click();
})
"""
CLICK_AND_WAIT = """
async ([button, expected, timeoutMs]) => {
  const click = CLICK_ON(button);
  const started = performance.now();
  // textContent of the Markdown blocks, not the page's innerText: innerText lays the whole page out on every
  // mutation, which cost this measurement more than the click it measures.
  const seen = () => [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
    .some(block => block.textContent.includes(expected));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { observer.disconnect(); reject(new Error('timeout: ' + expected)); }, timeoutMs);
    const observer = new MutationObserver(() => {
      if (seen()) { observer.disconnect(); clearTimeout(timer); resolve(); }
    });
    observer.observe(document.body, {subtree: true, childList: true, characterData: true});
    click();
  });
  await new Promise(resolve => requestAnimationFrame(() => resolve()));
  return performance.now() - started;
}
""".replace("CLICK_ON", CLICK.strip())


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and its live descendants, plus the reaped children they waited for."""
    return processes.cpu_seconds(pid, with_descendants=True)


def wait_until_quiet(pid: int, quiet_seconds: float = 0.25, limit_seconds: float = 20.0) -> float:
    """Wait until the server's CPU counter stops moving for ``quiet_seconds``; returns its reading."""
    deadline = time.monotonic() + limit_seconds
    reading = cpu_seconds(pid)
    still_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)  # polling a counter, not waiting for a result
        now = cpu_seconds(pid)
        if now != reading:
            reading, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= quiet_seconds:
            return reading
    return reading


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(fraction * len(ordered)) - 1)]


def step_clicks(
    page, pid: int, before: float, clicks: int, on_column: bool, timesteps: int | None = None
) -> tuple[list, list, float]:
    """``clicks`` steps one column on from the page's current step, by "Next ▶" or (``on_column``) by a click on
    that column of the drawing, wrapping back to t = 0 with "◀ Previous" clicks when the sum ends (not counted).
    Returns the server CPU (ms) and the ms until the step shows, per click, and the CPU reading after the last."""
    cpu_per_click, visible_ms = [], []
    timesteps = sum(PAIR).bit_length() if timesteps is None else timesteps
    step = int(page.locator(".st-key-unfolded_chart g.chosen-column").get_attribute("data-t"))
    while len(cpu_per_click) < clicks:
        if step == timesteps - 1:
            while step > 0:
                step -= 1
                page.evaluate(CLICK_AND_WAIT, ["◀ Previous", f"Step t = {step} reads", TIMEOUT_MS])
            before = wait_until_quiet(pid)
        step += 1
        target = step if on_column else "Next ▶"
        visible_ms.append(page.evaluate(CLICK_AND_WAIT, [target, f"Step t = {step} reads", TIMEOUT_MS]))
        after = wait_until_quiet(pid)
        cpu_per_click.append((after - before) * 1000)
        before = after
    return cpu_per_click, visible_ms, before


def measure(clicks: int, changes: int) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        started = time.perf_counter()
        with streamlit_server() as (url, process):
            wait_until_healthy(url, process)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.locator(HEATMAP).first.wait_for(timeout=TIMEOUT_MS)
            results["cold_start_seconds"] = time.perf_counter() - started
            page.close()
            pid = process.pid
            base_cpu = wait_until_quiet(pid)

            # First visit of a warm server: a new visitor with their own session.
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.goto(f"{url}/?a={PAIR[0]}&b={PAIR[1]}")  # a 41-step sum: room for 40 "Next" clicks
            page.get_by_text(f"= {sum(PAIR)} ✓").first.wait_for(timeout=TIMEOUT_MS)
            page.locator(HEATMAP).first.wait_for(timeout=TIMEOUT_MS)
            after_visit = wait_until_quiet(pid)
            results["first_visit_cpu_ms"] = (after_visit - base_cpu) * 1000

            # "Next ▶" clicks, then as many clicks on the next column of the drawing (the same step, chosen there).
            reading = after_visit  # the server's CPU counter after the last interaction
            for on_column, cpu_name, visible_name in (
                (False, "next_click", "click"),
                (True, "column_click", "column_click"),
            ):
                cpu_per_click, visible_ms, reading = step_clicks(page, pid, reading, clicks, on_column)
                results[f"{cpu_name}_cpu_median_ms"] = statistics.median(cpu_per_click)
                results[f"{cpu_name}_cpu_p95_ms"] = percentile(cpu_per_click, 0.95)
                results[f"{cpu_name}_cpu_mean_ms"] = statistics.fmean(cpu_per_click)
                results[f"{visible_name}_visible_p50_ms"] = statistics.median(visible_ms)
                results[f"{visible_name}_visible_p95_ms"] = percentile(visible_ms, 0.95)
            results["clicks"] = clicks
            before = reading

            # Number changes: type a new a, press Enter, wait for the new verdict.
            cpu_per_change = []
            for index in range(changes):
                a = 1000 + 37 * index
                box = page.get_by_label("a", exact=True)
                box.fill(str(a))
                box.press("Enter")
                page.get_by_text(f"{a} + {PAIR[1]} = {a + PAIR[1]} ✓").first.wait_for(timeout=TIMEOUT_MS)
                after = wait_until_quiet(pid)
                cpu_per_change.append((after - before) * 1000)
                before = after
            results["number_change_cpu_median_ms"] = statistics.median(cpu_per_change)
            results["number_change_cpu_p95_ms"] = percentile(cpu_per_change, 0.95)
            results["changes"] = len(cpu_per_change)
            context.close()
        browser.close()
    seconds_per_click = max(results["next_click_cpu_mean_ms"], TICK_SECONDS * 1000) / 1000
    results["capacity_clicks_per_second_1_core"] = 1 / seconds_per_click
    results["capacity_clicks_per_second_2_cores"] = 2 / seconds_per_click
    return results


def measure_transplant(clicks: int) -> dict:
    """Server CPU per change of the transplant panel's column (see the module's docstring)."""
    from playwright.sync_api import sync_playwright

    a, b = TRANSPLANT_PAIR
    results: dict = {}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        with streamlit_server() as (url, process):
            wait_until_healthy(url, process)
            pid = process.pid
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/?a={a}&b={b}&section=what-did-it-learn&view=transplant-the-carry&patch_t=0")
            page.get_by_text("After transplanting the whole state h_t at column 0", exact=False).first.wait_for(
                timeout=TIMEOUT_MS
            )
            before = wait_until_quiet(pid)
            thumb = page.get_by_role("slider", name="Column t to transplant at")
            last = timesteps_for(a, b) - 2  # the last column leaves no later column to write
            column, direction, cpu_per_click, visible_ms = 0, 1, [], []
            while len(cpu_per_click) < clicks:
                if not 0 <= column + direction <= last:
                    direction = -direction
                column += direction
                started = time.perf_counter()
                thumb.press("ArrowRight" if direction > 0 else "ArrowLeft")
                page.get_by_text(f"at column {column} from the source", exact=False).first.wait_for(timeout=TIMEOUT_MS)
                visible_ms.append((time.perf_counter() - started) * 1000)
                after = wait_until_quiet(pid)
                cpu_per_click.append((after - before) * 1000)
                before = after
            results["transplant_url"] = page.url
            page.close()
        browser.close()
    results["transplant_click_cpu_median_ms"] = statistics.median(cpu_per_click)
    results["transplant_click_cpu_p95_ms"] = percentile(cpu_per_click, 0.95)
    results["transplant_click_cpu_mean_ms"] = statistics.fmean(cpu_per_click)
    results["transplant_visible_p50_ms"] = statistics.median(visible_ms)
    results["transplant_clicks"] = len(cpu_per_click)
    return results


def print_transplant_table(results: dict) -> None:
    print("| measure | value | target |")
    print("|---|---|---|")
    print(
        f"| server CPU per transplant column change, median / p95 / mean of {results['transplant_clicks']} | "
        f"{results['transplant_click_cpu_median_ms']:.0f} / {results['transplant_click_cpu_p95_ms']:.0f} / "
        f"{results['transplant_click_cpu_mean_ms']:.1f} ms | median ≤ 50 ms |"
    )
    print(f"| change → new sentence visible (Playwright), p50 | {results['transplant_visible_p50_ms']:.0f} ms | |")
    print(f"(/proc CPU counters tick every {TICK_SECONDS * 1000:.0f} ms; the mean is the finer figure)")


def print_table(results: dict) -> None:
    print("| measure | value | target |")
    print("|---|---|---|")
    rows = [
        ("server CPU, first visit", f"{results['first_visit_cpu_ms']:.0f} ms", "≤ 300 ms"),
        (
            f"server CPU per 'Next ▶' click, median / p95 / mean of {results['clicks']}",
            f"{results['next_click_cpu_median_ms']:.0f} / {results['next_click_cpu_p95_ms']:.0f} / "
            f"{results['next_click_cpu_mean_ms']:.1f} ms",
            "median ≤ 30 ms",
        ),
        (
            f"server CPU per click on the next column of the drawing, median / p95 / mean of {results['clicks']}",
            f"{results['column_click_cpu_median_ms']:.0f} / {results['column_click_cpu_p95_ms']:.0f} / "
            f"{results['column_click_cpu_mean_ms']:.1f} ms",
            "as 'Next ▶'",
        ),
        (
            f"server CPU per number change, median / p95 of {results['changes']}",
            f"{results['number_change_cpu_median_ms']:.0f} / {results['number_change_cpu_p95_ms']:.0f} ms",
            "median ≤ 60 ms",
        ),
        (
            "click → new step visible in Chromium, p50 / p95",
            f"{results['click_visible_p50_ms']:.0f} / {results['click_visible_p95_ms']:.0f} ms",
            "≤ 150 / ≤ 300 ms",
        ),
        (
            "click on a column → new step visible, p50 / p95",
            f"{results['column_click_visible_p50_ms']:.0f} / {results['column_click_visible_p95_ms']:.0f} ms",
            "as 'Next ▶'",
        ),
        ("cold start: `streamlit run` → heatmap in Chromium", f"{results['cold_start_seconds']:.1f} s", "≤ 4 s"),
        (
            "capacity: 'Next' clicks per second, one server (1 core / 2 cores)",
            f"{results['capacity_clicks_per_second_1_core']:.0f} / "
            f"{results['capacity_clicks_per_second_2_cores']:.0f} per s",
            "",
        ),
    ]
    for row in rows:
        print(f"| {' | '.join(row)} |")
    print(f"(/proc CPU counters tick every {TICK_SECONDS * 1000:.0f} ms; the mean is the finer figure)")


# Another rule's page with an input of about 40 columns (room for the clicks), and its column count.
RULE_QUERIES = {
    "subtraction": ("a=1000000000000&b=999999999999", 40),
    "three_numbers": ("a=1000000000000&b=999999999999&c=123456789", 41),
    "times_three": ("a=1000000000000", 42),
    "divisible_by_three": ("a=1000000000000", 40),
    "brackets": ("brackets=" + "(()" * 13 + ")", 40),
}


def measure_rule(rule: str, clicks: int) -> dict:
    """Server CPU per "Next ▶" click and click → step visible on ``?rule=rule`` (a warm server: the rule's network
    is loaded and its probe fitted by a first visit that is not counted)."""
    from playwright.sync_api import sync_playwright

    query, timesteps = RULE_QUERIES[rule]
    results: dict = {"rule": rule}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        with streamlit_server() as (url, process):
            wait_until_healthy(url, process)
            for visit in ("warm-up", "measured"):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.goto(f"{url}/?rule={rule}&{query}")
                page.locator(".st-key-unfolded_chart g.chosen-column").first.wait_for(timeout=TIMEOUT_MS)
                page.locator(".st-key-step_chart svg").first.wait_for(timeout=TIMEOUT_MS)
                if visit == "warm-up":
                    context.close()
            before = wait_until_quiet(process.pid)
            cpu_per_click, visible_ms, _ = step_clicks(page, process.pid, before, clicks, False, timesteps)
            results["next_click_cpu_median_ms"] = statistics.median(cpu_per_click)
            results["next_click_cpu_p95_ms"] = percentile(cpu_per_click, 0.95)
            results["next_click_cpu_mean_ms"] = statistics.fmean(cpu_per_click)
            results["click_visible_p50_ms"] = statistics.median(visible_ms)
            results["click_visible_p95_ms"] = percentile(visible_ms, 0.95)
            results["clicks"] = clicks
            context.close()
        browser.close()
    return results


RULE_TARGETS = {
    name: TARGETS[name] for name in ("next_click_cpu_median_ms", "click_visible_p50_ms", "click_visible_p95_ms")
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=30)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--transplant", type=int, default=0, help="measure N transplant column changes instead")
    parser.add_argument("--rule", choices=sorted(RULE_QUERIES), help="measure 'Next ▶' on this rule's page instead")
    arguments = parser.parse_args()
    if arguments.rule:
        results, targets = measure_rule(arguments.rule, arguments.clicks), RULE_TARGETS
        print(
            f"| {arguments.rule}: server CPU per 'Next ▶', median / p95 / mean of {results['clicks']} | "
            f"{results['next_click_cpu_median_ms']:.0f} / {results['next_click_cpu_p95_ms']:.0f} / "
            f"{results['next_click_cpu_mean_ms']:.1f} ms |"
        )
        print(
            f"| {arguments.rule}: click → new step visible, p50 / p95 | {results['click_visible_p50_ms']:.0f} / "
            f"{results['click_visible_p95_ms']:.0f} ms |"
        )
    elif arguments.transplant:
        results, targets = measure_transplant(arguments.transplant), TRANSPLANT_TARGETS
        print_transplant_table(results)
    else:
        results, targets = measure(arguments.clicks, arguments.changes), TARGETS
        print_table(results)
    print(json.dumps({"benchmark": "clicks", **results}))
    missed = [name for name, limit in targets.items() if results[name] > limit]
    if missed:
        print(f"missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
