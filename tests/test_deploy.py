"""Two replicas behind nginx (deploy/): sticky sessions, WebSockets, and one replica dying under its visitors.

Starts ``deploy.serve.cluster`` (nginx and 2 ``streamlit run`` replicas, all on loopback), opens at least 10
browser sessions through nginx, each on its own pair and timestep, then kills one replica:

- sessions on the other replica never notice: their WebSocket never closes and stepping carries on;
- sessions on the killed one reconnect through nginx to the survivor and come back where they were, from the
  URL (their pair, their timestep), with the right verdict and no error or traceback on the page.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field

import pytest

from deploy.serve import cluster, find_nginx
from tests.support.browser import CHROMIUM, CHROMIUM_ARGUMENTS, require_browser
from tests.support.sessions import ERRORS

require_browser()
if find_nginx() is None:
    if os.environ.get("CI"):
        pytest.fail("CI needs nginx for the deploy test (apt-get install nginx)", pytrace=False)
    pytest.skip("not installed: nginx (apt-get install nginx)", allow_module_level=True)

pytestmark = pytest.mark.browser

SESSIONS = 10
MORE_SESSIONS = 10  # if 10 random cookies all hashed to one replica (p ≈ 0.2%), open up to this many more
TIMEOUT_MS = 90_000  # per wait; the whole scenario is bounded below


@dataclass
class Visitor:
    index: int
    a: int
    b: int
    steps: int
    page: object = None
    replica: str = ""
    closed_sockets: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return f"The RNN says {self.a} + {self.b} = {self.a + self.b} ✓"


# Visitors that load, type or step at the same moment: ten tabs drawing Plotly at once starve a 2-core machine's
# browser (not the servers). Every visitor stays open once done, so all are connected at the failover.
ACTIVE_AT_ONCE = 4
# The longest each kind of wait took in this run (seconds), printed at the end: how close it came to its limit.
LONGEST_WAITS: dict[str, float] = {}


class timed:
    """``async with timed("name"):`` records the wait's length under ``name`` if it is the longest so far."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def __aenter__(self) -> None:
        self.started = time.perf_counter()

    async def __aexit__(self, *exc) -> None:
        took = time.perf_counter() - self.started
        LONGEST_WAITS[self.name] = max(LONGEST_WAITS.get(self.name, 0.0), took)


async def open_visitor(browser, url: str, index: int, active: asyncio.Semaphore) -> Visitor:
    async with active:
        return await _open_visitor(browser, url, index)


async def _open_visitor(browser, url: str, index: int) -> Visitor:
    visitor = Visitor(index=index, a=index * 37 + 5, b=index * 91 + 300, steps=index % 3 + 1)
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    page.on("websocket", lambda socket: socket.on("close", lambda closed: visitor.closed_sockets.append(closed.url)))
    response = await page.goto(f"{url}/?a={visitor.a}&b={visitor.b}", wait_until="commit")
    visitor.replica = response.headers["x-replica"]
    visitor.page = page
    async with timed("first verdict (limit 90 s)"):
        await page.get_by_text(visitor.verdict).wait_for()
    for step in range(1, visitor.steps + 1):
        await page.get_by_role("button", name="Next ▶").click()
        async with timed("step before the kill (limit 90 s)"):
            await page.get_by_text(f"Step t = {step} reads").wait_for()
    await page.wait_for_function("expected => location.search.includes(expected)", arg=f"t={visitor.steps}")
    return visitor


async def check_after_failover(visitor: Visitor) -> None:
    """Where it was (pair and step, from the URL if it had to reconnect), correct, then one more step works."""
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    page = visitor.page
    async with timed("verdict after the kill (limit 90 s)"):
        await page.get_by_text(visitor.verdict).wait_for()
        await page.get_by_text(f"Step t = {visitor.steps} reads").wait_for()
    next_step = visitor.steps + 1
    # A page that just reconnected shows its old elements while the new session's first run is still going; a
    # step click in that moment is a fragment rerun that the new session cannot place yet, and Streamlit drops
    # it (as a person would, one then clicks again). So a click that changed nothing in 30 s (a step takes well
    # under a second here) is made once more; the step must then be exactly the next one.
    for attempt in range(2):
        await page.get_by_role("button", name="Next ▶").click()
        try:
            async with timed(f"step after the kill, click {attempt + 1} (limit {30 if attempt == 0 else 90} s)"):
                await page.get_by_text(f"Step t = {next_step} reads").wait_for(timeout=30_000 if attempt == 0 else None)
            break
        except PlaywrightTimeoutError:
            LONGEST_WAITS["clicks made twice"] = LONGEST_WAITS.get("clicks made twice", 0) + 1
            if attempt == 1:
                raise
    await page.wait_for_function("expected => location.search.includes(expected)", arg=f"t={next_step}")
    assert await page.get_by_text(" says ").all_inner_texts() == [visitor.verdict], visitor
    assert await page.locator(ERRORS).count() == 0, visitor
    assert "Traceback" not in await page.locator("body").inner_text(), visitor
    assert f"a={visitor.a}" in page.url and f"b={visitor.b}" in page.url, page.url


async def scenario(running) -> tuple[list[Visitor], str]:
    from playwright import async_api

    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGUMENTS
        )
        try:
            active = asyncio.Semaphore(ACTIVE_AT_ONCE)
            visitors = list(
                await asyncio.gather(*(open_visitor(browser, running.url, index, active) for index in range(SESSIONS)))
            )
            for index in range(SESSIONS, SESSIONS + MORE_SESSIONS):
                if len({visitor.replica for visitor in visitors}) == len(running.replicas):
                    break
                visitors.append(await open_visitor(browser, running.url, index, active))
            replicas = {visitor.replica for visitor in visitors}
            assert replicas == {replica.address for replica in running.replicas}, "sticky cookies never spread"
            victim = running.replicas[0]
            victim.kill()
            await asyncio.gather(*(check_after_failover(visitor) for visitor in visitors))
            return visitors, victim.address
        finally:
            await browser.close()


def test_sessions_survive_a_replica_dying_behind_nginx():
    started = time.perf_counter()
    try:
        with cluster(replicas=2) as running:
            visitors, killed = asyncio.run(asyncio.wait_for(scenario(running), timeout=400))
            assert running.nginx.poll() is None
    finally:
        print(f"\nscenario {time.perf_counter() - started:.1f} s (limit 400 s); longest waits:")
        for name, took in LONGEST_WAITS.items():
            print(f"  {name}: {took:.1f}")
    on_killed = [visitor for visitor in visitors if visitor.replica == killed]
    on_survivor = [visitor for visitor in visitors if visitor.replica != killed]
    assert on_killed and on_survivor
    for visitor in on_survivor:
        assert visitor.closed_sockets == [], f"session {visitor.index} on the surviving replica was disturbed"
    for visitor in on_killed:
        assert visitor.closed_sockets, f"session {visitor.index} on the killed replica never lost its socket"
