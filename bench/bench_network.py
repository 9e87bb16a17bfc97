"""The page over a mobile network: bytes on the wire and seconds, directly and through nginx (deploy/).

    python -m bench.bench_network [--profile 4G] [--profile 3G] [--repeats 3] [--json PATH]

Chromium (Playwright) with its network emulated by CDP ``Network.emulateNetworkConditions``; each profile is
(download, upload, latency) as issue 24 defines them: "4G" = 4 Mbit/s down, 3 up, 40 ms; "3G" = 1.6 down,
0.75 up, 150 ms; "127.0.0.1" emulates nothing.

- first view: a fresh browser context (empty cache, no cookies) opens ``/`` until the verdict for the default
  pair is visible; median seconds over ``--repeats`` runs. "HTTP kB" and "responses" are what Chromium had
  received over HTTP by then (CDP ``encodedDataLength``: headers and body as sent, so compressed if the
  response was); "all HTTP kB" once the network is idle (the parts loaded after the verdict too); "WebSocket kB"
  the WebSocket frames' payloads by then, as the page reads them (after any decompression); "on the wire"
  (through nginx only) the bytes nginx sent on the WebSocket, from its access log.
- ``--no-websocket-compression`` starts the servers without ``server.enableWebsocketCompression``
  (permessage-deflate: off by default in Streamlit 1.67, on in ``.streamlit/config.toml``), to weigh it by the
  last column.

Two servers are measured: one ``streamlit run`` alone ("direct") and the same app behind nginx with
``deploy/nginx.conf.template`` ("nginx", ``deploy.serve.cluster`` with one replica). Exits non-zero if a target
in ``TARGETS`` is missed through nginx.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support.browser import launch_chromium, streamlit_server, wait_until_healthy
from tests.support.network import LOCAL, PROFILES, Profile, emulate_network

TIMEOUT_MS = 120_000
FIRST_VIEW_TEXT = "The RNN says 50 + 18 = 68"


# Issue 24: the first view through nginx.
TARGETS = {("nginx", "4G"): 3.0, ("nginx", "3G"): 8.0}


class ByteCounter:
    """Bytes Chromium received: HTTP responses as sent (``encodedDataLength``) and WebSocket frame payloads."""

    def __init__(self, session) -> None:
        self.http = 0
        self.http_responses = 0
        self.websocket = 0
        session.on("Network.loadingFinished", self._finished)
        session.on("Network.webSocketFrameReceived", self._frame)

    def _finished(self, event: dict) -> None:
        self.http += int(event.get("encodedDataLength", 0))
        self.http_responses += 1

    def _frame(self, event: dict) -> None:
        # Base64 for binary frames (Streamlit's protobuf messages): 3 bytes per 4 characters.
        payload = event["response"].get("payloadData", "")
        self.websocket += len(payload) * 3 // 4 if event["response"].get("opcode") == 2 else len(payload)


class AccessLog:
    """The bytes nginx sent on WebSockets, from its access log (``deploy.serve.nginx_config``'s ``access_log``):
    a WebSocket's line is written when it closes, with every byte sent on it, compressed if it was."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen = 0

    def websocket_bytes_since_last(self, sockets: int) -> int:
        """Bytes of the next ``sockets`` closed WebSockets (waits, bounded, for nginx to log their close)."""
        deadline = time.monotonic() + 10
        while True:
            lines = self.path.read_text().splitlines() if self.path.exists() else []
            streams = [line for line in lines[self.seen :] if line.startswith("/_stcore/stream ")]
            if len(streams) >= sockets or time.monotonic() > deadline:
                self.seen = len(lines)
                return sum(int(line.split()[-1]) for line in streams)
            time.sleep(0.1)  # polling interval: nginx writes the line as the connection closes


def first_view(browser, url: str, profile: Profile, access_log: AccessLog | None = None) -> dict:
    """One first visit in a fresh context: seconds until the default pair's verdict is visible, and bytes."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    sockets = []
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("websocket", lambda socket: sockets.append(socket))
        counter = ByteCounter(emulate_network(page, profile))
        started = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.get_by_text(FIRST_VIEW_TEXT).wait_for()
        seconds = time.perf_counter() - started
        at_verdict = {"http_bytes": counter.http, "http_responses": counter.http_responses}
        # What the rest of the page (lazily loaded parts, the drawing) still fetches once the verdict shows.
        page.wait_for_load_state("networkidle")
        result = {
            "seconds": seconds,
            **at_verdict,
            "http_bytes_total": counter.http,
            "websocket_bytes": counter.websocket,
        }
    finally:
        context.close()
    if access_log is not None:
        result["websocket_wire_bytes"] = access_log.websocket_bytes_since_last(len(sockets))
    return result


def measure_first_views(browser, url: str, profile: Profile, repeats: int, access_log: AccessLog | None) -> dict:
    runs = [first_view(browser, url, profile, access_log) for _ in range(repeats)]
    numbers = {
        "seconds_median": statistics.median(run["seconds"] for run in runs),
        "seconds": [round(run["seconds"], 2) for run in runs],
        "http_kb": statistics.median(run["http_bytes"] for run in runs) / 1000,
        "http_responses": statistics.median(run["http_responses"] for run in runs),
        "http_kb_total": statistics.median(run["http_bytes_total"] for run in runs) / 1000,
        "websocket_kb": statistics.median(run["websocket_bytes"] for run in runs) / 1000,
    }
    if access_log is not None:
        numbers["websocket_wire_kb"] = statistics.median(run["websocket_wire_bytes"] for run in runs) / 1000
    return numbers


@contextlib.contextmanager
def direct_server(environment: dict[str, str]) -> Iterator[tuple[str, None]]:
    with streamlit_server(environment) as (url, process):
        wait_until_healthy(url, process)
        yield url, None


@contextlib.contextmanager
def nginx_server(environment: dict[str, str]) -> Iterator[tuple[str, AccessLog]]:
    from deploy.serve import cluster

    with tempfile.TemporaryDirectory(prefix="bench-network-") as directory:
        log = Path(directory) / "access.log"
        with cluster(replicas=1, environment=environment, access_log=log) as running:
            yield running.url, AccessLog(log)


SERVERS = {"direct": direct_server, "nginx": nginx_server}
COLUMNS = (
    ("seconds", "seconds_median", 8, ".2f"),
    ("HTTP kB", "http_kb", 8, ".0f"),
    ("responses", "http_responses", 9, ".0f"),
    ("all HTTP kB", "http_kb_total", 11, ".0f"),
    ("WebSocket kB", "websocket_kb", 12, ".1f"),
    ("on the wire", "websocket_wire_kb", 11, ".1f"),
)


def table_row(server: str, profile: str, numbers: dict) -> str:
    cells = [f"{server:<8}", f"{profile:<7}"]
    for _, key, width, number_format in COLUMNS:
        value = numbers.get(key)
        cells.append(f"{'–':>{width}}" if value is None else f"{value:>{width}{number_format}}")
    return " ".join(cells)


def first_view_table(browser, servers: list[str], profiles: list[Profile], repeats: int, environment: dict) -> dict:
    """The first view per server and network profile: prints one row each as it is measured, returns them all."""
    print(f"first view (median of {repeats}; fresh cache each time)")
    print(" ".join([f"{'server':<8}", f"{'network':<7}", *(f"{title:>{width}}" for title, _, width, _ in COLUMNS)]))
    results: dict = {}
    for server in servers:
        with SERVERS[server](environment) as (url, access_log):
            first_view(browser, url, LOCAL, access_log)  # warm: the server's first script run
            for profile in profiles:
                numbers = measure_first_views(browser, url, profile, repeats, access_log)
                results[f"{server} {profile.name}"] = numbers
                print(table_row(server, profile.name, numbers), flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="append", choices=sorted(PROFILES), help="repeatable; default: all")
    parser.add_argument("--server", action="append", choices=sorted(SERVERS), help="repeatable; default: both")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--no-websocket-compression",
        action="store_true",
        help="start the servers without permessage-deflate (Streamlit's default; .streamlit/config.toml turns it on)",
    )
    parser.add_argument("--json", help="also write the results here")
    arguments = parser.parse_args()
    profiles = [PROFILES[name] for name in arguments.profile or tuple(PROFILES)]
    environment = {}
    if arguments.no_websocket_compression:
        environment["STREAMLIT_SERVER_ENABLE_WEBSOCKET_COMPRESSION"] = "false"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            results = first_view_table(
                browser, arguments.server or ["direct", "nginx"], profiles, arguments.repeats, environment
            )
        finally:
            browser.close()
    missed = [
        f"{server} {profile}: first view {results[f'{server} {profile}']['seconds_median']:.2f} s > {target} s"
        for (server, profile), target in TARGETS.items()
        if f"{server} {profile}" in results and results[f"{server} {profile}"]["seconds_median"] > target
    ]
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(results, indent=2) + "\n")
    for line in missed:
        print(f"MISSED {line}")
    print(json.dumps(results))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
