"""What a step click costs on the wire, and how long it takes over a phone's network: a real ``streamlit run``
driven by Chromium with its network emulated.

    python -m bench.bench_clicks_network [--clicks 10] [--changes 2] [--json PATH]

- bytes per interaction, from the click until the run's ``script_finished`` message arrives: on the wire (a
  relay between Chromium and the server counts what the server sends, after the WebSocket's per-message
  compression) and the messages' own bytes (Playwright's ``framereceived``, as inflated in the browser); per
  "Next ▶" click at 8 columns (50 + 18) and at 41 columns (the "40-bit pair"), per click on the next column of
  the drawing at 41 columns (the same step, chosen there), per change of a number at 41 columns.
- click → new step visible: measured inside Chromium, as ``bench/bench_clicks.py`` does (the click event to
  the frame that paints "Step t = N reads"), p50 and p95, for each network:

  | profile | down | up | latency |
  |---|---|---|---|
  | 127.0.0.1 | unthrottled | unthrottled | 0 |
  | 4G | 4 Mbit/s | 3 Mbit/s | 40 ms |
  | 3G | 1.6 Mbit/s | 0.75 Mbit/s | 150 ms |

  The network is emulated once the page has loaded (the first view is ``bench/bench_network.py``'s to measure; here
  only what a click costs): Chromium's CDP ``Network.emulateNetworkConditions`` limits the throughput, and the relay
  holds every chunk back for half the latency each way, because Chromium does not delay a WebSocket's messages by
  its emulated latency (``tests/support/relay.py``).

Exits non-zero if a target in ``TARGETS`` is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from bench.bench_clicks import CLICK, CLICK_AND_WAIT, percentile
from tests.support.browser import HIDDEN_STATE_CELL, launch_chromium, streamlit_server, wait_until_healthy
from tests.support.network import PROFILES, Profile, emulate_network, ends_a_run
from tests.support.relay import CountingRelay

TIMEOUT_MS = 120_000
# Clicks "Next ▶" (or the column `timestep` of the drawing) and resolves with [ms until the step's text is in the
# page, ms until the unfolded drawing's chosen column is `timestep`], each plus the animation frame that paints it
# (as bench_clicks.CLICK_AND_WAIT).
CLICK_AND_WAIT_DRAWN = """
async ([expected, timestep, timeoutMs, onColumn]) => {
  const click = CLICK_ON(onColumn ? timestep : 'Next ▶');
  const started = performance.now();
  const textSeen = () => [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
    .some(block => block.textContent.includes(expected));
  const drawn = () => document.querySelector(
    `.st-key-unfolded_chart g.chosen-column[data-t="${timestep}"] rect.outline`) !== null;
  const times = [null, null];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { observer.disconnect(); reject(new Error('timeout: ' + expected)); }, timeoutMs);
    const check = () => {
      if (times[0] === null && textSeen()) times[0] = performance.now();
      if (times[1] === null && drawn()) times[1] = performance.now();
      if (times[0] !== null && times[1] !== null) { observer.disconnect(); clearTimeout(timer); resolve(); }
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
    click();
  });
  await new Promise(resolve => requestAnimationFrame(() => resolve()));
  const frame = performance.now() - Math.max(...times);
  return times.map(time => time - started + frame);
}
""".replace("CLICK_ON", CLICK.strip())
# What answering a click in the browser would cost at best: put a column's marks (already in the page) into the
# drawing again and wait for the frame that paints them. Resolves with the median of `count` swaps, in ms.
LOCAL_SWAP = """
async (count) => {
  const marks = document.querySelector('.st-key-unfolded_chart g.chosen-column');
  const html = marks.innerHTML;
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    marks.innerHTML = html;
    marks.getBoundingClientRect();
    await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(count / 2)];
}
"""
SHORT_PAIR = (50, 18)  # 8 columns
LONG_PAIR = (1_000_000_000_000, 999_999_999_999)  # 41 columns


TARGETS = {  # (measure, limit)
    "click_bytes_41_columns_median": 10_000,
    "column_click_bytes_41_columns_median": 10_000,
    "127.0.0.1 click_visible_41_columns_p50_ms": 150.0,
    "4G click_visible_41_columns_p50_ms": 200.0,
    "3G click_visible_41_columns_p50_ms": 400.0,
}


class Wire:
    """The frames the server sent over the page's WebSocket, and whether each ended a script run."""

    def __init__(self, page, relay: CountingRelay) -> None:
        self.sizes: list[int] = []
        self.socket = None
        self.relay = relay
        page.on("websocket", self._opened)

    def _opened(self, socket) -> None:
        if "/_stcore/stream" in socket.url:
            self.socket = socket
            socket.on("framereceived", lambda payload: self.sizes.append(len(payload)))

    def interaction(self, action) -> tuple[int, int, object]:
        """Run ``action()`` and wait for the server's ``script_finished``; returns the bytes sent in between (on the
        wire, and the messages' own) and what ``action`` returned."""
        start, wire_start = len(self.sizes), self.relay.bytes_to_client
        with self.socket.expect_event("framereceived", predicate=ends_a_run, timeout=TIMEOUT_MS):
            result = action()
        return self.relay.bytes_to_client - wire_start, sum(self.sizes[start:]), result


