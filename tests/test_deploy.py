"""Two replicas behind nginx (deploy/): sticky sessions, WebSockets, and one replica dying under its visitors.

Starts ``deploy.serve.cluster`` (nginx and 2 ``streamlit run`` replicas, all on loopback), opens at least 10
browser sessions through nginx, each on its own pair and timestep, then kills one replica:

- sessions on the other replica never notice: their WebSocket never closes and stepping carries on;
- sessions on the killed one reconnect through nginx to the survivor and come back where they were, from the
  URL (their pair, their timestep), with the right verdict and no error or traceback on the page.

A second test kills a replica, lets its tabs move, starts it again, and then has a moved tab download its trace
and upload weights: both must reach the replica that holds the session, not the restarted one.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field

import pytest

from deploy.serve import cluster, find_nginx
from tests.support.browser import CHROMIUM, CHROMIUM_ARGUMENTS, require_browser
from tests.support.sessions import ERRORS

require_browser()
if find_nginx() is None:
    if os.environ.get("CI"):
        pytest.fail("CI needs nginx for the deploy test (apt-get install nginx)", pytrace=False)
    pytest.skip("not installed: nginx (apt-get install nginx)", allow_module_level=True)

pytestmark = pytest.mark.browser

SESSIONS = 10
MORE_SESSIONS = 10  # if 10 random cookies all hashed to one replica (p ≈ 0.2%), open up to this many more
TIMEOUT_MS = 90_000  # per wait; the whole scenario is bounded below


@dataclass
class Visitor:
    index: int
    a: int
    b: int
    steps: int
    page: object = None
    replica: str = ""
    closed_sockets: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return f"The RNN says {self.a} + {self.b} = {self.a + self.b} ✓"


# Visitors that load, type or step at the same moment: ten tabs drawing Plotly at once starve a 2-core machine's
# browser (not the servers). Every visitor stays open once done, so all are connected at the failover.
ACTIVE_AT_ONCE = 4
# The longest each kind of wait took in this run (seconds), printed at the end: how close it came to its limit.
LONGEST_WAITS: dict[str, float] = {}


class timed:
    """``async with timed("name"):`` records the wait's length under ``name`` if it is the longest so far."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def __aenter__(self) -> None:
        self.started = time.perf_counter()

    async def __aexit__(self, *exc) -> None:
        took = time.perf_counter() - self.started
        LONGEST_WAITS[self.name] = max(LONGEST_WAITS.get(self.name, 0.0), took)


async def open_visitor(browser, url: str, index: int, active: asyncio.Semaphore) -> Visitor:
    async with active:
        return await _open_visitor(browser, url, index)


async def visit(browser, url: str, visitor: Visitor, **context_options) -> Visitor:
    """Open ``visitor``'s pair in its own browser context (own cookies) through nginx, noting the replica that
    answered and every WebSocket that closes."""
    context = await browser.new_context(viewport={"width": 1300, "height": 900}, **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    page.on("websocket", lambda socket: socket.on("close", lambda closed: visitor.closed_sockets.append(closed.url)))
    response = await page.goto(f"{url}/?a={visitor.a}&b={visitor.b}", wait_until="commit")
    visitor.replica = response.headers["x-replica"]
    visitor.page = page
    return visitor


async def _open_visitor(browser, url: str, index: int) -> Visitor:
    visitor = await visit(browser, url, Visitor(index=index, a=index * 37 + 5, b=index * 91 + 300, steps=index % 3 + 1))
    page = visitor.page
    async with timed("first verdict (limit 90 s)"):
        await page.get_by_text(visitor.verdict).wait_for()
    for step in range(1, visitor.steps + 1):
        await page.get_by_role("button", name="Next ▶").click()
        async with timed("step before the kill (limit 90 s)"):
            await page.get_by_text(f"Step t = {step} reads").wait_for()
    await page.wait_for_function("expected => location.search.includes(expected)", arg=f"t={visitor.steps}")
    return visitor


async def check_after_failover(visitor: Visitor) -> None:
    """Where it was (pair and step, from the URL if it had to reconnect), correct, then one more step works."""
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    page = visitor.page
    async with timed("verdict after the kill (limit 90 s)"):
        await page.get_by_text(visitor.verdict).wait_for()
        await page.get_by_text(f"Step t = {visitor.steps} reads").wait_for()
    next_step = visitor.steps + 1
    # A page that just reconnected shows its old elements while the new session's first run is still going; a
    # step click in that moment is a fragment rerun that the new session cannot place yet, and Streamlit drops
    # it (as a person would, one then clicks again). So a click that changed nothing in 30 s (a step takes well
    # under a second here) is made once more; the step must then be exactly the next one.
    for attempt in range(2):
        await page.get_by_role("button", name="Next ▶").click()
        try:
            async with timed(f"step after the kill, click {attempt + 1} (limit {30 if attempt == 0 else 90} s)"):
                await page.get_by_text(f"Step t = {next_step} reads").wait_for(timeout=30_000 if attempt == 0 else None)
            break
        except PlaywrightTimeoutError:
            LONGEST_WAITS["clicks made twice"] = LONGEST_WAITS.get("clicks made twice", 0) + 1
            if attempt == 1:
                raise
    await page.wait_for_function("expected => location.search.includes(expected)", arg=f"t={next_step}")
    assert await page.get_by_text(" says ").all_inner_texts() == [visitor.verdict], visitor
    assert await page.locator(ERRORS).count() == 0, visitor
    assert "Traceback" not in await page.locator("body").inner_text(), visitor
    assert f"a={visitor.a}" in page.url and f"b={visitor.b}" in page.url, page.url


async def scenario(running) -> tuple[list[Visitor], str]:
    from playwright import async_api

    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGUMENTS
        )
        try:
            active = asyncio.Semaphore(ACTIVE_AT_ONCE)
            visitors = list(
                await asyncio.gather(*(open_visitor(browser, running.url, index, active) for index in range(SESSIONS)))
            )
            for index in range(SESSIONS, SESSIONS + MORE_SESSIONS):
                if len({visitor.replica for visitor in visitors}) == len(running.replicas):
                    break
                visitors.append(await open_visitor(browser, running.url, index, active))
            replicas = {visitor.replica for visitor in visitors}
            assert replicas == {replica.address for replica in running.replicas}, "sticky cookies never spread"
            victim = running.replicas[0]
            victim.kill()
            await asyncio.gather(*(check_after_failover(visitor) for visitor in visitors))
            return visitors, victim.address
        finally:
            await browser.close()


