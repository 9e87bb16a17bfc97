"""Quick "Next ▶" clicks in a real browser: every click moves exactly one step.

A click that comes right after a step is shown can carry the slider's previous value (the browser updates its
copy of the slider a moment after it shows the new step); the step must not be undone by it. A slowed-down
browser (Chromium's CPU throttling, as on a busy phone or a loaded machine) widens that moment, so the test
sees it in a few clicks instead of a few hundred.
"""

from __future__ import annotations

import pytest

from tests.support.browser import require_browser

require_browser()

pytestmark = pytest.mark.browser

CLICKS = 20
SLOWDOWN = 6  # Chromium runs its page this many times slower
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


def test_each_quick_next_click_moves_exactly_one_step(server_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": SLOWDOWN})
        page.goto(f"{server_url}/?a={PAIR[0]}&b={PAIR[1]}")
        page.get_by_text("Step t = 0 reads").first.wait_for(timeout=90_000)
        page.get_by_role("button", name="Next ▶").wait_for(timeout=30_000)
        shown = []
        for step in range(1, CLICKS + 1):
            # The next click as soon as the previous step shows: a person clicking through quickly.
            shown.append(page.evaluate(CLICK_AND_READ_STEP, [f"Step t = {step} reads", STEP_SHOWN_MS]))
            if shown[-1] != str(step):
                break
        assert shown == [str(step) for step in range(1, CLICKS + 1)], f"steps shown after each click: {shown}"
    finally:
        page.close()
