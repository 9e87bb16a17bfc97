"""Another rule in Debian's Chromium: three numbers from a link, step with Next and see column 1 appear; a
screenshot at a desktop's and a phone's width (test-artifacts/)."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import PROJECT_ROOT, require_browser
from tests.test_accessibility import blocking_violations, choose, settle, small_text

ARTIFACTS = PROJECT_ROOT / "test-artifacts"

require_browser()

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402  (after require_browser: it may skip)

pytestmark = pytest.mark.browser

COVERED = ".st-key-unfolded_chart g.chosen-column rect.future"


def test_three_numbers_step_with_next_and_column_1_appears(server_url, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{server_url}/?rule=three_numbers&a=5&b=6&c=7")
        page.get_by_text("The RNN says 5 + 6 + 7 = 18 ✓").wait_for(timeout=90_000)
        page.locator(".st-key-unfolded_chart g.chosen-column[data-t='0']").wait_for(timeout=60_000)
        # At t = 0 the network's answer is covered from column 1 on …
        page.locator(f"{COVERED}[data-from-t='1']").first.wait_for(timeout=30_000)
        rows = page.locator(".st-key-unfolded_chart rect.cell[data-row='carry in']")
        assert rows.count() == 8  # the state row, one cell per column: 5 + 6 + 7 = 18 runs over max(8, its bits)
        assert page.locator('.st-key-unfolded_chart rect.cell[data-row="probe\'s carry in"]').count() == 8
        page.get_by_role("button", name="Next ▶").click()
        # … after Next, column 1 is drawn: the covers start at column 2, and the address bar says t=1.
        page.locator(".st-key-unfolded_chart g.chosen-column[data-t='1']").wait_for(timeout=30_000)
        page.locator(f"{COVERED}[data-from-t='2']").first.wait_for(timeout=30_000)
        assert page.locator(f"{COVERED}[data-from-t='1']").count() == 0
        page.wait_for_function("() => location.search.includes('t=1') && location.search.includes('c=7')")
        page.get_by_text("Step t = 1").first.wait_for(timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "rule_three_numbers_1400.png"), full_page=True)
        settle(page, ".st-key-step_chart svg.step-drawing")
        problems = blocking_violations(page, "three numbers") + small_text(page, "three numbers")
        for section, marker in (
            ("Compare the rules", "[data-testid='stDataFrame']"),
            ("What did it learn?", ".st-key-rule_state_space .js-plotly-plot"),
        ):
            choose(page, "section", section)
            settle(page, marker)
            problems += blocking_violations(page, section) + small_text(page, section)
        assert problems == [], "\n".join(problems)
    finally:
        context.close()


def test_a_rule_page_on_a_phone(server_url, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{server_url}/?rule=subtraction&a=200&b=57")
        page.get_by_text("The RNN says 200 − 57 = 143 ✓").wait_for(timeout=90_000)
        page.locator(".st-key-unfolded_chart g.chosen-column[data-t='0']").wait_for(timeout=60_000)
        assert page.locator("[data-testid='stException']").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "rule_subtraction_390.png"), full_page=True)
        settle(page, ".st-key-unfolded_chart svg")
        problems = blocking_violations(page, "subtraction on a phone") + small_text(page, "subtraction on a phone")
        sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert problems == [] and sideways <= 0, "\n".join(problems)
    finally:
        context.close()


def test_subtraction_trains_in_its_page_and_the_network_picker_names_the_run(server_url, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(120_000)
    try:
        page = context.new_page()
        page.goto(f"{server_url}/?rule=subtraction&a=50&b=18")
        page.get_by_text("The RNN says 50 − 18 = 32 ✓").wait_for()
        assert "Network: Shipped model" in page.locator(".st-key-network_popover button").first.inner_text()
        choose(page, "section", "Train it yourself")
        page.locator(".st-key-train_button").wait_for()
        fast = page.get_by_role("option", name="Fast", exact=True)
        for _ in range(5):  # bounded: a click while the section is still being drawn can leave the list closed
            page.locator(".st-key-train_recipe [role='combobox']").first.click()
            try:
                fast.wait_for(timeout=5_000)
                break
            except PlaywrightTimeout:
                continue
        fast.click()
        page.get_by_role("button", name="Train", exact=True).click()  # fast recipe: 2,000 steps at most
        # The run becomes the page's network: the verdict names it, and once it ends the picker's button says so.
        page.get_by_text(re.compile(r"Your network \(step [\d,]+\) says 50 − 18 = ")).first.wait_for()
        page.locator("[data-testid='stAlertContentSuccess']").first.wait_for()  # the run's outcome
        settle(page, ".st-key-training_curves_chart")
        button = page.locator(".st-key-network_popover button").first
        assert "Network: Trained in this session" in button.inner_text()
        assert page.locator("[data-testid='stException']").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "rule_subtraction_trained_1400.png"), full_page=True)
        problems = blocking_violations(page, "subtraction training") + small_text(page, "subtraction training")
        button.scroll_into_view_if_needed()
        button.click()  # the popover: its radio is drawn a moment after it opens (a skeleton first)
        page.locator("[data-testid='stPopoverBody'] label").filter(has_text="Trained in this session").first.wait_for()
        page.screenshot(path=str(ARTIFACTS / "rule_subtraction_network_popover.png"))
        assert problems == [], "\n".join(problems)
    finally:
        context.close()
