"""Keras work for the page, bounded server-wide: child processes that import TensorFlow cost ~0.8 GB each.

Two things start such a child: training (``explainer.training.worker``) and building a ``.keras`` download
(``python -m explainer.files.keras_export``). Both take a slot from :func:`keras_child_slots` first, so a server never
runs more than ``ADDITION_UNFOLDED_MAX_TRAININGS`` (default 2) at once however many visitors press buttons
(or replay the download request over the WebSocket). A ``.keras`` file is also kept per network fingerprint
in a small LRU cache, and requests for a network whose export is already running wait for that one: the
same network is exported once, not once per click.

State is module-level, which is per server process: the page process imports this module once for all
sessions. Nothing here imports streamlit or Keras.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator

from explainer.files.keras_export import model_to_keras_bytes_in_subprocess
from explainer.model.network import RNNWeights
from explainer.serving.settings import max_trainings

KEPT_KERAS_FILES = 16  # a .keras file of a 16-unit network is ~24 KB; 16 of the largest (H = 64) are < 2 MB

_slots: threading.BoundedSemaphore | None = None  # made on first use, sized by explainer.serving.settings
_lock = threading.Lock()  # guards _slots, _kept and _running
_kept: OrderedDict[str, bytes] = OrderedDict()  # fingerprint → .keras bytes, least recently used first
_running: dict[str, threading.Event] = {}  # fingerprint → set when its export ends (either way)
_idle_slot_holders: list[Callable[[], bool]] = []  # each frees a slot held by something idle; True if it did


def keras_child_slots() -> threading.BoundedSemaphore:
    """The server-wide limit on Keras child processes: acquire before starting one, release after reaping it.

    Its size is :func:`explainer.serving.settings.max_trainings` (``ADDITION_UNFOLDED_MAX_TRAININGS``, default 2), read
    once per server process; a bad value raises :class:`explainer.serving.settings.SettingsError` with the fix.
    """
    global _slots
    with _lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(max_trainings())
        return _slots


def register_idle_slot_holder(release: Callable[[], bool]) -> None:
    """``release()`` frees a slot that something idle holds (the warm training worker) and says whether it did."""
    _idle_slot_holders.append(release)


@contextlib.contextmanager
def keras_slot() -> Iterator[None]:
    """Hold one Keras slot for the ``with`` body. While none is free, an idle holder gives its slot up."""
    slots = keras_child_slots()
    while not slots.acquire(timeout=0.25):
        for release in list(_idle_slot_holders):
            if release():
                break
    try:
        yield
    finally:
        slots.release()


def keras_file_bytes(
    weights: RNNWeights, export: Callable[[RNNWeights], bytes] = model_to_keras_bytes_in_subprocess
) -> bytes:
    """The ``.keras`` file of ``weights``: from the cache, or from the export already running for this network,
    or made by ``export`` once a Keras slot is free. Raises what ``export`` raises (``RuntimeError``)."""
    key = weights.fingerprint
    while True:  # ends: each pass returns, raises, or waits for an export that is running and then ends
        with _lock:
            if key in _kept:
                _kept.move_to_end(key)
                return _kept[key]
            running = _running.get(key)
            if running is None:
                _running[key] = done = threading.Event()
        if running is not None:
            running.wait()  # then it is in the cache, or that export failed and this request makes its own
            continue
        try:
            with keras_slot():
                data = export(weights)
            with _lock:
                _kept[key] = data
                _kept.move_to_end(key)
                while len(_kept) > KEPT_KERAS_FILES:
                    _kept.popitem(last=False)
            return data
        finally:
            with _lock:
                del _running[key]
            done.set()


def forget_kept_files() -> None:
    """Empty the cache (for tests that count children)."""
    with _lock:
        _kept.clear()
