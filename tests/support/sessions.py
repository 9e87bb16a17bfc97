"""Many people at once: concurrent browser sessions, each typing its own pair and stepping through time.

Used by the load test (correctness, with headroom on every wait), the deploy test (through nginx) and
``bench/bench_load.py`` (the duration target). Every session records how long each of its waits took, so a
run reports latency percentiles and how close the slowest wait came to its timeout.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.browser import CHROMIUM, CHROMIUM_ARGUMENTS, PROJECT_ROOT

ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def pair_for(session: int) -> tuple[int, int, int]:
    """A distinct pair and number of steps per session; some sums need 9 or more timesteps."""
    return session * 13 + 1, session * 29 + 200, session % 5 + 1


@dataclass
class SessionResult:
    session: int
    pair: tuple[int, int]
    steps: int
    verdicts: list[str] = field(default_factory=list)
    url: str = ""
    errors: int = 0
    # Seconds each wait took, by kind: "first view", "typing", "step".
    waits: dict[str, list[float]] = field(default_factory=dict)

    def record(self, kind: str, seconds: float) -> None:
        self.waits.setdefault(kind, []).append(seconds)


async def timed(result: SessionResult, kind: str, awaitable) -> None:
    started = time.perf_counter()
    await awaitable
    result.record(kind, time.perf_counter() - started)


async def drive(browser, url: str, session: int, timeout_ms: float) -> SessionResult:
    """One visitor: open the page, type a and b, press "Next ▶" ``steps`` times, read what is shown."""
    a, b, steps = pair_for(session)
    result = SessionResult(session=session, pair=(a, b), steps=steps)
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(timeout_ms)
    page = await context.new_page()
    try:
        await timed(result, "first view", _first_view(page, url))
        await timed(result, "typing", _type_pair(page, a, b))
        for step in range(1, steps + 1):
            await timed(result, "step", _next_step(page, step))
        # The address bar is updated by a separate message from the server: wait for it, bounded by the timeout.
        await page.wait_for_function("expected => location.search.includes(expected)", arg=f"t={steps}")
        result.verdicts = await page.get_by_text(" says ").all_inner_texts()
        result.url = page.url
        result.errors = await page.locator(ERRORS).count()
        return result
    finally:
        await context.close()


async def _first_view(page, url: str) -> None:
    await page.goto(url)
    await page.get_by_text("The RNN says 50 + 18 = 68").wait_for()


async def _type_pair(page, a: int, b: int) -> None:
    for label, value in (("a", a), ("b", b)):
        box = page.get_by_label(label, exact=True)
        await box.fill(str(value))
        await box.press("Enter")
    await page.get_by_text(f"The RNN says {a} + {b} = {a + b} ✓").wait_for()


async def _next_step(page, step: int) -> None:
    await page.get_by_role("button", name="Next ▶").click()
    await page.get_by_text(f"Step t = {step} reads").wait_for()


async def run_sessions(
    url: str, sessions: int, timeout_ms: float, stagger_seconds: float, total_timeout: float
) -> tuple[list[SessionResult], float]:
    """``sessions`` visitors in one Chromium (one context each), starting ``stagger_seconds`` apart, all open at
    once. Returns their results and the wall-clock seconds from the first start to the last finish."""
    from playwright import async_api

    async def staggered(browser, session: int) -> SessionResult:
        await asyncio.sleep(session * stagger_seconds)  # people arrive one after another, not in the same ms
        return await drive(browser, url, session, timeout_ms)

    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGUMENTS
        )
        try:
            started = time.perf_counter()
            results = await asyncio.wait_for(
                asyncio.gather(*(staggered(browser, session) for session in range(sessions))), timeout=total_timeout
            )
            return results, time.perf_counter() - started
        finally:
            await browser.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(fraction * len(ordered)) - 1)]


def summarise(results: list[SessionResult], seconds: float, timeout_ms: float) -> dict:
    """Latency percentiles per kind of wait, and the slowest wait as a share of its timeout."""
    summary: dict = {"sessions": len(results), "seconds": seconds, "timeout_seconds": timeout_ms / 1000, "waits": {}}
    slowest = 0.0
    for kind in ("first view", "typing", "step"):
        values = [value for result in results for value in result.waits.get(kind, [])]
        if not values:
            continue
        slowest = max(slowest, *values)
        summary["waits"][kind] = {
            "count": len(values),
            "p50": statistics.median(values),
            "p95": percentile(values, 0.95),
            "max": max(values),
        }
    summary["slowest_wait_seconds"] = slowest
    summary["slowest_wait_share_of_timeout"] = slowest / (timeout_ms / 1000)
    return summary


def summary_lines(summary: dict) -> list[str]:
    lines = [
        f"{summary['sessions']} sessions in {summary['seconds']:.1f} s;"
        f" slowest wait {summary['slowest_wait_seconds']:.1f} s"
        f" = {summary['slowest_wait_share_of_timeout']:.0%} of its {summary['timeout_seconds']:.0f} s timeout"
    ]
    for kind, numbers in summary["waits"].items():
        lines.append(
            f"  {kind:<10} n={numbers['count']:<4} p50 {numbers['p50']:.2f} s  p95 {numbers['p95']:.2f} s"
            f"  max {numbers['max']:.2f} s"
        )
    return lines


def write_artifact(name: str, summary: dict) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.json"
    path.write_text(json.dumps(summary, indent=2) + "\n")
    return path
