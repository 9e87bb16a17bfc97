"""Issue 22 item 7, in Debian's Chromium: the views are linked. Hovering a cell of the unfolded addition outlines its
column in every panel; clicking (or tapping) a column makes it the page's step, as the slider and "Next ▶" do, so
the step's caption, the address bar's t and the views that follow the step change with it. Hovering a column (or
focusing its button) also rings its point in the state space and its state in the machine, and marks the step view,
all in the browser: no WebSocket frame, no server CPU beyond its idle ticks."""

from __future__ import annotations

import time

import pytest

from tests.support.browser import PROJECT_ROOT, require_browser, streamlit_server, wait_until_healthy
from tests.support.network import ends_a_run
from tests.support.processes import TICK_SECONDS, cpu_seconds

require_browser()

from axe_playwright_python.sync_playwright import Axe  # noqa: E402  (after require_browser: it may skip)

pytestmark = pytest.mark.browser

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
DRAWING = ".st-key-unfolded_chart"
CHOSEN = f"{DRAWING} g.chosen-column"
HOVER = f"{DRAWING} g.hover-column"


@pytest.fixture(scope="module")
def server():
    """This module's own server, so that its process's CPU time can be read (tests.support.processes)."""
    with streamlit_server() as (url, process):
        wait_until_healthy(url, process)
        yield url, process


@pytest.fixture(scope="module")
def server_url(server):
    return server[0]


def hovered_column(page) -> str | None:
    """The timestep the hover outline marks, or None while it is hidden."""
    return page.locator(HOVER).evaluate("g => g.getAttribute('visibility') === 'visible' ? g.dataset.t : null")


def outline_boxes(page, selector: str) -> list[tuple[float, float]]:
    """Left and right edges, on screen, of each panel's outline in ``selector``."""
    return page.locator(f"{selector} rect").evaluate_all(
        "rects => rects.map(r => { const b = r.getBoundingClientRect(); return [b.left, b.right]; })"
    )


def wait_for_step(page, timestep: int) -> None:
    page.locator(f"{CHOSEN}[data-t='{timestep}'] rect.outline").first.wait_for(timeout=60_000)
    page.get_by_text(f"Step t = {timestep} reads").first.wait_for(timeout=60_000)
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('t') === '{timestep}'", timeout=30_000)


