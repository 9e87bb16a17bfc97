"""A TCP relay on 127.0.0.1 that counts the bytes a server sends: what goes over the wire, after any compression
(Playwright's ``framereceived`` reports a WebSocket message's own bytes, after the browser has inflated it).

    with CountingRelay(server_port) as relay:
        page.goto(f"http://127.0.0.1:{relay.port}/")
        before = relay.bytes_to_client

It can also hold every chunk back for a fixed time in each direction (:attr:`CountingRelay.one_way_delay`): Chromium's
network emulation (CDP ``Network.emulateNetworkConditions``) limits a WebSocket's throughput but does not delay its
messages by the emulated latency (a step click over emulated "3G", 150 ms, showed in 170 ms p50, under one round
trip), so benchmarks add the latency here.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import selectors
import socket
import threading
import time

from tests.support.browser import free_port


class CountingRelay:
    """Forwards every connection to ``127.0.0.1:target_port`` and counts the bytes sent back to the client."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._bytes_to_client = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._stop = threading.Event()
        self._drop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="counting-relay", daemon=True)
        # Seconds each chunk is held back, each way (half a round trip); set it at any time.
        self.one_way_delay = 0.0
        self._pending: list[tuple[float, int, socket.socket, bytes]] = []  # (due, order, destination, data)
        self._order = itertools.count()

    @property
    def bytes_to_client(self) -> int:
        """Bytes the server has sent to the relay's clients so far (each counted as it is passed on)."""
        with self._lock:
            return self._bytes_to_client

    def drop_connections(self) -> None:
        """Close every open connection, as a network that drops does (the listener stays open for reconnects)."""
        self._drop.set()

    def __enter__(self) -> CountingRelay:
        self._thread.start()
        return self

    def __exit__(self, *exception) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()
        self._selector.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._drop.is_set():
                for key in list(self._selector.get_map().values()):
                    if key.fileobj is not self._listener:
                        self._selector.unregister(key.fileobj)
                        key.fileobj.close()
                self._drop.clear()
            wait = 0.1 if not self._pending else min(0.1, max(0.0, self._pending[0][0] - time.monotonic()))
            for key, _ in self._selector.select(timeout=wait):
                if key.fileobj is self._listener:
                    self._accept()
                else:
                    self._pass_on(key.fileobj, *key.data)
            self._send_due(time.monotonic())

    def _accept(self) -> None:
        client, _ = self._listener.accept()
        server = socket.create_connection(("127.0.0.1", self.target_port))
        for end in (client, server):
            end.setblocking(True)
            end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._selector.register(client, selectors.EVENT_READ, (server, False))
        self._selector.register(server, selectors.EVENT_READ, (client, True))

    def _pass_on(self, source: socket.socket, destination: socket.socket, to_client: bool) -> None:
        if source.fileno() == -1:  # closed earlier in this round, with its other end
            return
        try:
            data = source.recv(65536)
        except OSError:
            data = b""
        if not data:  # one side closed: pass on what is still held back, then close both
            self._send_due(float("inf"))
            for end in (source, destination):
                if end.fileno() != -1:
                    self._selector.unregister(end)
                    end.close()
            return
        if to_client:
            with self._lock:
                self._bytes_to_client += len(data)
        heapq.heappush(self._pending, (time.monotonic() + self.one_way_delay, next(self._order), destination, data))

    def _send_due(self, now: float) -> None:
        while self._pending and self._pending[0][0] <= now:
            _, _, destination, data = heapq.heappop(self._pending)
            if destination.fileno() == -1:
                continue
            with contextlib.suppress(OSError):  # the other side is gone: its own read will close this pair
                destination.sendall(data)
