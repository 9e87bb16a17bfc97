"""Twenty people at once: concurrent browser sessions against one ``streamlit run`` on loopback.

Each session types its own pair and steps through time; every one must show its own correct verdict and
step, none may see another's state, and no error element may appear. Bounded: 20 sessions, 5 steps each,
and every wait has a timeout.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGUMENTS, require_browser, streamlit_server, wait_until_healthy

require_browser()

from playwright import async_api  # noqa: E402  (after require_browser: it may skip)

pytestmark = pytest.mark.browser

SESSIONS = 20
TIMEOUT_MS = 90_000  # 20 sessions share 2 cores with the server: generous, but bounded


def pair_for(session: int) -> tuple[int, int, int]:
    """A distinct pair and number of steps per session; some sums need 9 or more timesteps."""
    return session * 13 + 1, session * 29 + 200, session % 5 + 1


async def drive(browser, url: str, session: int) -> dict:
    a, b, steps = pair_for(session)
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    try:
        await page.goto(url)
        await page.get_by_text("The RNN says 50 + 18 = 68").wait_for(timeout=TIMEOUT_MS)
        for label, value in (("a", a), ("b", b)):
            box = page.get_by_label(label, exact=True)
            await box.fill(str(value))
            await box.press("Enter")
        await page.get_by_text(f"The RNN says {a} + {b} = {a + b} ✓").wait_for(timeout=TIMEOUT_MS)
        for step in range(1, steps + 1):
            await page.get_by_role("button", name="Next ▶").click()
            await page.get_by_text(f"Step t = {step} reads").wait_for(timeout=TIMEOUT_MS)
        # The address bar is updated by a separate message from the server: wait for it, bounded by the timeout.
        await page.wait_for_function("expected => location.search.includes(expected)", arg=f"t={steps}")
        verdicts = await page.get_by_text(" says ").all_inner_texts()
        return {
            "session": session,
            "verdicts": verdicts,
            "url": page.url,
            "errors": await page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count(),
            "steps": steps,
            "pair": (a, b),
        }
    finally:
        await context.close()


async def run_sessions(url: str) -> list[dict]:
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGUMENTS
        )
        try:
            return await asyncio.wait_for(
                asyncio.gather(*(drive(browser, url, session) for session in range(SESSIONS))), timeout=600
            )
        finally:
            await browser.close()


def test_twenty_concurrent_sessions_each_see_only_their_own_addition():
    with streamlit_server() as (url, process):
        wait_until_healthy(url, process)
        results = asyncio.run(run_sessions(url))
    assert len(results) == SESSIONS
    for result in results:
        a, b = result["pair"]
        assert result["verdicts"] == [f"The RNN says {a} + {b} = {a + b} ✓"], result
        assert f"a={a}" in result["url"] and f"b={b}" in result["url"] and f"t={result['steps']}" in result["url"]
        assert result["errors"] == 0, result