def test_hovering_a_heatmap_cell_outlines_its_column_and_a_click_selects_it(server_url, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        sockets = []
        page.on("websocket", lambda socket: sockets.append(socket) if "/_stcore/stream" in socket.url else None)
        page.goto(f"{server_url}/?a=50&b=18&t=4")
        wait_for_step(page, 4)
        assert hovered_column(page) is None

        # A heatmap cell (unit 6, t = 3): its column is outlined in the addition, the heatmap and the output.
        cell = page.locator(f"{DRAWING} .hidden-state rect[data-unit='6'][data-t='3']")
        cell.hover()
        page.wait_for_function(f"() => document.querySelector('{HOVER}').dataset.t === '3'", timeout=10_000)
        outlines = outline_boxes(page, HOVER)
        assert len(outlines) == 3
        addition_cell = page.locator(f"{DRAWING} .addition rect[data-row='a'][data-t='3']").bounding_box()
        heatmap_cell = cell.bounding_box()
        for left, right in outlines:  # every panel's outline is around the same column
            assert left <= addition_cell["x"] and addition_cell["x"] + addition_cell["width"] <= right
            assert left <= heatmap_cell["x"] and heatmap_cell["x"] + heatmap_cell["width"] <= right + 1
        # Hovering a covered column (past the step) outlines that one; leaving the drawing hides the outline.
        page.locator(f"{DRAWING} .output rect[data-t='5']").hover(force=True)
        page.wait_for_function(f"() => document.querySelector('{HOVER}').dataset.t === '5'", timeout=10_000)
        page.mouse.move(1, 1)
        page.wait_for_function(
            f"() => document.querySelector('{HOVER}').getAttribute('visibility') === 'hidden'", timeout=10_000
        )
        ARTIFACTS.mkdir(exist_ok=True)

        # A click selects the column: the step's caption, the address bar and the chosen outline follow.
        cell.click()
        wait_for_step(page, 3)
        assert page.locator(".st-key-timestep input").input_value() == "3"  # the step slider moved too
        page.locator(f"{DRAWING} .hidden-state rect[data-unit='6'][data-t='1']").hover()
        page.wait_for_function(f"() => document.querySelector('{HOVER}').dataset.t === '1'", timeout=10_000)
        page.locator(DRAWING).screenshot(path=str(ARTIFACTS / "linked_views_desktop.png"))
        # A click on a covered column steps forward to it.
        page.locator(f"{DRAWING} .addition rect[data-row='a'][data-t='6']").click(force=True)
        wait_for_step(page, 6)
        # "Next ▶" goes on from the clicked column.
        page.get_by_role("button", name="Next ▶").click()
        wait_for_step(page, 7)

        # The keyboard: the columns are buttons under the time axis, one tab stop, arrows move, Enter selects.
        first = page.get_by_role("button", name="Show step t=0 (the 2⁰ column)")
        first.focus()
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        assert page.evaluate("() => document.activeElement.dataset.t") == "2"
        assert hovered_column(page) == "2"
        page.keyboard.press("Enter")
        wait_for_step(page, 2)
        # The chosen column's button is the current step for screen readers, and the drawing's one tab stop.
        page.wait_for_function(
            f"""() => [...document.querySelectorAll('{DRAWING} .column-button')].every(button =>
                 (button.dataset.t === '2') === (button.getAttribute('aria-current') === 'step'
                                                && button.getAttribute('tabindex') === '0'))""",
            timeout=10_000,
        )

        # The column comes from the browser: anything but a column of this sum is ignored, and the page carries on.
        host = page.locator(f"{DRAWING} .drawing")
        for junk in ("5", -1, 8, 2.5, True, None, [3]):
            with sockets[-1].expect_event("framereceived", predicate=ends_a_run, timeout=30_000):
                host.evaluate("(host, value) => host.select(value)", junk)  # the run it starts ends
        wait_for_step(page, 2)
        host.evaluate("host => host.select(5)")
        wait_for_step(page, 5)
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        context.close()


def test_a_tap_on_a_phone_selects_the_column(server_url, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{server_url}/?a=127&b=1&t=0")
        wait_for_step(page, 0)
        cell = page.locator(f"{DRAWING} .hidden-state rect[data-unit='0'][data-t='2']")
        cell.scroll_into_view_if_needed()
        cell.tap(force=True)
        wait_for_step(page, 2)
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator(DRAWING).screenshot(path=str(ARTIFACTS / "linked_views_phone.png"))
    finally:
        context.close()


def ringed(page, chart: str) -> list:
    """What the Plotly chart ``chart`` rings as the current step: its "current step" traces' hover texts."""
    return page.locator(f".st-key-{chart} .js-plotly-plot").evaluate(
        "plot => plot.data.filter(trace => trace.meta === 'current step').map(trace => trace.hovertemplate)"
    )


def test_the_state_space_and_the_machine_ring_the_chosen_step(server_url, browser):
    """ "What did it learn?" follows the step: the state space rings h_t, the machine the state h_t is in, and a
    click on a column of the addition moves both."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        for view, chart in (("state-space", "insight_state_space"), ("extracted-machine", "insight_machine_diagram")):
            page.goto(f"{server_url}/?a=127&b=1&t=2&section=what-did-it-learn&view={view}")
            page.locator(f".st-key-{chart} .js-plotly-plot").wait_for(timeout=120_000)
            page.get_by_text("after step t=2", exact=False).first.wait_for(timeout=60_000)
            (before,) = ringed(page, chart)
            assert "after step t=2" in before
            # The link brought the section into sight (ui/scroll.py, which keeps it there while the page settles
            # unless the visitor scrolls, clicks or types): once it has, a key press makes the page the visitor's
            # (a wheel would too, but its smooth scroll could still be moving the drawing under the click), then the
            # click scrolls the addition back into sight.
            page.wait_for_function(
                "() => { const part = document.querySelector('.st-key-section_view');"
                " return part && Math.abs(part.getBoundingClientRect().top - 64) <= 8; }",
                timeout=60_000,
            )
            page.keyboard.press("Shift")
            page.locator(f"{DRAWING} .hidden-state rect[data-unit='0'][data-t='4']").click(force=True)
            page.wait_for_function("() => new URLSearchParams(location.search).get('t') === '4'", timeout=30_000)
            page.get_by_text("after step t=4", exact=False).first.wait_for(timeout=60_000)
            page.wait_for_function(
                f"""() => {{
                  const plot = document.querySelector('.st-key-{chart} .js-plotly-plot');
                  return plot && plot.data && plot.data.some(
                    trace => trace.meta === 'current step' && trace.hovertemplate.includes('after step t=4'));
                }}""",
                timeout=60_000,
            )
            page.locator(f".st-key-{chart}").screenshot(path=str(ARTIFACTS / f"linked_{view}.png"))
    finally:
        context.close()


class Wire:
    """Counts the WebSocket frames between ``page`` and the server, both ways, and the page's HTTP requests."""

    def __init__(self, page) -> None:
        self.frames = 0
        self.requests: list[str] = []
        page.on("websocket", self._opened)
        page.on("request", lambda request: self.requests.append(request.url))

    def _opened(self, socket) -> None:
        if "/_stcore/stream" in socket.url:
            for event in ("framesent", "framereceived"):
                socket.on(event, self._count)

    def _count(self, _payload) -> None:
        self.frames += 1


class Meter:
    """Frames and HTTP requests on ``wire``, server CPU and wall time, summed over the stretches between
    :meth:`start` and :meth:`stop` (an axe-core audit in between takes seconds of the browser and none of the
    server); after each stretch, the server's CPU over as long a stretch with nothing happening: the baseline."""

    def __init__(self, wire: Wire, pid: int) -> None:
        self.wire, self.pid = wire, pid
        self.frames, self.cpu, self.idle_cpu, self.seconds, self.stretches = 0, 0.0, 0.0, 0.0, 0
        self.requests: list[str] = []

    def start(self) -> None:
        """Wait for the server to go quiet (its CPU counter still for a second, as bench/bench_clicks.py waits after
        a run), then start a stretch."""
        cpu, still_since, deadline = (
            cpu_seconds(self.pid, with_descendants=True),
            time.monotonic(),
            time.monotonic() + 20,
        )
        while time.monotonic() - still_since < 1 and time.monotonic() < deadline:
            time.sleep(0.05)  # polling a counter, not waiting for a result
            now = cpu_seconds(self.pid, with_descendants=True)
            if now != cpu:
                cpu, still_since = now, time.monotonic()
        self._at = (
            self.wire.frames,
            len(self.wire.requests),
            cpu_seconds(self.pid, with_descendants=True),
            time.monotonic(),
        )

    def stop(self) -> None:
        frames, requests, cpu, at = self._at
        self.frames += self.wire.frames - frames
        self.requests += self.wire.requests[requests:]
        now = cpu_seconds(self.pid, with_descendants=True)
        self.cpu += now - cpu
        seconds = time.monotonic() - at
        self.seconds += seconds
        self.stretches += 1
        time.sleep(seconds)
        self.idle_cpu += cpu_seconds(self.pid, with_descendants=True) - now


def point_centre(page, chart: str, trace: dict, index: int | str) -> tuple[float, float]:
    """Where Plotly drew point ``index`` (a number, or the point's text) of the trace of ``chart`` whose attributes
    include ``trace``, on screen."""
    return tuple(
        page.locator(f".st-key-{chart} .js-plotly-plot").evaluate(
            """(plot, [wanted, index]) => {
                 const group = [...plot.querySelectorAll('.scatterlayer g.trace')].find(g =>
                   Object.entries(wanted).every(([name, value]) => g.__data__[0].trace[name] === value));
                 const at = typeof index === 'string' ? group.__data__[0].trace.text.indexOf(index) : index;
                 const box = group.querySelectorAll('path.point')[at].getBoundingClientRect();
                 return [box.left + box.width / 2, box.top + box.height / 2];
               }""",
            [trace, index],
        )
    )


def hover_ring(page, chart: str) -> dict | None:
    """The hover ring in ``chart``: its column, centre and diameter on screen; None if there is none."""
    return page.locator(f".st-key-{chart} .js-plotly-plot").evaluate(
        """plot => {
             const ring = plot.querySelector('.hover-ring');
             if (!ring) return null;
             const box = ring.getBoundingClientRect(), style = getComputedStyle(ring);
             return { t: ring.dataset.t, centre: [box.left + box.width / 2, box.top + box.height / 2],
                      size: box.width, border: style.borderTopStyle + ' ' + style.borderTopColor };
           }"""
    )


def hover_column(page, timestep: int) -> None:
    page.locator(f"{DRAWING} .hidden-state rect[data-unit='0'][data-t='{timestep}']").hover(force=True)
    page.wait_for_function(f"() => document.querySelector('{HOVER}').dataset.t === '{timestep}'", timeout=10_000)


def settle(page, wire: Wire) -> None:
    """Wait until no frame has passed for two seconds: the page's runs are over."""
    last = -1
    while last != wire.frames:
        last = wire.frames
        page.wait_for_timeout(2_000)


def axe_violations(page, context: str) -> list[str]:
    """Every axe-core violation inside ``context`` (a CSS selector) as the page is now, one line per rule and node."""
    violations = Axe().run(page, context=context).response["violations"]
    return [f"{violation['id']} at {node['target']}" for violation in violations for node in violation["nodes"]]


HIGHLIGHT_DASHED = "dashed rgb(204, 121, 167)"  # explainer.figures.style.HIGHLIGHT (#CC79A7), as the browser says it


def test_hovering_a_column_rings_its_point_and_state_and_marks_the_step_without_the_server(server, browser):
    """Hovering column t (no click) rings h_t in the state space and the state h_t is in in the machine, where Plotly
    drew them, and marks the step view; keyboard focus does the same. All of it in the browser: while the pointer
    moves over the columns, not one WebSocket frame passes and the server's CPU time stays put."""
    url, process = server
    # Tall enough that the drawing and the view below it are both on screen: scrolling one into view would move the
    # other from under the pointer (which ends the hover, as it should).
    context = browser.new_context(viewport={"width": 1400, "height": 2600})
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page = context.new_page()
        wire = Wire(page)
        meter, hovers = Meter(wire, process.pid), 0

        # The step view: another column gets a note, the chosen one an outline.
        page.goto(f"{url}/?a=127&b=1&t=2")
        wait_for_step(page, 2)
        settle(page, wire)
        meter.start()
        note = page.locator(".st-key-step_chart > .hover-step")
        outlined = page.locator(".st-key-step_chart.hovered-step")
        for timestep in (5, 0, 7):
            hover_column(page, timestep)
            note.filter(has_text=f"t = {timestep} — click to open").wait_for(timeout=10_000)
            assert outlined.count() == 0
            hovers += 1
        page.locator(".st-key-step_chart").screenshot(path=str(ARTIFACTS / "linked_hover_step_note.png"))
        meter.stop()
        assert axe_violations(page, ".st-key-step_chart") == []  # with the note shown
        meter.start()
        hover_column(page, 2)
        outlined.wait_for(timeout=10_000)
        assert note.count() == 0
        assert page.locator(".st-key-step_chart").evaluate("e => getComputedStyle(e).outlineStyle") == "dashed"
        page.mouse.move(1, 1)
        note.wait_for(state="detached", timeout=10_000)
        assert outlined.count() == 0
        # Keyboard focus is a hover: the column's button, then the arrow keys.
        page.get_by_role("button", name="Show step t=0 (the 2⁰ column)").focus()
        note.filter(has_text="t = 0 — press Enter to open").wait_for(timeout=10_000)
        page.keyboard.press("ArrowLeft")
        note.filter(has_text="t = 1 — press Enter to open").wait_for(timeout=10_000)
        page.keyboard.press("ArrowLeft")
        outlined.wait_for(timeout=10_000)  # t = 2, the chosen step
        page.evaluate("() => document.activeElement.blur()")
        outlined.wait_for(state="detached", timeout=10_000)
        hovers += 3
        page.wait_for_timeout(500)  # anything a hover had set off would have reached the server by now
        meter.stop()

        # 127 + 1 carries through t = 0…6 and not out of t = 7: the machine's states are "carry 1" then "carry 0".
        carry_out = [1, 1, 1, 1, 1, 1, 1, 0]
        for view, chart, size in (
            ("state-space", "insight_state_space", 20),
            ("extracted-machine", "insight_machine_diagram", 86),
        ):
            page.goto(f"{url}/?a=127&b=1&t=2&section=what-did-it-learn&view={view}")
            page.locator(f".st-key-{chart} .js-plotly-plot").wait_for(timeout=120_000)
            page.get_by_text("after step t=2", exact=False).first.wait_for(timeout=60_000)
            settle(page, wire)
            meter.start()
            assert hover_ring(page, chart) is None
            for timestep in (6, 0, 7, 2):
                hover_column(page, timestep)
                page.wait_for_function(
                    f"() => document.querySelector('.st-key-{chart} .hover-ring')?.dataset.t === '{timestep}'",
                    timeout=10_000,
                )
                ring = hover_ring(page, chart)
                if view == "state-space":  # h_t is point t + 1 of the path (it starts at h₋₁)
                    x, y = point_centre(page, chart, {"name": "this addition"}, timestep + 1)
                else:
                    x, y = point_centre(page, chart, {"mode": "markers+text"}, f"carry {carry_out[timestep]}")
                assert abs(ring["centre"][0] - x) <= 1.5 and abs(ring["centre"][1] - y) <= 1.5, (view, timestep)
                assert ring["size"] == size and ring["border"] == HIGHLIGHT_DASHED
                hovers += 1
                if timestep == 7:
                    page.locator(f".st-key-{chart}").screenshot(path=str(ARTIFACTS / f"linked_hover_{view}.png"))
                    meter.stop()
                    assert axe_violations(page, f".st-key-{chart}") == []  # with the ring shown
                    meter.start()
            # On the chosen step, the hover ring sits on the server's ring.
            ring = hover_ring(page, chart)
            assert ring["t"] == "2"
            x, y = point_centre(page, chart, {"meta": "current step"}, 0)
            assert abs(ring["centre"][0] - x) <= 1.5 and abs(ring["centre"][1] - y) <= 1.5
            page.mouse.move(1, 1)
            page.wait_for_function(f"() => !document.querySelector('.st-key-{chart} .hover-ring')", timeout=10_000)
            page.get_by_role("button", name="Show step t=0 (the 2⁰ column)").focus()
            page.wait_for_function(
                f"() => document.querySelector('.st-key-{chart} .hover-ring')?.dataset.t === '0'", timeout=10_000
            )
            page.evaluate("() => document.activeElement.blur()")
            hovers += 1
            page.wait_for_timeout(500)
            meter.stop()

        print(
            f"{hovers} hovers in {meter.seconds:.1f} s: {meter.frames} WebSocket frames, {len(meter.requests)} HTTP "
            f"requests, {meter.cpu * 1000:.0f} ms of server CPU; as long idle right after each stretch: "
            f"{meter.idle_cpu * 1000:.0f} ms"
        )
        assert meter.frames == 0 and meter.requests == []
        # Nothing beyond the idle baseline but a clock tick of noise per stretch (each reading is whole ticks); one
        # run costs ~20 ms (bench/bench_clicks.py): 16 hovers that each ran the script would cost ~300 ms.
        assert meter.cpu <= meter.idle_cpu + meter.stretches * TICK_SECONDS + 1e-9, (meter.cpu, meter.idle_cpu)
    finally:
        context.close()
