"""Training live in Debian's Chromium: the page stays usable while it trains, and a second visitor is unaffected."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import (
    HIDDEN_STATE_CELL,
    launch_chromium,
    require_browser,
    set_operand,
    streamlit_server,
    wait_until_healthy,
)

require_browser()

from playwright import sync_api as playwright_api  # noqa: E402  (after require_browser: it may skip)

pytestmark = pytest.mark.browser
ERRORS = "[data-testid='stException']"
TRAINED_VERDICT = re.compile(r"Your network \(step ([\d,]+)\) says")


def hidden_state_image(page) -> str:
    """The hidden-state heatmap as drawn (the colour of every cell): it changes when the network does."""
    page.locator(HIDDEN_STATE_CELL).first.wait_for()
    return ",".join(
        page.locator(HIDDEN_STATE_CELL).evaluate_all("cells => cells.map(cell => cell.getAttribute('fill'))")
    )


def shown_step(page) -> int:
    text = page.get_by_text(TRAINED_VERDICT).first.inner_text()
    return int(TRAINED_VERDICT.search(text).group(1).replace(",", ""))


def wait_for_a_later_checkpoint(page, after: int) -> int:
    for _ in range(600):  # bounded: 600 × 0.2 s
        step = shown_step(page)
        if step > after:
            return step
        page.wait_for_timeout(200)
    raise AssertionError(f"no checkpoint after step {after} reached the page")


def test_the_page_stays_usable_while_it_trains_and_a_second_visitor_is_unaffected():
    with streamlit_server() as (url, process), playwright_api.sync_playwright() as playwright:
        wait_until_healthy(url, process)
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1200})
            context.set_default_timeout(120_000)
            page = context.new_page()
            other_context = browser.new_context(viewport={"width": 1400, "height": 1000})
            other_context.set_default_timeout(120_000)
            other = other_context.new_page()
            other.goto(f"{url}/?a=12&b=30")
            other.get_by_text("The RNN says 12 + 30 = 42 ✓").wait_for()

            page.goto(f"{url}/?a=99&b=37")
            page.get_by_text("The RNN says 99 + 37 = 136 ✓").wait_for()
            page.get_by_text("Train it yourself", exact=True).first.click()
            page.get_by_role("button", name="Train", exact=True).click()  # seed recipe: a checkpoint per 1,000 steps
            page.get_by_text(TRAINED_VERDICT).first.wait_for()  # the page switched to the live network
            first_step = shown_step(page)
            first_image = hidden_state_image(page)

            # While it trains: step through time, switch views, type another pair.
            page.get_by_text("Inside one step", exact=True).first.click()
            page.get_by_role("button", name="Next ▶").click()
            page.get_by_text("Step t = 1").first.wait_for()
            page.get_by_text("What did it learn?", exact=True).first.click()
            page.get_by_text("State space", exact=True).first.click()
            page.get_by_text("The weights", exact=True).first.click()
            set_operand(page, "a", "100")
            page.get_by_text(re.compile(r"Your network \(step [\d,]+\) says 100 \+ 37")).first.wait_for()

            later_step = wait_for_a_later_checkpoint(page, first_step)
            page.wait_for_timeout(500)  # let the redraw for that checkpoint finish
            assert later_step > first_step
            set_operand(page, "a", "99")
            page.get_by_text(re.compile(r"Your network \(step [\d,]+\) says 99 \+ 37")).first.wait_for()
            assert hidden_state_image(page) != first_image  # the hidden state of 99 + 37 changed with training

            page.get_by_text("Train it yourself", exact=True).first.click()
            page.get_by_role("button", name="Stop", exact=True).click()
            page.get_by_text("Training stopped at step").first.wait_for()
            assert page.locator(ERRORS).count() == 0

            # The other visitor, all along on the shipped network, still is, and still works.
            set_operand(other, "b", "31")
            other.get_by_text("The RNN says 12 + 31 = 43 ✓").wait_for()
            assert other.get_by_text("Your network").count() == 0
            assert other.locator(ERRORS).count() == 0
            context.close()
            other_context.close()
        finally:
            browser.close()
