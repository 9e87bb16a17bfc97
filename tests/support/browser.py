"""A real ``streamlit run`` on a free loopback port, and Debian's Chromium driven by Playwright.

Shared by the browser tests and the benchmarks. Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from explainer.paths import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
# Flags for a closed network: no background connections, no first-run work, no sandbox as root.
CHROMIUM_ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# A cell of the unfolded addition's hidden-state heatmap, as the page draws it
# (explainer.figures.unfolded_drawing: an SVG rect each).
HIDDEN_STATE_CELL = ".unfolded-drawing .hidden-state rect[data-t]"


def require_browser() -> None:
    """Skip the calling test module, with a reason, when Chromium or Playwright is missing here.

    Under CI (``CI`` set) a missing browser fails instead: there the browser tests must run, never skip.
    """
    import importlib.util

    import pytest

    missing = []
    if not CHROMIUM.exists():
        missing.append("/usr/bin/chromium (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -r requirements-dev.txt)")
    if not missing:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI needs {' and '.join(missing)} for the browser tests", pytrace=False)
    pytest.skip(f"not installed: {' and '.join(missing)}", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, timeout: float = 90.0) -> float:
    """Poll ``/_stcore/health`` until it answers ``ok``; returns the seconds it took."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode} before it was healthy")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            if response.read().strip() == b"ok":
                return time.perf_counter() - started
        time.sleep(0.05)  # polling interval of a readiness check, not a wait for a result
    raise TimeoutError(f"{url} was not healthy after {timeout} s")


def streamlit_command(port: int, script: str = "streamlit_app.py") -> list[str]:
    """``streamlit run streamlit_app.py`` (or another ``script`` of the checkout, such as a test page in
    tests/apps) on 127.0.0.1:``port``, headless, with no file watcher and no usage stats."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]


@contextlib.contextmanager
def streamlit_server(
    environment: dict[str, str] | None = None, root: Path = PROJECT_ROOT, script: str = "streamlit_app.py"
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start ``streamlit run streamlit_app.py`` (or ``script``) of the checkout at ``root`` on 127.0.0.1 and yield
    its URL; stop it afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        streamlit_command(port, script),
        cwd=root,
        env={**os.environ, **(environment or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGUMENTS)


def verdict_locator(page, text: str):
    return page.get_by_text(text, exact=False).first


def set_operand(page, label: str, value: str) -> None:
    """Type into the ``a`` or ``b`` box the way a person does: select all, type, press Enter."""
    box = page.get_by_label(label, exact=True)
    box.click()
    box.fill(value)
    box.press("Enter")
