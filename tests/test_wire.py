"""What a step click sends over the network (issue 24), in Debian's Chromium through a relay that counts the
server's bytes on the wire: a click sends the chosen column's marks and the step, not the unfolded drawing again;
a new session, a reload and a dropped connection still draw the whole drawing."""

from __future__ import annotations

import pytest

from tests.support.browser import HIDDEN_STATE_CELL, require_browser
from tests.support.network import ends_a_run
from tests.support.relay import CountingRelay

require_browser()

pytestmark = pytest.mark.browser

LONG_PAIR = (1_000_000_000_000, 999_999_999_999)  # 41 columns
CHOSEN = ".st-key-unfolded_chart g.chosen-column"


@pytest.fixture(scope="module")
def relay(server_url):
    with CountingRelay(int(server_url.rsplit(":", 1)[1])) as relay:
        yield relay


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context
    context.close()


class Messages:
    """The WebSocket messages the server sent to ``page``: their own bytes, and whether a script run ended."""

    def __init__(self, page) -> None:
        self.sizes: list[int] = []
        self.socket = None
        page.on("websocket", self._opened)

    def _opened(self, socket) -> None:
        if "/_stcore/stream" in socket.url:
            self.socket = socket
            socket.on("framereceived", lambda payload: self.sizes.append(len(payload)))


def open_pair(page, relay: CountingRelay, timestep: int) -> None:
    a, b = LONG_PAIR
    page.goto(f"http://127.0.0.1:{relay.port}/?a={a}&b={b}&t={timestep}")
    page.get_by_text(f"= {a + b} ✓").first.wait_for(timeout=60_000)
    assert_drawn(page, timestep)


def assert_drawn(page, timestep: int) -> None:
    """The whole unfolded drawing is in the page (16 units × 41 columns of heatmap) with ``timestep`` chosen."""
    page.locator(f"{CHOSEN}[data-t='{timestep}'] rect.outline").first.wait_for(timeout=60_000)
    page.get_by_text(f"Step t = {timestep} reads").first.wait_for(timeout=60_000)
    assert page.locator(HIDDEN_STATE_CELL).count() == 16 * 41
    assert page.locator(f"{CHOSEN} rect.outline").count() == 3  # one per panel


def click_next(page, messages: Messages, relay: CountingRelay, timestep: int) -> tuple[int, int]:
    """Click "Next ▶" and wait until the server's run ends; the bytes it sent (on the wire, and the messages')."""
    start, wire_start = len(messages.sizes), relay.bytes_to_client
    with messages.socket.expect_event("framereceived", predicate=ends_a_run, timeout=60_000):
        page.get_by_role("button", name="Next ▶").click()
    assert_drawn(page, timestep)
    return relay.bytes_to_client - wire_start, sum(messages.sizes[start:])


def test_a_step_click_sends_a_few_kilobytes_at_41_columns(context, relay):
    page = context.new_page()
    messages = Messages(page)
    open_pair(page, relay, 0)
    page.locator(HIDDEN_STATE_CELL).first.evaluate("cell => { cell.dataset.drawnBefore = 'yes'; }")
    for timestep in (1, 2, 3):
        on_wire, own = click_next(page, messages, relay, timestep)
        assert on_wire <= 10_000, (timestep, on_wire)
        # The messages themselves (what the wire carries before per-message compression): the marks and the step,
        # not the unfolded drawing's body (~17 kB compressed at 41 columns) again.
        assert own <= 14_000, (timestep, own)
    # The body was drawn once: the cell marked before the clicks is still the one in the page.
    assert page.locator(HIDDEN_STATE_CELL).first.get_attribute("data-drawn-before") == "yes"


def test_choosing_a_column_in_the_drawing_costs_what_a_next_click_costs(context, relay):
    """Issue 22 item 7: a click on a column of the unfolded addition sets the same step "Next ▶" sets, through one
    small event from the drawing: the server sends the marks and the step, not the body again."""
    page = context.new_page()
    messages = Messages(page)
    open_pair(page, relay, 0)
    page.locator(HIDDEN_STATE_CELL).first.evaluate("cell => { cell.dataset.drawnBefore = 'yes'; }")
    next_wire, next_own = click_next(page, messages, relay, 1)
    for timestep in (2, 3, 4):
        start, wire_start = len(messages.sizes), relay.bytes_to_client
        cell = page.locator(f".st-key-unfolded_chart .hidden-state rect[data-unit='0'][data-t='{timestep}']")
        with messages.socket.expect_event("framereceived", predicate=ends_a_run, timeout=60_000):
            cell.click(force=True)  # covered (not reached yet) until the click reaches it
        assert_drawn(page, timestep)
        on_wire, own = relay.bytes_to_client - wire_start, sum(messages.sizes[start:])
        assert on_wire <= 10_000 and on_wire <= 1.15 * next_wire, (timestep, on_wire, next_wire)
        assert own <= 14_000 and own <= 1.15 * next_own, (timestep, own, next_own)
    assert page.locator(HIDDEN_STATE_CELL).first.get_attribute("data-drawn-before") == "yes"


def test_a_second_tab_a_reload_and_a_dropped_connection_still_draw_the_whole_drawing(context, browser, relay):
    page = context.new_page()
    messages = Messages(page)
    open_pair(page, relay, 0)
    click_next(page, messages, relay, 1)

    # A second visitor (its own session, an empty browser cache) gets the body in full.
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        open_pair(other.new_page(), relay, 1)
    finally:
        other.close()

    # The connection drops and Streamlit reconnects by itself: the drawing stays, and steps still move it.
    with page.expect_websocket(timeout=60_000):
        relay.drop_connections()
    page.get_by_role("button", name="Next ▶").click()
    assert_drawn(page, 2)

    # A reload starts a new session in the same tab: the body arrives again.
    page.reload()
    page.get_by_text(f"= {sum(LONG_PAIR)} ✓").first.wait_for(timeout=60_000)
    assert_drawn(page, 2)


@pytest.mark.parametrize("level", [0, 1, 6, 9])  # stored blocks; fixed Huffman codes; dynamic ones
def test_the_browsers_synchronous_inflate_gives_back_what_zlib_packed(browser, shipped_weights, level):
    """ui.charts inflates a click's marks with its own small decoder (not the browser's asynchronous one): it must
    give back, character for character, the marks, bodies and step drawings that ``zlib`` packed."""
    import json
    import zlib

    from explainer import trace_addition
    from explainer.figures.step_drawing import step_drawing
    from explainer.figures.unfolded_drawing import unfolded_drawing
    from ui.charts import _INFLATE_SCRIPT

    texts = ["", "é ✓ 2⁵ σ"]
    for a, b in [(50, 18), LONG_PAIR, (0, 0)]:
        trace = trace_addition(shipped_weights, a, b)
        drawing = unfolded_drawing(trace)
        last = trace.timesteps - 1
        texts += [
            json.dumps({"marks": drawing.chosen_column(last), "column": last}),
            json.dumps({"marks": drawing.chosen_column(None), "column": None}),
            drawing.body,
            step_drawing(trace, shipped_weights, last),
        ]
    cases = [[text, list(zlib.compress(text.encode(), level))] for text in texts]
    page = browser.new_page()
    try:
        wrong = page.evaluate(
            """([script, cases]) => {
              const inflateSync = new Function(script + '\\nreturn inflateSync;')();
              return cases.map(([text, bytes], index) => inflateSync(new Uint8Array(bytes)) === text ? -1 : index)
                .filter(index => index >= 0);
            }""",
            [_INFLATE_SCRIPT, cases],
        )
    finally:
        page.close()
    assert wrong == []
