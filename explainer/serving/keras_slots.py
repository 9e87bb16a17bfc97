"""Keras work for the page, bounded server-wide: child processes that import TensorFlow cost ~0.8 GB each.

Two things start such a child: training (``explainer.training.worker``) and building a ``.keras`` download
(``python -m explainer.files.keras_export``). Both take a slot from :func:`keras_child_slots` first, so a server never
runs more than ``ADDITION_UNFOLDED_MAX_TRAININGS`` (default 2) at once however many visitors press buttons
(or replay the download request over the WebSocket). The slots go first come, first served: Train presses and
exports wait in one line (:class:`FifoSlots`). A ``.keras`` file is also kept per network fingerprint in a
cache bounded by bytes (:class:`explainer.byte_cache.ByteCache`), and requests for a network whose export is
already running wait for that one: the same network is exported once, not once per click.

State is module-level, which is per server process: the page process imports this module once for all
sessions. Nothing here imports streamlit or Keras.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from explainer.byte_cache import ByteCache
from explainer.files.keras_export import model_to_keras_bytes_in_subprocess
from explainer.model.network import RNNWeights
from explainer.serving.settings import max_trainings

KEPT_KERAS_BYTES = 4 * 2**20  # a .keras file is ~24 kB at H = 16, ~120 kB at H = 64

POLL_SECONDS = 0.25  # how often a waiter rechecks what no notification covers (a closed tab, a dead worker)


class Ticket:
    """One request's place in the line for a Keras slot; ``kind`` is "training" or "export"."""

    def __init__(self, kind: str) -> None:
        self.kind = kind


class FifoSlots:
    """``size`` slots handed out first come, first served, to training runs and exports alike.

    A request joins the line (:meth:`join`) and gets a slot only when it is at the head of the line and one is
    free (:meth:`take`); :meth:`release` and :meth:`notify` wake the waiters to look again, so nobody polls for
    a slot. ``acquire``/``release`` also work as a semaphore's (``acquire(blocking=False)`` succeeds only when
    nobody is waiting), for code that holds a slot outside the line (the warm training worker).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._line: list[Ticket] = []  # oldest first
        self.condition = threading.Condition()

    @property
    def free(self) -> int:
        with self.condition:
            return self._free

    def join(self, kind: str) -> Ticket:
        ticket = Ticket(kind)
        with self.condition:
            self._line.append(ticket)
        return ticket

    def leave(self, ticket: Ticket) -> None:
        with self.condition:
            if ticket in self._line:
                self._line.remove(ticket)
            self.condition.notify_all()  # the next in line may now be at the head

    def take(self, ticket: Ticket) -> bool:
        """Take a slot if ``ticket`` is at the head of the line and one is free; it then leaves the line."""
        with self.condition:
            if self._free and self._line and self._line[0] is ticket:
                self._free -= 1
                self._line.pop(0)
                self.condition.notify_all()
                return True
            return False

    def position(self, ticket: Ticket) -> int | None:
        """1 at the head of the line, 2 behind it, …; None when not in it."""
        with self.condition:
            return self._line.index(ticket) + 1 if ticket in self._line else None

    def waiting(self, kind: str | None = None) -> list[Ticket]:
        """The tickets in line (of ``kind``, if given), oldest first."""
        with self.condition:
            return [ticket for ticket in self._line if kind is None or ticket.kind == kind]

    def wait(self, timeout: float = POLL_SECONDS) -> None:
        """Sleep until a slot is released, the line moves or :meth:`notify` is called (or ``timeout`` passes)."""
        with self.condition:
            self.condition.wait(timeout)

    def notify(self) -> None:
        """Wake every waiter to look again (a run was stopped, a warm worker became ready)."""
        with self.condition:
            self.condition.notify_all()

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """A slot for a holder outside the line: at once if nobody waits and one is free, else by waiting in it."""
        if not blocking:
            with self.condition:
                if self._free and not self._line:
                    self._free -= 1
                    return True
                return False
        ticket = self.join("other")
        try:
            with self.condition:
                return self.condition.wait_for(lambda: self.take(ticket), timeout)
        finally:
            self.leave(ticket)

    def release(self) -> None:
        with self.condition:
            if self._free >= self.size:
                raise ValueError("FifoSlots released more often than acquired.")
            self._free += 1
            self.condition.notify_all()


_slots: FifoSlots | None = None  # made on first use, sized by explainer.serving.settings
_lock = threading.Lock()  # guards _slots
_kept_files = ByteCache(KEPT_KERAS_BYTES)  # fingerprint → .keras bytes; one export per network at a time
_idle_slot_holders: list[tuple[Callable[[], bool], Callable[[], bool]]] = []  # (holds one idle?, free it)


def keras_child_slots() -> FifoSlots:
    """The server-wide limit on Keras child processes: take a slot before starting one, release it after reaping.

    Its size is :func:`explainer.serving.settings.max_trainings` (``ADDITION_UNFOLDED_MAX_TRAININGS``, default 2),
    read once per server process; a bad value raises :class:`explainer.serving.settings.SettingsError` with the
    fix.
    """
    global _slots
    with _lock:
        if _slots is None:
            _slots = FifoSlots(max_trainings())
        return _slots


def register_idle_slot_holder(holds_idle: Callable[[], bool], release: Callable[[], bool]) -> None:
    """Something that may hold a slot while idle (the warm training worker): ``holds_idle()`` says whether it
    does now, ``release()`` frees that slot and says whether it did."""
    _idle_slot_holders.append((holds_idle, release))


def _idle_holders_hold_every_slot(slots: FifoSlots) -> bool:
    idle = sum(1 for holds_idle, _ in _idle_slot_holders if holds_idle())
    return idle > 0 and slots.size - slots.free <= idle


@contextlib.contextmanager
def keras_slot() -> Iterator[None]:
    """Hold one Keras slot for the ``with`` body, taken in arrival order (behind earlier Train presses too).

    An idle warm worker gives its slot up only when it holds every busy slot (nothing else will free one) and
    no Train press waits for it: a warm worker someone is about to use is never ended for an export.
    """
    slots = keras_child_slots()
    ticket = slots.join("export")
    try:
        while not slots.take(ticket):
            if slots.position(ticket) == 1 and not slots.waiting("training") and _idle_holders_hold_every_slot(slots):
                for _, release in list(_idle_slot_holders):
                    if release():
                        break
                continue
            slots.wait()
    finally:
        slots.leave(ticket)
    try:
        yield
    finally:
        slots.release()


def keras_file_bytes(
    weights: RNNWeights, export: Callable[[RNNWeights], bytes] = model_to_keras_bytes_in_subprocess
) -> bytes:
    """The ``.keras`` file of ``weights``: from the cache, or from the export already running for this network,
    or made by ``export`` once a Keras slot is free. Raises what ``export`` raises (``RuntimeError``)."""

    def made() -> bytes:
        with keras_slot():
            return export(weights)

    return _kept_files.get_or_compute(weights.fingerprint, made)


def forget_kept_files() -> None:
    """Empty the cache (for tests that count children)."""
    _kept_files.clear()


def wake_waiters() -> None:
    """Wake everything waiting for a slot to look again (if the slots exist yet)."""
    with _lock:
        slots = _slots
    if slots is not None:
        slots.notify()
