"""Does the server give memory back? 200 sessions opened and closed against one ``streamlit run``.

    python -m bench.bench_soak [--sessions 200] [--parallel 8] [--post-script-gc]

``runner.postScriptGC = false`` saves ~30% of a click's server CPU (Streamlit's full garbage collection after
every script run). That is only safe if nothing piles up, so this opens ``--sessions`` sessions in waves of
``--parallel``, each of which opens the page at its own pair, checks its verdict, presses "Next ▶" and checks
step 1, then disconnects; then it waits for Streamlit to drop the disconnected sessions and compares the server's
resident memory with its baseline (the same, for ``--parallel`` warm-up sessions first). Target: back within 10%.
By default it runs with ``postScriptGC`` off (the setting under test); ``--post-script-gc`` runs Streamlit's
default for comparison.

Each session is a plain WebSocket client speaking the browser's own protocol (Streamlit's ``BackMsg`` /
``ForwardMsg`` protobufs on ``/_stcore/stream``): the server cannot tell it from a tab (same session object,
script runs, widget state, cached figures, deferred downloads), but it costs no Chromium, so 200 sessions finish
on a loaded 2-core machine. Its "Next ▶" is a full rerun with the button's trigger, as a browser sends it outside a
fragment. Loopback only; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from urllib.parse import urlencode

from tests.support.browser import streamlit_server, wait_until_healthy
from tests.support.processes import rss_megabytes

TARGET_GROWTH = 0.10
TIMEOUT_SECONDS = 120.0  # per script run: the machine this runs on may be shared and busy
# Disconnected sessions are kept this long for a reconnect (Streamlit's default is 120 s); shorter here so the
# soak need not wait two minutes before it can see whether their memory came back.
SESSION_TTL_SECONDS = 10


async def _run_script(socket, query: dict, widget_states: list | None = None) -> tuple[list[str], dict[str, str]]:
    """Ask for one script run; return the markdown it drew and the ids of its buttons by label."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    message = BackMsg()
    message.rerun_script.query_string = urlencode(query)
    message.rerun_script.page_script_hash = ""
    for state in widget_states or ():
        message.rerun_script.widget_states.widgets.append(state)
    await socket.send(message.SerializeToString())
    texts, buttons = [], {}
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        raw = await asyncio.wait_for(socket.recv(), timeout=max(0.1, deadline - time.monotonic()))
        forward = ForwardMsg()
        forward.ParseFromString(raw)
        kind = forward.WhichOneof("type")
        if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
            element = forward.delta.new_element
            if element.WhichOneof("type") == "markdown":
                texts.append(element.markdown.body)
            elif element.WhichOneof("type") == "button":
                buttons[element.button.label] = element.button.id
        elif kind == "script_finished":
            return texts, buttons


async def one_session(url: str, index: int) -> None:
    """Open the page at this session's pair, check the verdict, press "Next ▶", check step 1, disconnect."""
    import websockets
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    a, b = 1 + index * 7919, 3 + index * 104729
    query = {"a": a, "b": b}
    address = url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(address, subprotocols=["streamlit"], max_size=None, open_timeout=60) as socket:
        texts, buttons = await _run_script(socket, query)
        verdict = f"{a} + {b} = {a + b} ✓"
        if not any(verdict in text for text in texts):
            raise AssertionError(f"session {index}: no verdict {verdict!r} in {texts[:6]}")
        press = WidgetState(id=buttons["Next ▶"], trigger_value=True)
        texts, _ = await _run_script(socket, {**query, "t": 0}, [press])
        if not any("**Step t = 1** reads" in text for text in texts):
            raise AssertionError(f"session {index}: no step 1 after Next ▶")


async def soak(url: str, sessions: int, parallel: int) -> None:
    for first in range(0, sessions, parallel):
        wave = range(first, min(first + parallel, sessions))
        await asyncio.wait_for(asyncio.gather(*(one_session(url, index) for index in wave)), timeout=600)


def settled_rss(pid: int, seconds: float) -> float:
    """RSS after the disconnected sessions' TTL has passed (and Streamlit's cleanup has run)."""
    time.sleep(seconds)  # waiting out a server-side timer, not a result we could poll for
    return rss_megabytes(pid)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--post-script-gc", action="store_true", help="Streamlit's default: gc after every run")
    arguments = parser.parse_args()
    environment = {
        "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(SESSION_TTL_SECONDS),
        "STREAMLIT_RUNNER_POST_SCRIPT_GC": "true" if arguments.post_script_gc else "false",
    }
    with streamlit_server(environment) as (url, process):
        wait_until_healthy(url, process)
        asyncio.run(soak(url, arguments.parallel, arguments.parallel))  # warm: imports, caches, the first figures
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
