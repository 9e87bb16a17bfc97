"""Issue 22 items 2 and 8 in Debian's Chromium: the picture is on the first screen, "Inside one step" is beside
it, a tour stop or a shared view opens with what it talks about in sight, and no control hides in a sidebar.

Each check reads bounding boxes (CSS pixels, relative to the window) once the page has drawn and settled.
"""

from __future__ import annotations

import pytest

from tests.support.browser import HIDDEN_STATE_CELL, PROJECT_ROOT, require_browser

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
# Enough of the heatmap to see it is there: its title and the first rows of cells.
HEATMAP_SHOWN_PX = 40

require_browser()

pytestmark = pytest.mark.browser


def boxes(page) -> dict[str, dict[str, float] | None]:
    """The verdict, the unfolded drawing, its heatmap, "Inside one step" (its first line and its chart), the tour
    card, the section under the picture and the t = 0 cell, as {top, bottom, left, right}, or None if not drawn."""
    return page.evaluate(
        """() => {
          const box = element => {
            if (!element) return null;
            const { top, bottom, left, right } = element.getBoundingClientRect();
            return { top, bottom, left, right };
          };
          const one = selector => box(document.querySelector(selector));
          const verdict = [...document.querySelectorAll('h2')].find(h => h.textContent.includes(' says '));
          const step = [...document.querySelectorAll('p')].find(p => p.textContent.startsWith('Step t = '));
          return {
            verdict: box(verdict),
            drawing: one('.st-key-unfolded_chart'),
            heatmap: one('.st-key-unfolded_chart .hidden-state'),
            step: box(step),
            step_chart: one('.st-key-step_chart'),
            tour_card: one('.st-key-tour_card'),
            section: one('.st-key-section_view'),
            t0: one('.st-key-unfolded_chart .hidden-state rect[data-t="0"]'),
            region: one('.st-key-unfolded_chart'),
          };
        }"""
    )


def settle(page, marker: str) -> None:
    page.locator(marker).first.wait_for(timeout=120_000)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=120_000)
    page.wait_for_timeout(500)  # a few frames: the drawing is unpacked and laid out, a scroll lands


def in_sight(box, height: float, *, at_least: float | None = None) -> bool:
    """``box`` starts inside the window (below its top, above its bottom); with ``at_least``, that many pixels of
    it show."""
    if box is None or box["top"] < 0:
        return False
    if at_least is None:
        return box["bottom"] <= height
    return box["top"] + at_least <= height


@pytest.fixture
def context_at(browser):
    contexts = []

    def make(viewport, **options):
        context = browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def test_the_first_screen_holds_the_verdict_and_the_picture_with_the_step_beside_it(server_url, context_at):
    page = context_at(DESKTOP)
    page.goto(server_url)
    settle(page, ".st-key-step_chart svg.step-drawing")
    found = boxes(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "first_screen_1400x900.png"))
    assert in_sight(found["verdict"], DESKTOP["height"]), found
    assert in_sight(found["drawing"], DESKTOP["height"], at_least=HEATMAP_SHOWN_PX), found
    assert in_sight(found["heatmap"], DESKTOP["height"], at_least=HEATMAP_SHOWN_PX), found
    # "Inside one step" is to the right of the picture, and starts on the first screen: a step needs no scrolling.
    assert found["step_chart"]["left"] >= found["heatmap"]["right"], found
    assert found["step"]["left"] >= found["drawing"]["right"], found
    assert in_sight(found["step"], DESKTOP["height"]), found
    # A step leaves the picture where it was and the new step in sight, beside it.
    page.get_by_role("button", name="Next ▶").click()
    page.get_by_text("Step t = 1 reads").first.wait_for(timeout=60_000)
    page.wait_for_timeout(300)
    stepped = boxes(page)
    assert abs(stepped["heatmap"]["top"] - found["heatmap"]["top"]) <= 2, (found, stepped)
    assert in_sight(stepped["step"], DESKTOP["height"]), stepped


def test_no_control_hides_in_a_sidebar_and_a_phone_shows_the_verdict_and_t0(server_url, context_at):
    page = context_at(PHONE, has_touch=True)
    page.goto(f"{server_url}/?a=50&b=18&t=0")
    settle(page, ".st-key-step_chart svg.step-drawing")
    assert page.locator("[data-testid='stSidebar'], [data-testid='stExpandSidebarButton']").count() == 0
    for control in ("network_popover", "ablation_popover"):
        assert page.locator(f".st-key-{control} button").first.is_visible(), control
    found = boxes(page)
    page.screenshot(path=str(ARTIFACTS / "first_screen_390x844.png"))
    assert in_sight(found["verdict"], PHONE["height"]), found
    # The drawing scrolls sideways in its own region, which opens on t = 0 (where adding starts), in the window.
    t0, region = found["t0"], found["region"]
    assert region["left"] <= t0["left"] and t0["right"] <= region["right"], found
    assert t0["left"] >= 0 and t0["right"] <= PHONE["width"], found


