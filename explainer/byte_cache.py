"""What the server keeps per network, bounded by bytes: one least-recently-used cache, one computation per key.

A visitor can upload networks of up to 64 units, and what is kept per network grows with the units (an 8-bit
exhaustive tree of a 64-unit network is ~50 MB; of a 16-unit one, ~12 MB). A cache bounded by a count of
entries therefore holds very different amounts depending on who visited; :class:`ByteCache` is bounded by the
bytes its values hold (:func:`nbytes_of`), so the server's memory stays bounded whatever is uploaded.

:class:`ByteCache` is also single-flight: a second request for a key whose value is being computed waits for
that computation instead of starting its own (a network is exported, verified or analysed once, however many
tabs ask at once). :func:`byte_cache` makes a function cache its results in one.

Nothing here imports streamlit or Keras.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import numpy as np

Value = TypeVar("Value")
OBJECT_BYTES = 64  # a Python object's header and a reference to it, roughly: counted once per object seen


def nbytes_of(value: object) -> int:
    """Bytes ``value`` holds: numpy arrays' buffers, strings and bytes, and what dataclasses, tuples, lists,
    dicts and objects' attributes hold, each object counted once. An estimate from above for the data, which is
    what grows with a network's size; Python's own overheads are counted roughly (:data:`OBJECT_BYTES`)."""
    seen: set[int] = set()
    buffers: set[int] = set()  # arrays whose buffer is counted (a view's base, or the array itself)
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        total += OBJECT_BYTES
        if isinstance(item, np.ndarray):
            base = item
            while isinstance(base.base, np.ndarray):  # a view keeps its whole base alive
                base = base.base
            if id(base) not in buffers:
                buffers.add(id(base))
                total += base.nbytes
        elif isinstance(item, str | bytes | bytearray):
            total += sys.getsizeof(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, tuple | list | set | frozenset):
            stack.extend(item)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, field.name) for field in dataclasses.fields(item))
        elif hasattr(item, "__dict__") and not isinstance(item, type):
            stack.extend(vars(item).values())
    return total


class ByteCache:
    """A least-recently-used cache holding values of at most ``max_bytes`` in total (by ``size_of``).

    :meth:`get_or_compute` computes a missing key once: a second request for a key being computed waits for
    that computation (and computes it itself only if that one raised). A value larger than ``max_bytes`` alone
    is returned but not kept. Thread-safe; the computations run outside the lock.
    """

    def __init__(self, max_bytes: int, size_of: Callable[[object], int] = nbytes_of) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be 0 or more; got {max_bytes}.")
        self.max_bytes = int(max_bytes)
        self._size_of = size_of
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()  # key → (value, bytes), oldest first
        self._bytes = 0
        self._running: dict[Hashable, threading.Event] = {}  # key → set when its computation ends (either way)

    @property
    def total_bytes(self) -> int:
        """Bytes of the values kept now (never more than ``max_bytes``)."""
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._kept)

    def get(self, key: Hashable, default: object = None) -> object:
        """The kept value for ``key`` (now the most recently used), without computing it; else ``default``."""
        with self._lock:
            if key not in self._kept:
                return default
            self._kept.move_to_end(key)
            return self._kept[key][0]

    def put(self, key: Hashable, value: object) -> None:
        """Keep ``value`` for ``key``, dropping the least recently used values until the total fits."""
        size = int(self._size_of(value))
        with self._lock:
            if key in self._kept:
                self._bytes -= self._kept.pop(key)[1]
            if size > self.max_bytes:
                return
            self._kept[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._kept.popitem(last=False)
                self._bytes -= dropped

    def get_or_compute(self, key: Hashable, compute: Callable[[], Value]) -> Value:
        """The value for ``key``: kept, or being computed by another thread (waits for it), or ``compute()``d
        now and kept. Raises what ``compute`` raises."""
        missing = object()
        while True:  # ends: each pass returns, raises, or waits for a computation that is running and then ends
            with self._lock:
                if key in self._kept:
                    self._kept.move_to_end(key)
                    return self._kept[key][0]
                running = self._running.get(key)
                if running is None:
                    self._running[key] = done = threading.Event()
            if running is not None:
                running.wait()  # then it is kept, or it failed (or was too large) and this request computes it
                value = self.get(key, missing)
                if value is not missing:
                    return value
                continue
            try:
                value = compute()
                self.put(key, value)
                return value
            finally:
                with self._lock:
                    del self._running[key]
                done.set()

    def clear(self) -> None:
        """Forget every kept value (computations under way still finish and are kept)."""
        with self._lock:
            self._kept.clear()
            self._bytes = 0


def byte_cache(max_bytes: int) -> Callable[[Callable[..., Value]], Callable[..., Value]]:
    """Like ``functools.lru_cache``, bounded by bytes (:class:`ByteCache`): the arguments are the key (they must
    be hashable; :class:`~explainer.model.network.RNNWeights` hashes by its fingerprint). The wrapped function
    has ``.cache`` (the :class:`ByteCache`) and ``.cache_clear()``."""

    def decorate(function: Callable[..., Value]) -> Callable[..., Value]:
        cache = ByteCache(max_bytes)

        @functools.wraps(function)
        def cached(*args, **kwargs):
            key = (args, tuple(sorted(kwargs.items())))
            return cache.get_or_compute(key, lambda: function(*args, **kwargs))

        cached.cache = cache
        cached.cache_clear = cache.clear
        return cached

    return decorate
