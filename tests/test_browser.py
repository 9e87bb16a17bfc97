"""The real page in Debian's Chromium: type two numbers, see the verdict and the heatmap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.browser import (
    HIDDEN_STATE_CELL,
    PROJECT_ROOT,
    require_browser,
    set_operand,
    streamlit_server,
    wait_until_healthy,
)
from tests.support.processes import children

ARTIFACTS = PROJECT_ROOT / "test-artifacts"

require_browser()


pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def panel_count(page) -> int:
    """Panels of the unfolded addition (explainer.figures.unfolded_drawing) drawn in the page."""
    return page.locator(".unfolded-drawing g.panel").count()


def test_type_two_numbers_and_see_the_network_add_them(server_url, page):
    page.goto(server_url)
    page.get_by_text("The RNN says 50 + 18 = 68 ✓").wait_for(timeout=60_000)
    # A first visit shows no warnings (for example Streamlit's about widget defaults) and no errors.
    assert page.locator("[data-testid='stAlertContentWarning'], [data-testid='stAlertContentError']").count() == 0
    set_operand(page, "a", "254")
    set_operand(page, "b", "1")
    page.get_by_text("The RNN says 254 + 1 = 255 ✓").wait_for(timeout=30_000)
    page.locator(HIDDEN_STATE_CELL).first.wait_for(timeout=30_000)
    assert panel_count(page) == 3  # the addition grid, the hidden state and the output strip
    assert page.locator(HIDDEN_STATE_CELL).count() == 16 * 8  # 16 units × 8 columns
    # The address bar follows in its own message from the server: wait for it (bounded) rather than race it.
    page.wait_for_function("() => location.search.includes('a=254') && location.search.includes('b=1')")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser_254_plus_1.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0


def test_bad_input_shows_a_message_in_the_browser(server_url, page):
    page.goto(f"{server_url}/?a=12&b=30")
    page.get_by_text("The RNN says 12 + 30 = 42 ✓").wait_for(timeout=60_000)
    set_operand(page, "b", "1e3")
    page.get_by_text("b must be a whole number written with the digits 0–9").wait_for(timeout=30_000)
    assert page.get_by_text("The RNN says 12 + 30 = 42 ✓").is_visible()
    assert page.locator("[data-testid='stException']").count() == 0


def test_a_shared_link_restores_the_view(server_url, page):
    page.goto(f"{server_url}/?a=255&b=255&t=8")
    page.get_by_text("The RNN says 255 + 255 = 510 ✓").wait_for(timeout=60_000)
    page.get_by_text("Step t = 8").first.wait_for(timeout=30_000)


def test_a_step_click_moves_only_the_chosen_column_and_a_phone_keeps_it_in_sight(server_url, browser):
    """The unfolded drawing's body is drawn once per pair; a step swaps only the chosen column's marks. On a
    phone the 41-column drawing scrolls sideways in its own region, and the chosen column stays visible."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{server_url}/?a=1000000000000&b=999999999999&t=5")
        chosen = page.locator(".st-key-unfolded_chart g.chosen-column")
        page.locator(".st-key-unfolded_chart g.chosen-column[data-t='5'] rect.outline").first.wait_for(timeout=60_000)
        first_cell = page.locator(HIDDEN_STATE_CELL).first
        first_cell.evaluate("cell => { cell.dataset.drawnBefore = 'yes'; }")  # gone if the body is drawn again
        page.get_by_role("button", name="Next ▶").click()
        page.locator(".st-key-unfolded_chart g.chosen-column[data-t='6']").wait_for(timeout=30_000)
        page.get_by_text("Step t = 6 reads").first.wait_for(timeout=30_000)
        assert first_cell.get_attribute("data-drawn-before") == "yes"
        assert chosen.locator("rect.outline").count() == 3
        page.wait_for_timeout(300)  # the region scrolls on the next animation frame
        inside = page.evaluate(
            """() => {
              const outline = document.querySelector('.st-key-unfolded_chart g.chosen-column rect.outline');
              const region = document.querySelector('.st-key-unfolded_chart');
              const box = outline.getBoundingClientRect(), view = region.getBoundingClientRect();
              return [region.scrollWidth > region.clientWidth, box.left >= view.left && box.right <= view.right];
            }"""
        )
        assert inside == [True, True]  # it does scroll sideways, and the chosen column is in view
    finally:
        context.close()