def test_sessions_survive_a_replica_dying_behind_nginx():
    started = time.perf_counter()
    try:
        with cluster(replicas=2) as running:
            visitors, killed = asyncio.run(asyncio.wait_for(scenario(running), timeout=400))
            assert running.nginx.poll() is None
    finally:
        print(f"\nscenario {time.perf_counter() - started:.1f} s (limit 400 s); longest waits:")
        for name, took in LONGEST_WAITS.items():
            print(f"  {name}: {took:.1f}")
    on_killed = [visitor for visitor in visitors if visitor.replica == killed]
    on_survivor = [visitor for visitor in visitors if visitor.replica != killed]
    assert on_killed and on_survivor
    for visitor in on_survivor:
        assert visitor.closed_sockets == [], f"session {visitor.index} on the surviving replica was disturbed"
    for visitor in on_killed:
        assert visitor.closed_sockets, f"session {visitor.index} on the killed replica never lost its socket"


# --- A killed replica comes back: visitors that moved away keep their uploads and downloads -------------------

RESTART_VISITORS_MAX = 6  # new browsers go to the replicas in turn, so 2 reach both; a few more if not
BACK_IN_ROTATION_SECONDS = 60.0  # nginx asks a failed replica again after fail_timeout (10 s)


async def open_stepped_visitor(browser, url: str, index: int) -> Visitor:
    """A visitor in its own browser (own cookies) on its own pair, one step in: a tab that has stepped is not
    the kind item 4 of issue 23 freezes after a failover, so this test sees only its own subject."""
    visitor = Visitor(index=index, a=index * 53 + 11, b=index * 17 + 400, steps=1)
    page = (await visit(browser, url, visitor, accept_downloads=True)).page
    await page.get_by_text(visitor.verdict).wait_for()
    await page.get_by_role("button", name="Next ▶").click()
    await page.get_by_text("Step t = 1 reads").wait_for()
    return visitor


def replica_answering_new_browsers(url: str) -> set[str]:
    """The replicas two cookie-less requests through nginx reach (new browsers go to the replicas in turn)."""
    import urllib.request

    reached = set()
    for _ in range(2):
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
            reached.add(response.headers["X-Replica"])
    return reached


