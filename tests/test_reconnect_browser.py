"""A tab whose server went away reconnects to a new one (as after a replica is killed behind nginx) and keeps
working: issue 23, item 4. One ``streamlit run`` is killed and another started on the same port, so the
browser's WebSocket reconnects to a new server session, the way a moved tab meets the surviving replica.

The tab has not stepped before the kill, which is the case that froze: Streamlit's browser side then asks
the new server for no run, and the new session dropped every step click (``ui.state.rerun_on_reconnect``).
Its address bar is also made to lag its box (``a`` typed as 777, the link still 3005): the box must win.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from explainer.paths import PROJECT_ROOT
from tests.support.browser import (
    free_port,
    launch_chromium,
    require_browser,
    set_operand,
    streamlit_command,
    wait_until_healthy,
)

require_browser()
pytestmark = pytest.mark.browser

WAIT_MS = 60_000


def _start(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        streamlit_command(port),
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_healthy(f"http://127.0.0.1:{port}", process)
    return process


def _stop(process: subprocess.Popen) -> None:
    process.kill()
    process.wait()


def test_a_tab_that_had_not_stepped_works_after_its_server_is_replaced():
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = _start(port)
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                page = browser.new_page(viewport={"width": 1300, "height": 900})
                page.set_default_timeout(WAIT_MS)
                page.goto(f"{url}/?a=3005&b=45")
                page.get_by_text("The RNN says 3005 + 45 = 3050").wait_for()
                set_operand(page, "a", "777")
                page.get_by_text("The RNN says 777 + 45 = 822").wait_for()
                page.wait_for_function("() => location.search.includes('a=777')")
                page.evaluate("() => history.replaceState(null, '', '/?a=3005&b=45')")  # the address bar lags
                _stop(server)
                server = _start(port)
                # A click made while the new session's first run is still going is a fragment run it cannot
                # place yet, and is dropped (as in tests/test_deploy.py): a click that changed nothing in 30 s
                # is made once more. Without a first run at all (the freeze) every click is dropped.
                for attempt in range(2):
                    page.get_by_role("button", name="Next ▶").click()
                    try:
                        page.get_by_text("Step t = 1 reads").wait_for(timeout=30_000)
                        break
                    except PlaywrightTimeoutError:
                        if attempt == 1:
                            raise
                assert page.get_by_text(" says ").all_inner_texts() == ["The RNN says 777 + 45 = 822 ✓"]
                set_operand(page, "b", "46")
                page.get_by_text("The RNN says 777 + 46 = 823").wait_for()
                page.wait_for_function("() => location.search.includes('a=777') && location.search.includes('b=46')")
            finally:
                browser.close()
    finally:
        _stop(server)
