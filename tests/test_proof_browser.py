"""The "Proof at every length" view in Debian's Chromium: open it, load the counterexample, see the ✗.

Also leaves screenshots of the view at 1400 px and 390 px wide in ``test-artifacts/`` (for looking at).
"""

from __future__ import annotations

import json

import pytest

from explainer.files.keras_file import SHIPPED_MODEL_PATH
from explainer.verify.verdict import verdict_file_path
from tests.support.browser import PROJECT_ROOT, require_browser

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
COUNTEREXAMPLE = json.loads(verdict_file_path(SHIPPED_MODEL_PATH).read_text())["counterexample"]

require_browser()


pytestmark = pytest.mark.browser


def scroll_to_top(locator) -> None:
    """Scroll Streamlit's main container so that ``locator`` is at the top (its screenshots show the viewport)."""
    locator.first.evaluate("element => element.scrollIntoView({block: 'start'})")


def open_proof_view(page, url: str) -> None:
    page.goto(url)
    page.get_by_text("The RNN says 50 + 18 = 68 ✓").wait_for()
    page.get_by_role("radio", name="What did it learn?", exact=True).click()
    page.get_by_role("radio", name="Proof at every length", exact=True).click()


@pytest.mark.parametrize("width", [1400, 390])
def test_load_the_counterexample_and_see_the_wrong_column(browser, server_url, width):
    a, b, columns, written = (COUNTEREXAMPLE[name] for name in ("a", "b", "columns", "network_sum"))
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(90_000)  # this 2-core machine is shared: a rerun can take tens of seconds under load
    try:
        open_proof_view(page, server_url)
        page.get_by_text(f"Wrong from {columns} columns on: {a} + {b}").wait_for()
        page.get_by_role("button", name=f"Load {a} + {b} over {columns} columns into the boxes").click()
        page.get_by_text(f"The RNN says {a} + {b} = {written} ✗").wait_for()
        page.get_by_text(f"The bit at timestep {columns - 1} is wrong.").wait_for()
        page.get_by_text(f"wrong in column {columns - 1}").wait_for()
        page.wait_for_function(f"() => new URLSearchParams(location.search).get('n') === '{columns}'")
        assert page.locator("[data-testid='stException']").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        scroll_to_top(page.get_by_text("What did it learn?", exact=True).last)
        page.screenshot(path=str(ARTIFACTS / f"proof_counterexample_{width}.png"))
    finally:
        context.close()


@pytest.mark.parametrize("width", [1400, 390])
def test_the_long_network_shows_its_proof_and_abstract_states(browser, server_url, width):
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(90_000)  # this 2-core machine is shared: a rerun can take tens of seconds under load
    try:
        page.goto(server_url)
        page.get_by_text("The RNN says 50 + 18 = 68 ✓").wait_for()
        # The network picker is in the "Network" popover beside the numbers, at every width. A pointer click on
        # its radio hung in Playwright on this loaded machine while the element was visible and stable; the click
        # event itself is what the radio reacts to, so send that.
        page.locator(".st-key-network_popover button").first.click()
        option = page.locator("[data-testid='stPopoverBody'] label").filter(has_text="Shipped long-sums model")
        option.first.locator("input").dispatch_event("click")
        page.get_by_text("Shipped long-sums model says 50 + 18 = 68 ✓").wait_for()
        page.keyboard.press("Escape")  # close the popover: it would cover the sections
        page.get_by_role("radio", name="What did it learn?", exact=True).click()
        page.get_by_role("radio", name="Proof at every length", exact=True).click()
        page.get_by_text("Proved for every length").wait_for()
        page.locator(".js-plotly-plot g.hm image").first.wait_for()
        assert page.locator("[data-testid='stException']").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        scroll_to_top(page.get_by_text("What did it learn?", exact=True).last)
        page.screenshot(path=str(ARTIFACTS / f"proof_long_{width}.png"))
        scroll_to_top(page.locator(".js-plotly-plot").last)
        page.screenshot(path=str(ARTIFACTS / f"proof_long_states_{width}.png"))
    finally:
        context.close()
