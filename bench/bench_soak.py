"""Does the server give memory back? 200 browser sessions opened and closed against one ``streamlit run``.

    python -m bench.bench_soak [--sessions 200] [--parallel 4] [--post-script-gc]

``runner.postScriptGC = false`` would save ~30% of a click's server CPU (Streamlit's full garbage collection after
every script run). That is only safe if nothing piles up, so this opens
``--sessions`` sessions (``--parallel`` at a time; each types its own pair and steps once), closes them, waits
for Streamlit to drop the disconnected sessions, and compares the server's resident memory with its baseline
(one warm session, opened and closed). Target: back within 10% of the baseline. By default it runs with
``postScriptGC`` off (the setting under test); ``--post-script-gc`` runs Streamlit's default for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from bench.bench_page import rss_megabytes
from tests.support.browser import CHROMIUM, CHROMIUM_ARGUMENTS, streamlit_server, wait_until_healthy

TARGET_GROWTH = 0.10
TIMEOUT_MS = 180_000  # per wait: the machine this runs on may be shared and busy
# Disconnected sessions are kept this long for a reconnect (Streamlit's default is 120 s); shorter here so the
# soak need not wait two minutes before it can see whether their memory came back.
SESSION_TTL_SECONDS = 10


async def one_session(browser, url: str, index: int) -> None:
    a, b = 1 + index * 7919, 3 + index * 104729
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    try:
        page = await context.new_page()
        await page.goto(f"{url}/?a={a}&b={b}", wait_until="commit")  # then wait for the verdict itself
        await page.get_by_text(f"= {a + b} ✓").first.wait_for(timeout=TIMEOUT_MS)
        await page.get_by_role("button", name="Next ▶").click(timeout=TIMEOUT_MS)
        await page.get_by_text("Step t = 1 reads").wait_for(timeout=TIMEOUT_MS)
    finally:
        await context.close()


async def soak(url: str, sessions: int, parallel: int) -> None:
    from playwright import async_api

    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGUMENTS
        )
        try:
            limit = asyncio.Semaphore(parallel)

            async def bounded(index: int) -> None:
                async with limit:
                    await one_session(browser, url, index)

            await asyncio.wait_for(asyncio.gather(*(bounded(index) for index in range(sessions))), timeout=1800)
        finally:
            await browser.close()


def settled_rss(pid: int, seconds: float) -> float:
    """RSS after the disconnected sessions' TTL has passed (and Streamlit's cleanup has run)."""
    time.sleep(seconds)  # waiting out a server-side timer, not a result we could poll for
    return rss_megabytes(pid)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--post-script-gc", action="store_true", help="Streamlit's default: gc after every run")
    arguments = parser.parse_args()
    environment = {
        "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(SESSION_TTL_SECONDS),
        "STREAMLIT_RUNNER_POST_SCRIPT_GC": "true" if arguments.post_script_gc else "false",
    }
    with streamlit_server(environment) as (url, process):
        wait_until_healthy(url, process)
        asyncio.run(soak(url, 1, 1))
        baseline = settled_rss(process.pid, SESSION_TTL_SECONDS + 5)
        started = time.perf_counter()
        asyncio.run(soak(url, arguments.sessions, arguments.parallel))
        soak_seconds = time.perf_counter() - started
        right_after = rss_megabytes(process.pid)
        settled = settled_rss(process.pid, SESSION_TTL_SECONDS + 5)
    growth = settled / baseline - 1
    results = {
        "post_script_gc": arguments.post_script_gc,
        "sessions": arguments.sessions,
        "soak_seconds": soak_seconds,
        "rss_mb_baseline": baseline,
        "rss_mb_right_after": right_after,
        "rss_mb_settled": settled,
        "growth": growth,
    }
    gc_label = "on" if arguments.post_script_gc else "off"
    print("| measure | value | target |")
    print("|---|---|---|")
    print(
        f"| server RSS, {arguments.sessions} sessions opened and closed (postScriptGC {gc_label}): baseline → "
        f"right after → settled | {baseline:.0f} → {right_after:.0f} → {settled:.0f} MB ({growth:+.1%}) | ≤ +10% |"
    )
    print(json.dumps({"benchmark": "soak", **results}))
    return 0 if growth <= TARGET_GROWTH else 1


if __name__ == "__main__":
    sys.exit(main())
