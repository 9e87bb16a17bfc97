"""Take the README's screenshot of the real page: ``python -m scripts.screenshot [--out PATH] [--query a=50&b=18]``.

Starts ``streamlit run`` on a free loopback port, opens it in Debian's Chromium and saves a PNG.
"""

from __future__ import annotations

import argparse
import sys

from playwright.sync_api import sync_playwright

from tests.support.browser import HIDDEN_STATE_CELL, PROJECT_ROOT, launch_chromium, streamlit_server, wait_until_healthy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(PROJECT_ROOT / "assets" / "screenshot.png"))
    parser.add_argument("--query", default="a=50&b=18&t=4")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1450)  # the whole page, pair to step, with no empty foot
    parser.add_argument("--wait-for", default="says", help="text that must be visible before the shot")
    arguments = parser.parse_args()
    with streamlit_server() as (url, process), sync_playwright() as playwright:
        wait_until_healthy(url, process)
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": arguments.width, "height": arguments.height})
        page.goto(f"{url}/?{arguments.query}")
        page.get_by_text(arguments.wait_for).first.wait_for(timeout=60_000)
        page.locator(HIDDEN_STATE_CELL).first.wait_for(timeout=60_000)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=arguments.out)
        browser.close()
    print(arguments.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
