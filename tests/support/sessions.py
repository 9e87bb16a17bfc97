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
# The load test's latency summary, printed in pytest's terminal summary (conftest.py). It lives here, in a module
# both import by one name: test modules are imported under their file name (tests/ is not a package).
LOAD_REPORT: list[str] = []
# How many of the visitors load, type or step at the same moment, in the load test and bench/bench_load.py. All 40
# stay open and connected together; this bounds the browsers, not the server: 40 real Chromium tabs on the same
# 2 cores as the server cost many times the server's CPU (bench/README.md), so with every tab acting at once the
# run would measure the browsers starving each other.
ACTIVE_AT_ONCE = 4
# Each simulated laptop (a Chromium process) draws its tabs in one renderer process, as a desktop browser does for
# same-site tabs once it limits its processes: its tabs then share the compiled front end instead of each parsing
# the page's JavaScript again. What the server sees is unchanged: each tab is its own session and WebSocket.
ONE_RENDERER = ["--renderer-process-limit=1"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def pair_for(session: int) -> tuple[int, int, int]:
    """A distinct pair and number of steps per session; some sums need 9 or more timesteps."""
    return session * 13 + 1, session * 29 + 200, session % 5 + 1


def rule_query_for(rule: str, session: int) -> str:
    """Another rule's link for a session of a rule mix: its own inputs, with at least 6 columns (room for 5 steps)."""
    a, b = session * 29 + 200, session * 13 + 1  # a > b: subtraction's domain
    if rule == "brackets":
        depth = session % 4 + 3
        return f"rule=brackets&brackets={'(' * depth + ')' * depth}"
    numbers = {"subtraction": {"a": a, "b": b}, "three_numbers": {"a": a, "b": b, "c": session + 1}}
    chosen = numbers.get(rule, {"a": a})  # times three, divisible by three: one number
    return f"rule={rule}&" + "&".join(f"{name}={value}" for name, value in chosen.items())


@dataclass
class SessionResult:
    session: int
    pair: tuple[int, int]
    steps: int
    rule: str = "addition"  # another rule's session opens its link (rule_query_for) instead of typing a pair
    verdicts: list[str] = field(default_factory=list)
    url: str = ""
    errors: int = 0
    closed_sockets: int = 0  # WebSocket connections the page lost (each one means a reconnect)
    # Seconds each wait took, by kind: "first view", "typing", "step".
    waits: dict[str, list[float]] = field(default_factory=dict)

    def record(self, kind: str, seconds: float) -> None:
        self.waits.setdefault(kind, []).append(seconds)


async def timed(result: SessionResult, kind: str, awaitable) -> None:
    started = time.perf_counter()
    await awaitable
    result.record(kind, time.perf_counter() - started)


class Gathering:
    """Every session stays open until all of them have done their part, so the last reads happen with every
    session connected at once (and after everyone else typed their own pair)."""

    def __init__(self, sessions: int, limit_seconds: float) -> None:
        self.started: list[SessionResult] = []  # every session's result as it fills in, for a report on a timeout
        self.waiting = sessions
        self.limit_seconds = limit_seconds  # the whole run's limit: the last session may start near its end
        self.everyone_done = asyncio.Event()

    def done(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.everyone_done.set()


async def drive(
    context,
    url: str,
    session: int,
    timeout_ms: float,
    arrivals: asyncio.Semaphore,
    active: asyncio.Semaphore,
    gathering: Gathering,
    rule: str = "addition",
) -> SessionResult:
    """One visitor in its own tab of ``context``: open the page, type a and b, press "Next ▶" ``steps`` times,
    then, once every session has done so, read what is shown. Every tab is its own Streamlit session (its own
    WebSocket and state).

    ``arrivals`` bounds how many pages load at once (the first view downloads the whole front end) and ``active``
    how many tabs type and step at once: the browsers draw every element of every active tab, and 40 tabs drawing
    at once starve a 2-core machine. A tab that has done its part stays open and connected until all have,
    so all sessions are open together at the end and each is read then."""
    a, b, steps = pair_for(session)
    result = SessionResult(session=session, pair=(a, b), steps=steps, rule=rule)
    gathering.started.append(result)
    page = await context.new_page()
    page.set_default_timeout(timeout_ms)
    lost: list[str] = []  # closed WebSocket URLs, counted only while the session is live (not at its own close)
    page.on("websocket", lambda socket: socket.on("close", lambda closed: lost.append(closed.url)))
    try:
        try:
            async with active:
                async with arrivals:
                    if rule == "addition":
                        await timed(result, "first view", _first_view(page, url))
                    else:
                        await timed(result, "first view", _first_rule_view(page, url, rule_query_for(rule, session)))
                if rule == "addition":
                    await timed(result, "typing", _type_pair(page, a, b))
                for step in range(1, steps + 1):
                    await timed(result, "step", _next_step(page, step))
                # The address bar is updated by a separate message from the server: wait for it (bounded).
                await page.wait_for_function("expected => location.search.includes(expected)", arg=f"t={steps}")
        finally:
            gathering.done()  # a failed session must not keep the others waiting
        await asyncio.wait_for(gathering.everyone_done.wait(), timeout=gathering.limit_seconds)
        result.verdicts = await page.get_by_text(" says ").all_inner_texts()
        await page.get_by_text(f"Step t = {steps} reads").wait_for()  # still its own step, after all the others
        result.url = page.url
        result.errors = await page.locator(ERRORS).count()
        result.closed_sockets = len(lost)
        return result
    except Exception:
        result.closed_sockets = len(lost)
        await _keep_evidence(page, result)
        raise
    finally:
        await page.close()


async def _keep_evidence(page, result: SessionResult) -> None:
    """A failed session leaves what its page showed in test-artifacts/, to tell a slow server from a wrong one."""
    ARTIFACTS.mkdir(exist_ok=True)
    stem = ARTIFACTS / f"load-session-{result.session}"
    try:
        await page.screenshot(path=f"{stem}.png", timeout=10_000)
        text = await page.locator("body").inner_text(timeout=10_000)
    except Exception as error:  # the evidence is a courtesy; the original failure is what gets reported
        text = f"(could not read the page: {error})"
    stem.with_suffix(".txt").write_text(f"{result}\nurl: {page.url}\n\n{text}\n")


async def _first_view(page, url: str) -> None:
    await page.goto(url, wait_until="commit")  # then wait for what a person waits for: the verdict
    await page.get_by_text("The RNN says 50 + 18 = 68").wait_for()


async def _first_rule_view(page, url: str, query: str) -> None:
    await page.goto(f"{url}/?{query}", wait_until="commit")  # then wait for the verdict and the drawing
    await page.get_by_text("The RNN says ").first.wait_for()
    await page.locator(".st-key-unfolded_chart g.chosen-column").first.wait_for()


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
    url: str,
    sessions: int,
    timeout_ms: float,
    stagger_seconds: float,
    total_timeout: float,
    loading_at_once: int = 8,
    browsers: int = 8,
    active_at_once: int | None = None,
    rules: tuple[str, ...] = ("addition",),
) -> tuple[list[SessionResult], float]:
    """``sessions`` visitors in ``browsers`` Chromium processes, starting ``stagger_seconds`` apart, at most
    ``loading_at_once`` loading the page at the same moment and at most ``active_at_once`` (default: all) loading,
    typing or stepping at once; every one stays open until all are done. Returns their results and the
    wall-clock seconds from the first start to the last finish. Session ``i`` visits ``rules[i % len(rules)]``:
    addition's sessions type their pair, another rule's open its link with their own inputs (:func:`rule_query_for`).

    The visitors are tabs of ``browsers`` separate Chromium processes (a few "laptops"): each downloads the front
    end (~3.5 MB of JavaScript for this page's first view) once and caches it, and each has its own GPU/compositor
    process. With all 40 visitors in one Chromium, pages stopped drawing lazily loaded widgets (the number boxes)
    for minutes on a loaded 2-core machine while the server answered in milliseconds."""
    from playwright import async_api

    arrivals = asyncio.Semaphore(loading_at_once)
    active = asyncio.Semaphore(active_at_once or sessions)
    gathering = Gathering(sessions, total_timeout)

    async with async_api.async_playwright() as playwright:
        launched = []
        try:
            for _ in range(min(browsers, sessions)):
                launched.append(
                    await playwright.chromium.launch(
                        executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGUMENTS, *ONE_RENDERER]
                    )
                )
            viewport = {"width": 1024, "height": 768}  # a small laptop: less to paint per chart
            contexts = [await browser.new_context(viewport=viewport) for browser in launched]

            async def staggered(session: int) -> SessionResult:
                await asyncio.sleep(session * stagger_seconds)  # people arrive one after another, not in the same ms
                return await drive(
                    contexts[session % len(contexts)],
                    url,
                    session,
                    timeout_ms,
                    arrivals,
                    active,
                    gathering,
                    rules[session % len(rules)],
                )

            started = time.perf_counter()
            try:
                results = await asyncio.wait_for(
                    asyncio.gather(*(staggered(session) for session in range(sessions))), timeout=total_timeout
                )
            except TimeoutError:
                # Say how far the run got, to tell a slow machine from a stuck session.
                partial = summarise(gathering.started, time.perf_counter() - started, timeout_ms)
                done = sum(len(result.waits.get("step", [])) == result.steps for result in gathering.started)
                raise TimeoutError(
                    f"{done} of {sessions} sessions had typed and stepped after {total_timeout:.0f} s (the whole run's "
                    f"limit); waits so far: {json.dumps(partial['waits'])}"
                ) from None
            return results, time.perf_counter() - started
        finally:
            for browser in launched:
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
    summary["lost_sockets"] = sum(result.closed_sockets for result in results)
    summary["slowest_wait_share_of_timeout"] = slowest / (timeout_ms / 1000)
    return summary


def summary_lines(summary: dict) -> list[str]:
    lines = [
        f"{summary['sessions']} sessions in {summary['seconds']:.1f} s;"
        f" slowest wait {summary['slowest_wait_seconds']:.1f} s"
        f" = {summary['slowest_wait_share_of_timeout']:.0%} of its {summary['timeout_seconds']:.0f} s timeout;"
        f" WebSockets lost: {summary['lost_sockets']}"
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
