"""How long a tour stop takes to show its words and its chart on a fresh server, in Chromium.

    python -m bench.bench_tour [--rounds 3] [--read 3] [--before /path/to/another/checkout] [--shots DIR]

Each round starts ``streamlit run`` (nothing computed yet), opens ``/?tour=4``, waits for that stop's card,
then (after ``--read`` seconds, a reader reading it) presses "Next stop ▶" and times until stop 5's title, its
words and its state-space chart show: the first visitor's wait, since the analyses behind stop 5 are computed
once per server process. With ``--before``, rounds alternate between that checkout and this one, so the two are
measured in the same hour on the same machine (timings are noisy on 2 cores: compare them within one run).
``--shots`` keeps a screenshot taken 0.8 s after the press (a spinner shows after 0.5 s).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
from pathlib import Path

from tests.support.browser import PROJECT_ROOT, launch_chromium, streamlit_server, wait_until_healthy

TARGET_WORDS_SECONDS = 1.0  # a reader who read stop 4 for --read seconds waits at most this for stop 5's words
STOP_5_TITLE = "stop 5 of 7"
STOP_5_WORDS = "Here every hidden state"
STOP_5_CHART = ".st-key-insight_state_space .js-plotly-plot"  # the state-space chart, drawn

WATCH_SCRIPT = """([title, words, chart]) => {
    window.__seen = {};
    let pressed = null;
    document.addEventListener("click", () => { if (pressed === null) pressed = performance.now(); }, true);
    const look = () => {
        if (pressed !== null) {
            const now = performance.now() - pressed;
            const text = document.body.innerText;
            if (window.__seen.title === undefined && text.includes(title)) window.__seen.title = now;
            if (window.__seen.words === undefined && text.includes(words)) window.__seen.words = now;
            if (window.__seen.chart === undefined && document.querySelector(chart)) window.__seen.chart = now;
        }
        if (window.__seen.chart === undefined) requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
}"""


@contextlib.contextmanager
def server_in(root: Path):
    """A fresh ``streamlit run`` of the checkout at ``root``, healthy, for one round."""
    with streamlit_server(root=root) as (url, process):
        wait_until_healthy(url, process)
        yield url


def one_round(playwright, root: Path, shot: Path | None, read_seconds: float) -> dict:
    with server_in(root) as url:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{url}/?tour=4")
            page.get_by_text("stop 4 of 7").wait_for(timeout=120_000)
            page.get_by_text("are zeroed").first.wait_for(timeout=120_000)
            page.wait_for_timeout(read_seconds * 1000)  # a reader reading stop 4
            # The browser notes, at each frame, when stop 5's title, words and chart first show (times from the
            # press): a screenshot taken meanwhile cannot delay what is measured.
            page.evaluate(WATCH_SCRIPT, [STOP_5_TITLE, STOP_5_WORDS, STOP_5_CHART])
            page.get_by_role("button", name="Next stop ▶").click()
            if shot is not None:
                page.wait_for_timeout(800)
                page.screenshot(path=str(shot))
            page.wait_for_function("window.__seen && window.__seen.chart !== undefined", timeout=120_000)
            seen = page.evaluate("window.__seen")
            return {f"{name}_s": round(seen[name] / 1000, 3) for name in ("title", "words", "chart")}
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another checkout to measure alternately (the 'before')")
    parser.add_argument("--read", type=float, default=3.0, help="seconds spent on stop 4 before pressing Next")
    parser.add_argument("--shots", type=Path, help="folder for a screenshot 0.8 s after each press")
    arguments = parser.parse_args()
    from playwright.sync_api import sync_playwright

    roots = {"after": PROJECT_ROOT}
    if arguments.before is not None:
        roots = {"before": arguments.before.resolve(), **roots}
    if arguments.shots is not None:
        arguments.shots.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[dict]] = {name: [] for name in roots}
    with sync_playwright() as playwright:
        for index in range(arguments.rounds):
            for name, root in roots.items():
                shot = arguments.shots / f"{name}-{index}.png" if arguments.shots is not None else None
                results[name].append(one_round(playwright, root, shot, arguments.read))
                print(name, results[name][-1], file=sys.stderr, flush=True)  # progress: rounds take a while
    summary = {
        name: {key: statistics.median(row[key] for row in rows) for key in rows[0]} for name, rows in results.items()
    }
    print("| checkout | stop 5's title / words / chart after the press, median of rounds | target |")
    print("|---|---|---|")
    for name, median in summary.items():
        times = " / ".join(f"{median[key]:.2f} s" for key in ("title_s", "words_s", "chart_s"))
        print(f"| {name} | {times} | words ≤ {TARGET_WORDS_SECONDS:g} s |")
    print(json.dumps({"rounds": results, "median": summary}))
    if summary["after"]["words_s"] > TARGET_WORDS_SECONDS:
        print("missed: words_s")
        sys.exit(1)


if __name__ == "__main__":
    main()