def test_a_phone_opens_a_shared_link_at_t0_and_the_sum_unfolds_step_by_step(server_url, browser):
    """Issue 22 items 1 and 9: at 390 px a shared link shows the t = 0 column (where adding starts); the columns
    after the chosen step are covered until a step reaches them, and "Show the whole sum" uncovers them all."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{server_url}/?a=50&b=18&t=0")
        chosen = ".st-key-unfolded_chart g.chosen-column"
        page.locator(f"{chosen}[data-t='0'] rect.outline").first.wait_for(timeout=60_000)
        page.wait_for_timeout(300)  # the region's layout settles on the next frame
        in_view = page.evaluate(
            """() => {
              const cell = document.querySelector('.st-key-unfolded_chart .hidden-state rect[data-t="0"]');
              const region = document.querySelector('.st-key-unfolded_chart');
              const box = cell.getBoundingClientRect(), view = region.getBoundingClientRect();
              return [region.scrollWidth > region.clientWidth, box.left >= view.left && box.right <= view.right];
            }"""
        )
        assert in_view == [True, True]  # the drawing scrolls sideways, and t = 0 is in view at first
        covers = page.locator(f"{chosen} rect.future")
        assert covers.count() == 4  # carry rows, answer rows, hidden state, output
        assert page.locator(f"{chosen} rect.future[data-from-t='1']").count() == 3
        for step in (1, 2, 3):
            page.get_by_role("button", name="Next ▶").click()
            page.locator(f"{chosen}[data-t='{step}'] rect.future[data-from-t='{step + 1}']").first.wait_for(
                timeout=30_000
            )
        page.locator(f"{chosen} g.carry-arrow[data-t='3']").wait_for(timeout=30_000)
        page.get_by_text("Show the whole sum").click()
        page.locator(f"{chosen} rect.future").first.wait_for(state="detached", timeout=30_000)
        assert page.locator(f"{chosen}[data-t='3'] rect.outline").count() == 3
    finally:
        context.close()


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header (its IHDR chunk), after checking the signature."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def test_screenshot_for_the_readme_is_reproducible(tmp_path):
    # Runs the command that makes the README's picture (its own server and Chromium), into a temporary file:
    # it must succeed and give a picture of the committed one's size, with the page drawn (not a blank shell).
    shot = Path(tmp_path) / "screenshot.png"
    completed = subprocess.run(
        [sys.executable, "-m", "scripts.screenshot", "--out", str(shot)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip().splitlines()[-1] == str(shot)
    assert png_size(shot) == png_size(PROJECT_ROOT / "assets" / "screenshot.png")
    assert shot.stat().st_size > 50_000  # a blank or half-drawn page compresses to far less


@pytest.mark.parametrize("damage", ["missing", "junk"])
def test_a_broken_model_file_is_explained_in_the_browser(browser, tmp_path, damage):
    model_file = tmp_path / "model.keras"
    if damage == "junk":
        model_file.write_bytes(b"\x89PNG not a model at all")
    with streamlit_server({"ADDITION_UNFOLDED_MODEL": str(model_file)}) as (url, process):
        wait_until_healthy(url, process)
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        expected = "is missing" if damage == "missing" else "could not be read"
        page.get_by_text(expected).first.wait_for(timeout=60_000)
        page.get_by_text(
            "python -m explainer.training --recipe seed --seed 0 --out assets/model.keras"
        ).first.wait_for()
        assert page.locator("[data-testid='stException']").count() == 0
        assert "Traceback" not in page.content()
        context.close()


def training_children(server_pid: int) -> dict[int, str]:
    """Training worker processes started by the server, and any zombie it left."""
    return children(server_pid, b"explainer.training.worker")


def test_stop_ends_training_and_keeps_the_checkpoints(browser):
    with streamlit_server() as (url, process):
        wait_until_healthy(url, process)
        context = browser.new_context(viewport={"width": 1400, "height": 1200})
        context.set_default_timeout(90_000)
        page = context.new_page()
        page.goto(f"{url}/?a=99&b=37")
        page.get_by_text("The RNN says 99 + 37 = 136 ✓").wait_for()
        page.get_by_text("Train it yourself", exact=True).first.click()
        page.get_by_role("button", name="Train", exact=True).click()  # seed recipe, 20,000 steps by default
        page.get_by_text("step 1,000 / 20,000").first.wait_for()
        # Its child (a warm worker the section had started, or a fresh one); another warm one may start later.
        children = training_children(process.pid)
        assert len(children) == 1
        page.get_by_role("button", name="Stop", exact=True).click()
        page.get_by_text("Training stopped at step").first.wait_for()
        assert page.get_by_text("Your network (step").first.is_visible()  # the partial network is shown
        for _ in range(100):  # the child is killed at once; give the kernel a moment to reap it
            if not set(children) & set(training_children(process.pid)):
                break
            page.wait_for_timeout(100)
        assert not set(children) & set(training_children(process.pid))  # killed and reaped: no zombie either
        assert page.locator("[data-testid='stException']").count() == 0
        context.close()
