"""A newcomer's first five minutes in Debian's Chromium: the guided tour, a phone, the keyboard, and axe-core.

axe-core (bundled by axe-playwright-python, so it runs offline) audits every section, every "What did it
learn?" view, every tour stop and "Train it yourself", on a desktop and on a phone; a serious or critical
violation fails the test, which lists each one by rule and element. One server for the module, one page per
width, reused from state to state.
"""

from __future__ import annotations

import re

import pytest

from explainer import load_weights
from explainer.files.keras_file import page_model_path
from explainer.tour import STOPS
from tests.support.browser import PROJECT_ROOT, require_browser
from ui.state import TRANSPLANT_SOURCE, TRANSPLANT_SOURCE_A, TRANSPLANT_SOURCE_B

ARTIFACTS = PROJECT_ROOT / "test-artifacts"

require_browser()

from axe_playwright_python.sync_playwright import Axe  # noqa: E402  (after require_browser: it may skip)

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1400, 1000), "phone": (390, 844)}
BLOCKING = ("serious", "critical")
# Each "What did it learn?" view and an element that is only there once it has been drawn.
VIEW_MARKERS = {
    "Carry probe": ".st-key-insight_probe_units .js-plotly-plot",
    "State space": ".st-key-insight_state_space .js-plotly-plot",
    "Extracted machine": ".st-key-insight_machine_diagram .js-plotly-plot",
    "Ablation": "text=Nothing is ablated yet",
    "Correctness map": ".st-key-insight_correctness_map .js-plotly-plot",
    "Any length": ".st-key-insight_length_chart .js-plotly-plot",
    "Logit split": ".st-key-insight_logit_units .js-plotly-plot",
    "Transplant the carry": ".st-key-insight_interchange_chart .js-plotly-plot",
}
SECTION_MARKERS = {
    "Inside one step": ".st-key-step_chart svg.step-drawing",
    "The weights": ".st-key-weights_chart .js-plotly-plot",
    "What did it learn?": ".st-key-insight_view",
    "Train it yourself": ".st-key-train_button",
}


@pytest.fixture(scope="module", params=list(WIDTHS))
def page(request, browser):
    width, height = WIDTHS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=request.param == "phone")
    context.set_default_timeout(120_000)  # a fresh server's first page computes the analyses, on a busy machine
    page = context.new_page()
    page.width_name = request.param
    yield page
    context.close()


@pytest.fixture(scope="module")
def shipped():
    return load_weights(str(page_model_path()))


def settle(page, marker: str) -> None:
    """Wait for ``marker`` and for the script run to end (Streamlit's status widget goes away)."""
    page.locator(marker).first.wait_for()
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden")
    page.wait_for_timeout(300)  # a few frames for the last charts to lay out