def test_the_ablation_popover_switches_units_off_beside_the_verdict(server_url, context_at):
    page = context_at(DESKTOP)
    page.goto(f"{server_url}/?a=127&b=1")
    settle(page, ".st-key-step_chart svg.step-drawing")
    page.locator(".st-key-ablation_popover button").first.click()
    page.locator(".st-key-ablate_carry_units button:visible").click()
    page.screenshot(path=str(ARTIFACTS / "ablation_popover.png"))
    page.get_by_text("The RNN says 127 + 1 = 127 ✗").wait_for(timeout=60_000)
    page.keyboard.press("Escape")
    label = page.locator(".st-key-ablation_popover button").first.inner_text()
    assert "Switched off" in label and "zeroed" in label, label
    page.wait_for_function("() => new URLSearchParams(location.search).has('ablate')")


@pytest.mark.parametrize(
    ("link", "place", "subject"),
    [
        ("?tour=4", "tour_card", ".st-key-insight_ablation_bits .js-plotly-plot"),
        ("?tour=5", "tour_card", ".st-key-insight_state_space .js-plotly-plot"),
        ("?tour=1", "tour_card", HIDDEN_STATE_CELL),
        ("?section=what-did-it-learn&view=state-space", "section", ".st-key-insight_state_space .js-plotly-plot"),
        ("?section=the-weights", "section", ".st-key-weights_chart .js-plotly-plot"),
    ],
)
def test_a_tour_stop_or_a_shared_view_opens_with_its_subject_in_sight(server_url, context_at, link, place, subject):
    page = context_at(DESKTOP)
    page.goto(f"{server_url}/{link}")
    settle(page, subject)
    page.wait_for_timeout(1000)  # the script brings the part into sight again while the parts above it settle
    found = boxes(page)
    name = link.strip("?").replace("&", "_").replace("=", "-")
    page.screenshot(path=str(ARTIFACTS / f"opened_{name}.png"))
    assert in_sight(found[place], DESKTOP["height"], at_least=HEATMAP_SHOWN_PX), found
    assert found[place]["top"] < DESKTOP["height"] / 3, found  # at the top of the window, not its foot
    subject_box = page.locator(subject).first.bounding_box()
    assert subject_box["y"] < DESKTOP["height"], (subject_box, found)


def test_the_network_popover_shows_the_network_the_page_switched_to_itself(server_url, context_at):
    """A closed popover's radio is not mounted: when the page itself switched networks (here an upload; a run
    ending does the same), the radio missed it, showed the old choice when opened and sent it back on the next
    run, putting the page back on the shipped network (ui.model_source._choice_key)."""
    from explainer.files.npz_file import weights_to_npz_bytes
    from tests.support.browser import set_operand
    from tests.support.networks import random_weights

    page = context_at(DESKTOP)
    page.goto(f"{server_url}/?a=50&b=18")
    settle(page, ".st-key-step_chart svg.step-drawing")
    popover = page.locator(".st-key-network_popover button").first
    popover.click()
    page.get_by_text("Network shown on this page").wait_for()  # the radio is mounted, on the shipped model
    page.keyboard.press("Escape")
    page.get_by_text("Train it yourself", exact=True).first.click()
    page.get_by_text("Upload weights", exact=True).click()
    upload = weights_to_npz_bytes(random_weights(3, 4))
    page.locator("input[type=file]").set_input_files(
        {"name": "mine.npz", "mimeType": "application/octet-stream", "buffer": upload}
    )
    page.get_by_text("Loaded mine.npz: H = 3.").wait_for(timeout=60_000)
    page.get_by_text("Your upload (").first.wait_for(timeout=60_000)
    set_operand(page, "a", "51")  # a whole run: the browser sends every widget's value
    page.get_by_text("+ 18 =").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    assert "Uploaded weights" in popover.inner_text()
    assert page.get_by_text("Your upload (").count() > 0
    popover.click()
    checked = page.locator("label:has(input[type=radio]:checked)").all_inner_texts()
    assert checked == ["Uploaded weights"], checked