def emulate(page, relay: CountingRelay, profile: Profile) -> None:
    """``profile``'s network on ``page``; its latency added by the relay too, since Chromium does not apply it to a
    WebSocket's messages."""
    relay.one_way_delay = profile.latency_ms / 2 / 1000
    emulate_network(page, profile)


def clicks(
    page, wire: Wire, timesteps: int, count: int, on_column: bool = False
) -> tuple[list[int], list[int], list[float], list[float]]:
    """``count`` "Next ▶" clicks (or clicks on the next column of the drawing) from the current step, wrapping back
    to t = 0 with "◀ Previous" clicks (not counted): bytes on the wire, messages' bytes, ms until the step's text
    shows, ms until the drawing's chosen column moved."""
    on_wire, sent, visible, drawn = [], [], [], []
    step = int(page.locator(".st-key-unfolded_chart g.chosen-column").get_attribute("data-t"))
    while len(sent) < count:
        if step == timesteps - 1:
            while step > 0:
                step -= 1
                wire.interaction(
                    lambda s=step: page.evaluate(CLICK_AND_WAIT, ["◀ Previous", f"Step t = {s} reads", TIMEOUT_MS])
                )
        step += 1
        wire_size, size, (text_ms, drawn_ms) = wire.interaction(
            lambda s=step: page.evaluate(CLICK_AND_WAIT_DRAWN, [f"Step t = {s} reads", s, TIMEOUT_MS, on_column])
        )
        on_wire.append(wire_size)
        sent.append(size)
        visible.append(text_ms)
        drawn.append(drawn_ms)
    return on_wire, sent, visible, drawn


def change_a(page, a: int, b: int) -> None:
    box = page.get_by_label("a", exact=True)
    box.fill(str(a))
    box.press("Enter")
    page.get_by_text(f"{a} + {b} = {a + b} ✓").first.wait_for(timeout=TIMEOUT_MS)


def measure_profile(browser, relay: CountingRelay, profile: Profile, click_count: int, change_count: int) -> dict:
    results: dict = {}
    url = f"http://127.0.0.1:{relay.port}"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        wire = Wire(page, relay)
        for label, (a, b) in (("8_columns", SHORT_PAIR), ("41_columns", LONG_PAIR)):
            page.goto(f"{url}/?a={a}&b={b}&t=0")
            page.get_by_text(f"= {a + b} ✓").first.wait_for(timeout=TIMEOUT_MS)
            page.locator(HIDDEN_STATE_CELL).first.wait_for(timeout=TIMEOUT_MS)
            page.get_by_text("Step t = 0 reads").first.wait_for(timeout=TIMEOUT_MS)
            emulate(page, relay, profile)
            on_wire, sent, visible, drawn = clicks(page, wire, (a + b).bit_length(), click_count)
            results[f"click_bytes_{label}_median"] = statistics.median(on_wire)
            results[f"click_bytes_{label}_max"] = max(on_wire)
            results[f"click_message_bytes_{label}_median"] = statistics.median(sent)
            results[f"click_visible_{label}_p50_ms"] = statistics.median(visible)
            results[f"click_visible_{label}_p95_ms"] = percentile(visible, 0.95)
            results[f"click_drawn_{label}_p50_ms"] = statistics.median(drawn)
        # Clicks on the next column of the drawing: the same step as "Next ▶", chosen in the drawing.
        on_wire, sent, visible, drawn = clicks(page, wire, sum(LONG_PAIR).bit_length(), click_count, on_column=True)
        results["column_click_bytes_41_columns_median"] = statistics.median(on_wire)
        results["column_click_bytes_41_columns_max"] = max(on_wire)
        results["column_click_message_bytes_41_columns_median"] = statistics.median(sent)
        results["column_click_visible_41_columns_p50_ms"] = statistics.median(visible)
        results["column_click_drawn_41_columns_p50_ms"] = statistics.median(drawn)
        results["local_swap_41_columns_p50_ms"] = page.evaluate(LOCAL_SWAP, 21)
        changes, change_messages = [], []
        for index in range(change_count):  # a new 41-column pair: the new drawing goes out
            a = LONG_PAIR[0] + 37 * (index + 1)
            wire_size, size, _ = wire.interaction(lambda a=a: change_a(page, a, LONG_PAIR[1]))
            changes.append(wire_size)
            change_messages.append(size)
        if changes:
            results["change_bytes_41_columns_median"] = statistics.median(changes)
            results["change_message_bytes_41_columns_median"] = statistics.median(change_messages)
    finally:
        relay.one_way_delay = 0.0
        context.close()
    return results