async def wait_until_back_in_rotation(url: str, address: str) -> None:
    """Until nginx sends new browsers to the restarted replica again (bounded; polled, 0.5 s apart)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BACK_IN_ROTATION_SECONDS
    while address not in await asyncio.to_thread(replica_answering_new_browsers, url):
        assert loop.time() < deadline, f"nginx did not send anyone to the restarted {address}"
        await asyncio.sleep(0.5)  # polling interval of a readiness check


async def download_trace_csv(visitor: Visitor) -> str:
    page = visitor.page
    await page.get_by_text("The same as a table (for screen readers), and a CSV download").click()
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Download this trace as CSV").click()
    download = await download_info.value
    assert await download.failure() is None, await download.failure()
    return (await download.path()).read_text()


async def upload_weights(visitor: Visitor, file_name: str, data: bytes) -> None:
    page = visitor.page
    await page.get_by_text("Train it yourself", exact=True).first.click()
    await page.get_by_text("Upload weights", exact=True).click()
    await page.locator("input[type=file]").set_input_files(
        {"name": file_name, "mimeType": "application/octet-stream", "buffer": data}
    )
    await page.get_by_text(f"Loaded {file_name}: H = 3.").wait_for()


async def restart_scenario(running) -> tuple[Visitor, str, str]:
    from playwright import async_api

    from explainer.files.npz_file import weights_to_npz_bytes
    from tests.support.networks import random_weights

    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGUMENTS
        )
        try:
            victim = running.replicas[0]
            visitors = []
            for index in range(RESTART_VISITORS_MAX):
                visitors.append(await open_stepped_visitor(browser, running.url, index))
                if {visitor.replica for visitor in visitors} == {replica.address for replica in running.replicas}:
                    break
            moving = [visitor for visitor in visitors if visitor.replica == victim.address]
            assert moving, "no visitor reached the replica to be killed"
            victim.kill()
            for visitor in moving:  # reconnected to the survivor, and back where it was (from its URL)
                await visitor.page.get_by_text(visitor.verdict).wait_for()
                await visitor.page.get_by_text("Step t = 1 reads").wait_for()
                assert visitor.closed_sockets, f"session {visitor.index} never lost its socket"
            victim.restart()
            await wait_until_back_in_rotation(running.url, victim.address)
            moved = moving[0]
            csv = await download_trace_csv(moved)
            await upload_weights(moved, "mine.npz", weights_to_npz_bytes(random_weights(3, seed=4)))
            # The random network's wrong sum is shown as an error alert, as it should be; no exception is.
            assert await moved.page.locator("[data-testid='stException']").count() == 0
            assert "Traceback" not in await moved.page.locator("body").inner_text()
            return moved, csv, victim.address
        finally:
            await browser.close()


def test_moved_visitors_keep_uploads_and_downloads_after_the_dead_replica_restarts():
    """Kill a replica, let its tabs move to the other, start it again; then a moved tab downloads its trace and
    uploads weights. While the cookie only hashed to a replica, the restarted one got these requests and the
    download failed (issue 23: download 404, upload 400 "Invalid session_id")."""
    import csv

    with cluster(replicas=2) as running:
        moved, text, restarted = asyncio.run(asyncio.wait_for(restart_scenario(running), timeout=300))
    assert moved.replica == restarted
    rows = list(csv.DictReader(text.splitlines()))
    assert sum(int(row["a bit"]) << int(row["timestep"]) for row in rows) == moved.a, text
    assert sum(int(row["b bit"]) << int(row["timestep"]) for row in rows) == moved.b, text


# --- Bytes: nginx compresses text and serves the front end's hashed files itself, cached for a year ----------


def fetch(url: str, headers: dict[str, str]) -> tuple[dict[str, str], bytes]:
    import urllib.request

    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return {name.lower(): value for name, value in response.headers.items()}, response.read()


def websocket_handshake(url: str) -> dict[str, str]:
    """The response headers of a WebSocket upgrade to ``/_stcore/stream`` that offers permessage-deflate, as
    Chromium does."""
    import base64
    import os
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(url)
    request = (
        "GET /_stcore/stream HTTP/1.1\r\n"
        f"Host: {address.netloc}\r\n"
        "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
        "Sec-WebSocket-Protocol: streamlit\r\n"
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
    )
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request.encode())
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(4096)
            assert chunk, received
            received += chunk
    status, *lines = received.split(b"\r\n\r\n")[0].decode().split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    headers["status"] = status
    return headers


def test_nginx_serves_the_front_end_compressed_and_cached_without_the_replicas():
    import gzip
    import re

    from deploy.serve import streamlit_static_dir

    with cluster(replicas=1) as running:
        page_headers, page = fetch(f"{running.url}/", {"Accept-Encoding": "gzip"})
        assert page_headers.get("content-encoding") == "gzip"
        html = gzip.decompress(page).decode()
        scripts = re.findall(r'src="\./(static/js/[^"]+\.js)"', html)
        assert scripts, html[:500]
        headers, body = fetch(f"{running.url}/{scripts[0]}", {"Accept-Encoding": "gzip"})
        upgrade = websocket_handshake(running.url)
        on_disk = (streamlit_static_dir() / scripts[0]).read_bytes()
        # The replica is not asked: nginx reads the file from the installed streamlit package.
        running.replicas[0].kill()
        again, _ = fetch(f"{running.url}/{scripts[0]}", {"Accept-Encoding": "gzip"})
    assert headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == on_disk
    assert len(body) < len(on_disk) / 2, (len(body), len(on_disk))
    assert "immutable" in headers["cache-control"] and "max-age=31536000" in headers["cache-control"]
    assert "x-replica" not in headers and "x-replica" not in again
    assert "set-cookie" not in headers
    # The WebSocket's messages are compressed too (.streamlit/config.toml), negotiated through nginx.
    assert " 101 " in upgrade["status"], upgrade
    assert upgrade.get("sec-websocket-extensions", "").startswith("permessage-deflate"), upgrade
