"""nginx in front of N ``streamlit run`` replicas, all on loopback, for local use and for the failover test.

    python -m deploy.serve [--replicas 2] [--port 8080]

Starts the replicas on free 127.0.0.1 ports, then nginx (Debian's /usr/sbin/nginx) with ``deploy/nginx.conf.template``
filled in: its own prefix, pid file, logs and temp directories under a temporary directory, in the foreground,
as the current user. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
NGINX_CANDIDATES = ("/usr/sbin/nginx",)
AFFINITY_COOKIE = "addition_replica"
READY_SECONDS = 90.0


def find_nginx() -> str | None:
    """Debian's nginx, or one on PATH."""
    for candidate in NGINX_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("nginx")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Replica:
    port: int
    process: subprocess.Popen
    environment: dict[str, str] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def kill(self) -> None:
        """Stop it abruptly, as a crash or an OOM kill would."""
        self.process.kill()
        self.process.wait(timeout=30)

    def restart(self) -> None:
        """Start it again on its port (after :meth:`kill`), as a supervisor would, and wait until it is healthy."""
        if self.process.poll() is None:
            raise RuntimeError(f"replica {self.address} is still running")
        self.process = start_replica(self.port, self.environment)
        wait_for(f"http://{self.address}/_stcore/health", self.process, b"ok")


@dataclass
class Cluster:
    url: str
    replicas: list[Replica]
    nginx: subprocess.Popen
    prefix: Path


def wait_for(url: str, process: subprocess.Popen, expected: bytes, timeout: float = READY_SECONDS) -> None:
    """Poll ``url`` until its body is ``expected``; fail early if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with code {process.returncode} before {url} answered")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.read().strip() == expected:
                return
        time.sleep(0.1)  # polling interval of a readiness check
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def start_replica(port: int, environment: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(environment or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def streamlit_static_dir() -> Path:
    """The front end of the installed Streamlit (``index.html`` and ``static/``), the files the replicas serve."""
    import importlib.util

    spec = importlib.util.find_spec("streamlit")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("streamlit is not installed")
    return Path(spec.origin).parent / "static"


def replica_name(index: int) -> str:
    """The affinity cookie's value for the ``index``-th replica (names, not addresses, go to browsers)."""
    return f"r{index}"


def nginx_config(prefix: Path, listen_port: int, replica_addresses: list[str], access_log: Path | None = None) -> str:
    """``deploy/nginx.conf.template`` filled in for replicas at ``replica_addresses`` (``host:port`` each).

    ``access_log``: a file for one line per request, ``URI status bytes-sent`` (a WebSocket's line is written when
    it closes, with every byte nginx sent on it); ``None`` logs nothing."""
    # Run as the current user: as root, nginx would otherwise hand its workers to "nobody", who cannot use the
    # temporary directories made here.
    user_line = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    servers = "\n".join(f"        server {address} max_fails=1 fail_timeout=10s;" for address in replica_addresses)
    cookie_routes, cookie_values, groups = [], [], []
    count = len(replica_addresses)
    for index, address in enumerate(replica_addresses):
        name = replica_name(index)
        cookie_routes.append(f"        {name} replica_{name};")
        # $upstream_addr ends with the address that answered ("a, b" after a failover from a to b).
        pattern = address.replace(".", r"\.")
        cookie_values.append(f'        "~(^|, ){pattern}$" "{AFFINITY_COOKIE}={name}; Path=/; HttpOnly; SameSite=Lax";')
        lines = [f"    upstream replica_{name} {{", f"        server {address} max_fails=1 fail_timeout=10s;"]
        for offset in range(1, count):
            lines.append(f"        server {replica_addresses[(index + offset) % count]} backup;")
        groups.append("\n".join([*lines, "    }"]))
    text = TEMPLATE.read_text()
    for placeholder, value in {
        "{user_line}": user_line,
        "{access_log}": (
            f"log_format bytes '$request_uri $status $bytes_sent';\n    access_log {access_log} bytes;"
            if access_log
            else "access_log off;"
        ),
        "{prefix}": str(prefix),
        "{listen}": f"127.0.0.1:{listen_port}",
        "{servers}": servers,
        "{cookie_routes}": "\n".join(cookie_routes),
        "{cookie_from_upstream}": "\n".join(cookie_values),
        "{replica_upstreams}": "\n".join(groups),
        "{streamlit_static}": str(streamlit_static_dir()),
        "{cookie}": AFFINITY_COOKIE,
    }.items():
        text = text.replace(placeholder, value)
    return text


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def cluster(
    replicas: int = 2,
    port: int | None = None,
    nginx: str | None = None,
    environment: dict[str, str] | None = None,
    access_log: Path | None = None,
) -> Iterator[Cluster]:
    """Start ``replicas`` Streamlit processes (``environment`` added to theirs) and nginx in front of them; stop
    them all on exit. ``access_log`` as in :func:`nginx_config`."""
    nginx = nginx or find_nginx()
    if nginx is None:
        raise FileNotFoundError("nginx is not installed (Debian: apt-get install nginx)")
    started: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="addition-nginx-") as directory:
        prefix = Path(directory)
        replica_list: list[Replica] = []
        try:
            for _ in range(replicas):
                replica_port = free_port()
                process = start_replica(replica_port, environment)
                started.append(process)
                replica_list.append(Replica(replica_port, process, environment))
            for replica in replica_list:
                wait_for(f"http://{replica.address}/_stcore/health", replica.process, b"ok")
            listen_port = port or free_port()
            (prefix / "nginx.conf").write_text(
                nginx_config(prefix, listen_port, [r.address for r in replica_list], access_log)
            )
            if os.geteuid() == 0:
                os.chmod(prefix, 0o755)  # nothing secret in here; workers only need to reach the temp dirs
            proxy = subprocess.Popen(
                [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            started.append(proxy)
            url = f"http://127.0.0.1:{listen_port}"
            wait_for(f"{url}/_stcore/health", proxy, b"ok")
            yield Cluster(url=url, replicas=replica_list, nginx=proxy, prefix=prefix)
        finally:
            # A replica restarted by a test has a new process: stop whichever each replica runs now.
            for replica in replica_list:
                if replica.process not in started:
                    started.append(replica.process)
            for process in reversed(started):
                _stop(process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080)
    arguments = parser.parse_args()
    with cluster(arguments.replicas, arguments.port) as running:
        print(f"{running.url} → " + ", ".join(replica.address for replica in running.replicas), flush=True)
        print("Ctrl-C stops nginx and the replicas.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            running.nginx.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