def blocking_violations(page, where: str, context: str | None = None) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now (or in ``context``, a CSS selector),
    one line per rule and element."""
    results = Axe().run(page, context=context)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            for node in violation["nodes"]:
                found.append(f"{where}: {violation['id']} ({violation['impact']}) at {node['target']}")
    return found


def phone_problems(page, where: str) -> list[str]:
    """On a phone the page body must not scroll sideways (a wide chart or equation scrolls in its own region)."""
    if page.width_name != "phone":
        return []
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    return [f"{where}: the page body scrolls sideways by {overflow} px"] if overflow > 0 else []


# Every word drawn in a figure (the server's SVG drawings and Plotly's charts, both SVG), as shown: its font size
# times the scale its drawing is shown at.
SHOWN_TEXT_SIZES = """() => {
  const sizes = [];
  for (const node of document.querySelectorAll('svg text')) {
    const words = node.textContent.trim();
    const box = node.getBoundingClientRect();
    if (!words || (box.width === 0 && box.height === 0)) continue;
    const matrix = node.getScreenCTM();
    const scale = matrix ? Math.hypot(matrix.a, matrix.b) : 1;
    const holder = node.closest('[class*="st-key-"]');
    const key = holder ? [...holder.classList].find(name => name.startsWith('st-key-')) : 'no key';
    sizes.push([parseFloat(getComputedStyle(node).fontSize) * scale, key, words.slice(0, 30)]);
  }
  return sizes;
}"""
SMALLEST_TEXT_PX = 11  # explainer.figures.svg.MIN_TEXT_PX


def small_text(page, where: str) -> list[str]:
    """Words in a figure shown smaller than 11 px (one line per figure, with an example)."""
    small = {}
    for size, key, words in page.evaluate(SHOWN_TEXT_SIZES):
        if size < SMALLEST_TEXT_PX - 0.05:
            small.setdefault(key, (size, words))
    return [f"{where}: {key} shows {words!r} at {size:.1f} px" for key, (size, words) in small.items()]


def choose(page, control_key: str, option: str) -> None:
    page.locator(f".st-key-{control_key} button", has_text=re.compile(f"^{re.escape(option)}$")).first.click()


def test_every_section_and_view_passes_axe_core(server_url, page):
    page.goto(f"{server_url}/?a=50&b=18&t=3")
    settle(page, SECTION_MARKERS["Inside one step"])
    problems = blocking_violations(page, "first visit") + phone_problems(page, "first visit")
    problems += small_text(page, "first visit")
    for section in ("The weights", "Train it yourself", "What did it learn?"):
        choose(page, "section", section)
        settle(page, SECTION_MARKERS[section])
        problems += blocking_violations(page, section) + phone_problems(page, section) + small_text(page, section)
    for view, marker in VIEW_MARKERS.items():
        choose(page, "insight_view", view)
        settle(page, marker)
        problems += blocking_violations(page, view) + phone_problems(page, view) + small_text(page, view)
    # The transplant panel's typed source (its radio and two boxes), and the message for a box that does not parse.
    page.locator(f".st-key-{TRANSPLANT_SOURCE} label", has_text="a pair I type").first.click()
    settle(page, f".st-key-{TRANSPLANT_SOURCE_B} input")
    problems += blocking_violations(page, "typed source") + phone_problems(page, "typed source")
    box = page.locator(f".st-key-{TRANSPLANT_SOURCE_A} input")
    box.fill("x")
    box.press("Enter")
    settle(page, "text=Source a must be a whole number")
    problems += blocking_violations(page, "typed source, bad") + phone_problems(page, "typed source, bad")
    assert problems == [], "\n".join(problems)


def test_side_by_side_and_a_long_sum_show_no_text_under_11_px(server_url, page):
    # The second network a visitor can compare without training: the shipped long-sums one (the Network popover;
    # its radio gets the click event itself, as in test_proof_browser).
    page.goto(f"{server_url}/?a=0&b=1099511627775&n=41")
    settle(page, SECTION_MARKERS["Inside one step"])
    problems = small_text(page, "41 columns") + phone_problems(page, "41 columns")
    page.locator(".st-key-network_popover button").first.click()
    option = page.locator("[data-testid='stPopoverBody'] label").filter(has_text="Shipped long-sums model")
    option.first.locator("input").dispatch_event("click")
    page.get_by_text("Shipped long-sums model says", exact=False).first.wait_for()
    page.keyboard.press("Escape")  # close the popover: it would cover the sections
    choose(page, "section", "Side by side")
    settle(page, ".st-key-side_by_side_other_chart svg")
    problems += small_text(page, "Side by side") + phone_problems(page, "Side by side")
    problems += blocking_violations(page, "Side by side")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".st-key-side_by_side_other_chart").screenshot(
        path=str(ARTIFACTS / f"side_by_side_{page.width_name}.png")
    )
    assert problems == [], "\n".join(problems)


def test_a_phone_sees_the_verdict_before_the_presets(server_url, page):
    page.goto(f"{server_url}/?a=50&b=18")
    settle(page, SECTION_MARKERS["Inside one step"])
    verdict = page.get_by_text("The RNN says 50 + 18 = 68 ✓").bounding_box()
    presets = page.locator(".st-key-presets").bounding_box()
    height = WIDTHS[page.width_name][1]
    assert verdict["y"] + verdict["height"] <= height, "the verdict is below the first screen"
    assert verdict["y"] < presets["y"], "the presets come before the verdict"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"first_screen_{page.width_name}.png"))


def test_the_step_keys_work_from_the_keyboard(server_url, page):
    page.goto(f"{server_url}/?a=127&b=1&t=0")
    settle(page, SECTION_MARKERS["Inside one step"])
    page.get_by_label("b", exact=True).focus()
    next_button = page.locator(".st-key-timestep_next button")
    for _ in range(80):  # Tab along the page, as a keyboard user does, until Next has the focus
        page.keyboard.press("Tab")
        if next_button.evaluate("button => button === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the Next ▶ step button")
    page.keyboard.press("Enter")
    page.get_by_text("Step t = 1").first.wait_for()
    next_button.focus()  # a rerun may redraw the button; the focus goes back to it as a user's Tab would
    page.keyboard.press("Space")
    page.get_by_text("Step t = 2").first.wait_for()
    page.wait_for_function("() => location.search.includes('t=2')")


def test_walk_the_whole_tour(server_url, page, shipped):
    """From the offer through every stop to Finish: each stop sets what it says, and leaving restores the page."""
    page.goto(f"{server_url}/?a=12&b=30&t=2")
    settle(page, SECTION_MARKERS["Inside one step"])
    page.get_by_role("button", name="Take the tour").click()
    ARTIFACTS.mkdir(exist_ok=True)
    problems = []
    for index, stop in enumerate(STOPS):
        number = index + 1
        page.get_by_text(f"Tour, stop {number} of {len(STOPS)}: {stop.title_for(shipped)}").wait_for()
        marker = VIEW_MARKERS[stop.view] if stop.view else SECTION_MARKERS[stop.section]
        if stop.view == "Ablation":
            marker = ".st-key-insight_ablation_bits .js-plotly-plot"
        settle(page, marker)
        a, b, _ = stop.operands(shipped)
        expected = {"tour": str(number), "a": str(a), "b": str(b), "t": str(stop.column(shipped))}
        zeroed = stop.zeroed_units(shipped)
        page.wait_for_function(
            "expected => { const q = new URLSearchParams(location.search);"
            " return Object.entries(expected).every(([k, v]) => q.get(k) === v); }",
            arg=expected,
        )
        search = page.evaluate("location.search")
        assert ("ablate=" in search) == bool(zeroed), search
        assert page.get_by_label("a", exact=True).input_value() == str(a)
        if stop.section == "Inside one step":
            page.get_by_text(f"Step t = {stop.column(shipped)}").first.wait_for()
        page.screenshot(path=str(ARTIFACTS / f"tour_{page.width_name}_stop{number}.png"))
        # The whole page where the stop shows something no other audit here sees (an ablation, a long sum);
        # elsewhere its card, the rest being the section and view audited above.
        where = None if stop.zero_carry_units or a + b >= 2**8 else ".st-key-tour_card"
        problems += blocking_violations(page, f"tour stop {number}", where)
        problems += phone_problems(page, f"tour stop {number}")
        page.get_by_role("button", name="Finish" if number == len(STOPS) else "Next stop ▶").click()
    page.wait_for_function(
        "() => { const q = new URLSearchParams(location.search);"
        " return !q.has('tour') && !q.has('ablate')"
        " && q.get('a') === '12' && q.get('b') === '30' && q.get('t') === '2'; }"
    )
    page.get_by_text("The RNN says 12 + 30 = 42 ✓").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    assert problems == [], "\n".join(problems)
