"""A rule's "What did it learn?" views and "Compare the rules" in Debian's Chromium (tests/apps/rule_insight_app.py
on a real server): each view opens from its link, draws its charts without an error, keeps ``view=`` in the
address bar and has no serious or critical axe-core violation (as tests/test_accessibility.py audits the page).
Leaves a full-page screenshot of each in ``test-artifacts/`` (for looking at).
"""

from __future__ import annotations

import pytest

from tests.support.browser import PROJECT_ROOT, require_browser, streamlit_server, wait_until_healthy
from ui.rule_insight import RULE_VIEWS
from ui.state import slug

ARTIFACTS = PROJECT_ROOT / "test-artifacts"

require_browser()

from tests.test_accessibility import blocking_violations  # noqa: E402  (after require_browser: axe may be absent)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def rule_page_url():
    with streamlit_server(script="tests/apps/rule_insight_app.py") as (url, process):
        wait_until_healthy(url, process)
        yield url


def _settled(page) -> None:
    """Wait until the run is over: no spinner, at least one chart or table drawn (the proof view draws tables)."""
    drawn = ".js-plotly-plot, [data-testid='stTable'], [data-testid='stDataFrame'], [data-testid='stAlert']"
    page.locator(drawn).first.wait_for()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSpinner\"]')")
    page.wait_for_timeout(500)


@pytest.mark.parametrize("rule", ["subtraction", "brackets"])
@pytest.mark.parametrize("view", RULE_VIEWS)
def test_each_view_opens_from_its_link_and_draws(browser, rule_page_url, rule, view):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(180_000)  # the first run of a view computes its analysis on this shared machine
    try:
        page.goto(f"{rule_page_url}/?rule={rule}&view={slug(view)}")
        page.get_by_text(f"rule: {rule}").wait_for()
        _settled(page)
        assert page.get_by_role("radio", name=view, exact=True).is_checked()
        assert page.locator("[data-testid='stException']").count() == 0
        page.wait_for_function(f"() => new URLSearchParams(location.search).get('view') === '{slug(view)}'")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"rule_insight_{rule}_{slug(view)}.png"), full_page=True)
    finally:
        page.close()


def test_compare_the_rules_draws_one_table_and_one_picture(browser, rule_page_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(600_000)  # the first visit extracts every rule's machine
    try:
        page.goto(f"{rule_page_url}/?rule=compare")
        _settled(page)
        assert page.locator(".js-plotly-plot").count() == 1
        assert page.locator("[data-testid='stDataFrame']").count() == 1
        assert page.locator("[data-testid='stException']").count() == 0
        assert not blocking_violations(page, page.url)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "rule_insight_compare.png"), full_page=True)
    finally:
        page.close()


def test_the_machines_of_a_rule_with_eight_columns_draw(browser, rule_page_url):
    """Three numbers: 3 states × 8 columns (abc), the busiest drawing."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(300_000)
    try:
        page.goto(f"{rule_page_url}/?rule=three_numbers&view=extracted-machine")
        _settled(page)
        assert page.locator(".js-plotly-plot").count() == 2
        assert page.locator("[data-testid='stException']").count() == 0
        assert not blocking_violations(page, page.url)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "rule_insight_three_numbers_extracted-machine.png"), full_page=True)
    finally:
        page.close()
