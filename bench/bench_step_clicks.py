"""Quick "Next ▶" clicks in a slowed-down Chromium: how many clicks fail to move the page one step.

    python -m bench.bench_step_clicks [--clicks 40] [--slowdown 6]

A click that comes right after a step is shown can carry the slider's previous value (the browser updates its
copy of the slider a moment after it shows the new step). Until the step buttons carried their own target step
(``ui/addition.py``), the server applied that stale value before the click's callback and the step was undone:
the click looked dropped. Chromium's CPU throttling (as on a busy phone or a loaded machine) widens that moment,
so a few dozen clicks show it. Each click is made as soon as the previous step shows; a click whose step does not
show within 8 s counts as dropped, and the next click then aims at the step after the one shown.
Target: no dropped click. A measurement with a rate, so it lives here rather than in the test suite.
"""

from __future__ import annotations

import argparse
import json
import sys

from tests.support.browser import launch_chromium, streamlit_server, wait_until_healthy

PAIR = (1_000_000_000_000, 999_999_999_999)  # 41 columns: room for every click
STEP_SHOWN_MS = 8_000

# Clicks "Next ▶", then resolves with the step shown once the expected text appears, or after the timeout.
CLICK_AND_READ_STEP = """
async ([expected, timeoutMs]) => {
  const shownStep = () => (document.body.innerText.match(/Step t = (\\d+) reads/) || [])[1];
  const button = [...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Next ▶');
  if (!button) return 'no Next button';
  await new Promise(resolve => {
    const timer = setTimeout(() => { observer.disconnect(); resolve(); }, timeoutMs);
    const observer = new MutationObserver(() => {
      if (document.body.innerText.includes(expected)) { observer.disconnect(); clearTimeout(timer); resolve(); }
    });
    observer.observe(document.body, {subtree: true, childList: true, characterData: true});
    button.click();
  });
  return shownStep();
}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=40)
    parser.add_argument("--slowdown", type=float, default=6.0, help="Chromium runs the page this many times slower")
    arguments = parser.parse_args()
    clicks = min(arguments.clicks, 40)  # the pair has 41 columns
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, streamlit_server() as (url, process):
        wait_until_healthy(url, process)
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": arguments.slowdown})
            page.goto(f"{url}/?a={PAIR[0]}&b={PAIR[1]}")
            page.get_by_text("Step t = 0 reads").first.wait_for(timeout=90_000)
            page.get_by_role("button", name="Next ▶").wait_for(timeout=30_000)
            shown, dropped = 0, 0
            for _ in range(clicks):
                if shown >= 40:
                    break
                step = page.evaluate(CLICK_AND_READ_STEP, [f"Step t = {shown + 1} reads", STEP_SHOWN_MS])
                if step != str(shown + 1):
                    dropped += 1
                shown = int(step) if str(step).isdigit() else shown
        finally:
            browser.close()
    print("| measure | value | target |")
    print("|---|---|---|")
    print(
        f"| quick 'Next ▶' clicks that did not move one step ({arguments.slowdown:g}× slowed Chromium) | "
        f"{dropped} of {clicks} | 0 |"
    )
    results = {"benchmark": "step_clicks", "clicks": clicks, "dropped": dropped, "slowdown": arguments.slowdown}
    print(json.dumps(results))
    return 0 if dropped == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