def measure(click_count: int, change_count: int, profiles: tuple[Profile, ...] = tuple(PROFILES.values())) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict = {"clicks": click_count, "changes": change_count, "profiles": [p.name for p in profiles]}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            with streamlit_server() as (url, process):
                wait_until_healthy(url, process)
                with CountingRelay(int(url.rsplit(":", 1)[1])) as relay:
                    for profile in profiles:
                        for name, value in measure_profile(browser, relay, profile, click_count, change_count).items():
                            results[f"{profile.name} {name}"] = value
        finally:
            browser.close()
    # Bytes do not depend on the network: the unthrottled run's are the figures.
    kinds = (
        "click_bytes_8_columns",
        "click_bytes_41_columns",
        "column_click_bytes_41_columns",
        "change_bytes_41_columns",
    )
    for kind in kinds:
        for name in (f"{kind}_median", f"{kind.replace('_bytes', '_message_bytes')}_median"):
            if f"127.0.0.1 {name}" in results:
                results[name] = results[f"127.0.0.1 {name}"]
    return results


def print_table(results: dict) -> None:
    kb = lambda value: f"{value / 1000:.1f} kB"  # noqa: E731
    print(f"Bytes the server sends per interaction, on the wire (messages' own bytes), median of {results['clicks']}:")
    print("| | 'Next ▶', 8 columns | 'Next ▶', 41 columns | a column clicked, 41 columns | new number, 41 columns |")
    print("|---|---|---|---|---|")
    profiles = [PROFILES[name] for name in results["profiles"]]
    for profile in profiles:
        cells = []
        for kind in (
            "click_bytes_8_columns",
            "click_bytes_41_columns",
            "column_click_bytes_41_columns",
            "change_bytes_41_columns",
        ):
            wire = results.get(f"{profile.name} {kind}_median")
            own = results.get(f"{profile.name} {kind.replace('_bytes', '_message_bytes')}_median")
            cells.append("–" if wire is None else f"{kb(wire)} ({kb(own)})")
        print(f"| {profile.name} | {' | '.join(cells)} |")
    print()
    print("Click → new step visible in Chromium, p50 / p95 (→ the drawing's chosen column moved, p50):")
    print("| | 8 columns | 41 columns | a column clicked, 41 columns (p50) | target (41 columns, p50) |")
    print("|---|---|---|---|---|")
    for profile in profiles:
        name = profile.name
        cells = []
        for label in ("8_columns", "41_columns"):
            p50, p95 = (results[f"{name} click_visible_{label}_{which}_ms"] for which in ("p50", "p95"))
            cells.append(f"{p50:.0f} / {p95:.0f} ms ({results[f'{name} click_drawn_{label}_p50_ms']:.0f} ms)")
        column = results[f"{name} column_click_visible_41_columns_p50_ms"]
        cells.append(f"{column:.0f} ms ({results[f'{name} column_click_drawn_41_columns_p50_ms']:.0f} ms)")
        target = f"≤ {TARGETS[f'{name} click_visible_41_columns_p50_ms']:.0f} ms"
        print(f"| {name} | {' | '.join(cells)} | {target} |")
    swap = results[f"{profiles[0].name} local_swap_41_columns_p50_ms"]
    print(f"Answering in the browser at best (a column's marks swapped in place, to the painted frame): {swap:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=10)
    parser.add_argument("--changes", type=int, default=2)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--profiles", nargs="+", choices=list(PROFILES), default=list(PROFILES))
    arguments = parser.parse_args()
    chosen = tuple(PROFILES[name] for name in arguments.profiles)
    results = measure(arguments.clicks, arguments.changes, chosen)
    print_table(results)
    print(json.dumps({"benchmark": "clicks_network", **results}))
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as file:
            json.dump(results, file, indent=2)
    missed = [name for name, limit in TARGETS.items() if name in results and results[name] > limit]
    if missed:
        print(f"missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
