"""explainer.byte_cache: what the server keeps per network is bounded by bytes, and computed once per key."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pytest

import explainer.byte_cache as byte_cache_module
from explainer.byte_cache import ByteCache, byte_cache, nbytes_of

DEADLINE = 60


@dataclass(frozen=True)
class Holder:
    array: np.ndarray
    view: np.ndarray
    text: str


def test_nbytes_of_counts_each_buffer_once_and_looks_inside_containers():
    array = np.zeros((100, 64))  # 51,200 bytes
    size = nbytes_of(Holder(array, array[:10], "x" * 1000))
    assert array.nbytes + 1000 <= size < array.nbytes + 1000 + 1000  # the view shares the array's buffer
    assert nbytes_of({"a": [array, (array,)]}) < 2 * array.nbytes
    assert nbytes_of([np.zeros(1000), np.zeros(1000)]) >= 16_000


def test_a_cache_never_holds_more_than_its_byte_limit_and_drops_the_least_recently_used():
    rng = np.random.default_rng(0)
    cache = ByteCache(1_000_000)
    for key in range(200):
        cache.put(key, np.zeros(int(rng.integers(1, 40_000))))
        assert cache.total_bytes <= cache.max_bytes
        assert cache.total_bytes == sum(nbytes_of(cache.get(kept)) for kept in list(cache._kept))
        assert cache.get(0) is not None  # used after every put: the oldest key stays
    assert cache.get(0) is not None and cache.get(1) is None
    huge = np.zeros(200_000)  # 1.6 MB: larger than the whole cache
    assert cache.get_or_compute("huge", lambda: huge) is huge
    assert cache.get("huge") is None and cache.total_bytes <= cache.max_bytes


def test_the_decorator_keys_by_arguments_and_stays_within_its_limit():
    calls = []

    @byte_cache(100_000)
    def table(seed: int, rows: int = 100) -> np.ndarray:
        calls.append((seed, rows))
        return np.full((rows, 10), seed, dtype=np.float64)  # 8,000 bytes at 100 rows

    assert table(1) is table(1) and calls == [(1, 100)]
    assert table(1, rows=50) is not table(1)
    for seed in range(50):
        table(seed)
        assert table.cache.total_bytes <= 100_000
    assert len(table.cache) < 50
    table.cache_clear()
    assert len(table.cache) == 0 and table.cache.total_bytes == 0


class NotifyingEvent(threading.Event):
    """An Event that says when someone starts waiting on it, so the test knows the second request waits."""

    waiting = threading.Condition()
    waiters = 0

    def wait(self, timeout=None):
        with NotifyingEvent.waiting:
            NotifyingEvent.waiters += 1
            NotifyingEvent.waiting.notify_all()
        return super().wait(timeout)


def test_a_second_request_waits_for_the_running_computation_instead_of_starting_its_own(monkeypatch):
    monkeypatch.setattr(byte_cache_module.threading, "Event", NotifyingEvent)
    NotifyingEvent.waiters = 0
    cache = ByteCache(1_000_000)
    started, finish = threading.Event(), threading.Event()
    calls, results = [], []

    def slow():
        calls.append("slow")
        started.set()
        finish.wait(DEADLINE)
        return np.arange(10)

    def must_not_run():
        calls.append("second")
        return np.arange(3)

    first = threading.Thread(target=lambda: results.append(cache.get_or_compute("key", slow)))
    first.start()
    assert started.wait(DEADLINE)
    second = threading.Thread(target=lambda: results.append(cache.get_or_compute("key", must_not_run)))
    second.start()
    with NotifyingEvent.waiting:
        assert NotifyingEvent.waiting.wait_for(lambda: NotifyingEvent.waiters >= 1, DEADLINE)
    finish.set()
    first.join(DEADLINE)
    second.join(DEADLINE)
    assert calls == ["slow"] and len(results) == 2 and results[0] is results[1]


def test_a_failed_computation_lets_the_next_request_compute():
    cache = ByteCache(1_000)

    def fails():
        raise RuntimeError("export failed")

    with pytest.raises(RuntimeError):
        cache.get_or_compute("key", fails)
    assert cache.get_or_compute("key", lambda: "made") == "made"
