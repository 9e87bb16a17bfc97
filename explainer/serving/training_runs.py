"""Training runs owned by the server process, not by a page's script run: the page stays usable while it trains.

A Train press makes a :class:`TrainingRun` and a background thread that
1. takes the server's warm worker if one is ready and no earlier Train press waits (TensorFlow already
   started, so the first checkpoint comes in about a second); else
2. waits its turn for one of the server-wide Keras slots (:func:`explainer.serving.keras_slots.keras_child_slots`),
   in one first-come, first-served line with ``.keras`` exports (``queue_position`` is what a visitor sees),
   and starts a fresh child (:mod:`explainer.training.worker`);
3. appends each checkpoint to ``run.checkpoints`` as it arrives (compact float32 arrays, at most
   :data:`MAX_KEPT_CHECKPOINTS` per run: older ones are thinned to every other), which the page polls;
4. however it ends, kills and reaps the child and gives the slot back.

A warm worker is prepared when a page shows the training section (:func:`prepare_warm_worker`).

Stop (:meth:`TrainingRun.stop`) works at any moment and keeps the checkpoints. A run whose browser session has
gone (``is_alive`` false for :data:`SESSION_GONE_GRACE` seconds: a closed tab) is stopped by a monitor thread,
so a closed tab frees its slot within seconds. Nothing here touches the session: cleanup cannot fail with it.

Module-level state is per server process. No streamlit, no Keras.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from explainer.paths import PROJECT_ROOT
from explainer.rules import DEFAULT_RULE
from explainer.serving import keras_slots
from explainer.training.recipes import Checkpoint, TrainingSettings, check_set_words
from explainer.training.worker import checkpoint_from_record, settings_line, warm_worker_command, worker_command

MAX_KEPT_CHECKPOINTS = 400  # per run: ≤ 1.3 KB each at H = 16, ≤ 4.5 KB at H = 32 (float32)
SESSION_GONE_GRACE = 3.0  # seconds a session may be disconnected (a reconnect) before its run is stopped
POLL_SECONDS = 0.25  # how often a waiting run looks for a closed tab (a slot wakes it at once), and the monitor too
ACTIVE = ("waiting", "running")


@dataclass(eq=False)
class TrainingRun:
    """One training run. ``status``: "waiting" (for a slot), "running", "finished", "stopped" or "failed"."""

    settings: TrainingSettings
    checkpoints: list[Checkpoint] = field(default_factory=list)  # replaced, never mutated in place, when thinned
    status: str = "waiting"
    outcome: str = ""  # a finished or failed run's one-line summary
    is_alive: Callable[[], bool] = field(default=lambda: True, repr=False)  # is its browser session still there?
    process: subprocess.Popen | None = field(default=None, repr=False)
    pressed_at: float = field(default_factory=time.perf_counter)
    first_checkpoint_seconds: float | None = None  # from pressing Train to the first checkpoint in the server
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stop_requested: threading.Event = field(default_factory=threading.Event, repr=False)
    _first_checkpoint_or_end: threading.Event = field(default_factory=threading.Event, repr=False)
    _gone_since: float | None = field(default=None, repr=False)
    _ticket: keras_slots.Ticket | None = field(default=None, repr=False)  # its place in the slots' line
    # The slots it waits in and gives its slot back to: a slot goes back where it came from, whatever
    # keras_child_slots() returns by then (tests swap in fresh slots; a run from an earlier test may end late).
    _slots: keras_slots.FifoSlots | None = field(default=None, repr=False)

    def describe(self) -> str:
        return f"{self.settings.describe()} · {self.checkpoints[-1].step:,} steps"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def stop(self, status: str = "stopped") -> None:
        """End the run now (from any thread): kill its child; the checkpoints so far stay."""
        self._stop_requested.set()
        with self.lock:
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
            if self.status in ACTIVE:
                self.status = status
        keras_slots.wake_waiters()  # a waiting run leaves the line now, not at its next look

    def wait_for_first_checkpoint(self, timeout: float) -> bool:
        """Block until the run has its first checkpoint (or has ended), at most ``timeout`` seconds. True if
        it has one."""
        self._first_checkpoint_or_end.wait(timeout)
        return bool(self.checkpoints)

    def queue_position(self) -> int | None:
        """1 for the next in line, 2 behind it, … (exports requested earlier count too); None when not waiting."""
        return None if self._ticket is None or self._slots is None else self._slots.position(self._ticket)

    def _session_gone(self) -> bool:
        """True once ``is_alive`` has said no for :data:`SESSION_GONE_GRACE` seconds in a row."""
        try:
            alive = bool(self.is_alive())
        except Exception:  # a failing check must not keep a slot forever, nor end a run on one glitch
            alive = False
        if alive:
            self._gone_since = None
            return False
        now = time.monotonic()
        self._gone_since = self._gone_since or now
        return now - self._gone_since >= SESSION_GONE_GRACE

    def _add(self, checkpoint: Checkpoint) -> None:
        if self.first_checkpoint_seconds is None:
            self.first_checkpoint_seconds = time.perf_counter() - self.pressed_at
        kept = [*self.checkpoints, checkpoint]
        if len(kept) > MAX_KEPT_CHECKPOINTS:  # every other of the older ones: the curve keeps its shape
            kept = kept[:-1][::2] + kept[-1:]
        self.checkpoints = kept
        self._first_checkpoint_or_end.set()


_lock = threading.Lock()  # guards everything below
_active: set[TrainingRun] = set()
_warm: subprocess.Popen | None = None  # a worker with TensorFlow started, holding a slot, waiting for settings
_warm_slots: keras_slots.FifoSlots | None = None  # the slots _warm's slot came from (and goes back to)
_monitor: threading.Thread | None = None


def start_training(settings: TrainingSettings, is_alive: Callable[[], bool] = lambda: True) -> TrainingRun:
    """Queue a run and return it at once; a background thread trains it. Raises
    :class:`explainer.serving.settings.SettingsError` (with the fix) if the server's training limit is set wrong."""
    slots = keras_slots.keras_child_slots()  # a bad ADDITION_UNFOLDED_MAX_TRAININGS fails here, for the page
    run = TrainingRun(settings, is_alive=is_alive, _slots=slots)
    run._ticket = slots.join("training")
    with _lock:
        _active.add(run)
    threading.Thread(target=_train, args=(run,), name="training-run", daemon=True).start()
    _ensure_monitor()
    return run


def waiting_count() -> int:
    """How many Train presses wait for a slot."""
    return len(keras_slots.keras_child_slots().waiting("training"))


def _ensure_monitor() -> None:
    global _monitor
    with _lock:
        if _monitor is None:  # it clears this itself, under the lock, when it ends
            _monitor = threading.Thread(target=_watch_sessions, name="training-monitor", daemon=True)
            _monitor.start()


def _watch_sessions() -> None:
    """Stop the runs whose browser session has gone; ends when no run is active."""
    global _monitor
    while True:
        with _lock:
            runs = list(_active)
            if not runs:
                _monitor = None
                return
        for run in runs:
            if run._session_gone():
                run.stop()
        time.sleep(POLL_SECONDS)


def has_warm_worker() -> bool:
    """Is a warm worker (started, not yet taken) there? Then a run started now has its first checkpoint soon."""
    with _lock:
        return _warm is not None and _warm.poll() is None


def _take_warm_worker() -> tuple[subprocess.Popen, keras_slots.FifoSlots] | None:
    """The warm worker and the slots its slot goes back to, now the caller's; None if there is none (or it
    died: its slot is freed)."""
    global _warm, _warm_slots
    with _lock:
        worker, _warm = _warm, None
        slots, _warm_slots = _warm_slots, None
    if worker is None:
        return None
    if worker.poll() is not None:
        worker.wait()
        slots.release()
        return None
    return worker, slots


def prepare_warm_worker() -> None:
    """Start a warm worker in the background if there is none, nobody waits and a slot is free.

    Bounded by the same slots as training and exports: a warm worker holds one, and gives it back to an
    export that needs it (:func:`release_idle_warm_worker`)."""
    global _warm, _warm_slots
    slots = keras_slots.keras_child_slots()
    with _lock:
        if _warm is not None and _warm.poll() is not None:  # it idled out (or died): reap it, free its slot
            _warm.wait()
            _warm_slots.release()
            _warm, _warm_slots = None, None
        if _warm is not None or slots.waiting():
            return
        if not slots.acquire(blocking=False):  # only when nobody waits in line: it never jumps the queue
            return
        try:
            _warm = subprocess.Popen(
                warm_worker_command(),
                cwd=PROJECT_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                bufsize=1,
            )
            _warm_slots = slots
        except OSError:
            slots.release()
            return
    slots.notify()  # a Train press that waits may take it


def _holds_idle_slot() -> bool:
    with _lock:
        return _warm is not None


def release_idle_warm_worker() -> bool:
    """End the warm worker (if any) and free its slot, for Keras work that needs one. True if it did."""
    global _warm, _warm_slots
    with _lock:
        worker, _warm = _warm, None
        slots, _warm_slots = _warm_slots, None
    if worker is None:
        return False
    _end_child(worker)
    slots.release()
    return True


keras_slots.register_idle_slot_holder(_holds_idle_slot, release_idle_warm_worker)


def _end_child(process: subprocess.Popen) -> None:
    with contextlib.suppress(Exception):
        if process.poll() is None:
            process.kill()
    with contextlib.suppress(Exception):
        process.wait(timeout=60)  # reap it: no zombie


def _wait_for_turn(run: TrainingRun) -> tuple[keras_slots.FifoSlots | None, subprocess.Popen | None]:
    """Wait in the slots' line until this run can start. Returns (the slots its slot goes back to, or None if it
    got none; the warm worker, if it took that).

    The warm worker goes to the earliest Train press that waits (exports cannot use it); a slot goes to whoever
    is at the head of the line. Woken by a released slot, a moving line, a new warm worker or Stop; it also
    looks every :data:`POLL_SECONDS` for a closed tab.
    """
    slots, ticket = run._slots, run._ticket
    try:
        while not run._stop_requested.is_set():
            if run._session_gone():
                run.stop()
                break
            trainings = slots.waiting("training")
            if trainings and trainings[0] is ticket:
                taken = _take_warm_worker()
                if taken is not None:
                    warm, warm_slots = taken
                    return warm_slots, warm
            if slots.take(ticket):
                return slots, None
            slots.wait(POLL_SECONDS)
        return None, None
    finally:
        slots.leave(ticket)


def _start_child(run: TrainingRun, warm: subprocess.Popen | None, error_log) -> subprocess.Popen:
    if warm is not None:
        warm.stdin.write(settings_line(run.settings) + "\n")
        warm.stdin.close()
        return warm
    # stderr (TensorFlow's start-up messages) goes to a file: an unread pipe could fill up and stall the child.
    return subprocess.Popen(
        worker_command(run.settings), cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=error_log, text=True, bufsize=1
    )


def _train(run: TrainingRun) -> None:
    slot_from, warm = _wait_for_turn(run)
    if slot_from is None:
        with _lock:
            _active.discard(run)
        run._first_checkpoint_or_end.set()
        return
    started = time.perf_counter()
    process = None
    try:
        with tempfile.TemporaryFile() as error_log:
            with run.lock:
                if run._stop_requested.is_set():  # stopped just as its turn came
                    if warm is not None:
                        _end_child(warm)
                    return
                run.process = process = _start_child(run, warm, error_log)
                run.status = "running"
            summary = _read_checkpoints(run, process)
            process.wait()
            with run.lock:
                if run.status != "running":
                    return  # stopped: the checkpoints stay
                if summary is not None:
                    outcome = _outcome(run.settings, summary)
                    run.outcome = (
                        f"Trained {summary['steps']:,} steps in {time.perf_counter() - started:.1f} s: {outcome}."
                    )
                    run.status = "finished"
                elif not run.outcome:
                    error_log.seek(0)
                    last = error_log.read().decode(errors="replace").strip().splitlines()[-1:]
                    run.outcome = f"Training ended unexpectedly (exit status {process.returncode}). {''.join(last)}"
                    run.status = "failed"
                else:
                    run.status = "failed"
    except Exception as error:  # never let a slot leak with a surprise
        run.outcome = run.outcome or f"Training failed: {error}"
        run.stop("failed")
    finally:
        if process is not None:
            _end_child(process)
        elif warm is not None:
            _end_child(warm)
        slot_from.release()
        with _lock:
            _active.discard(run)
        run._first_checkpoint_or_end.set()


def _outcome(settings: TrainingSettings, summary: dict) -> str:
    """How a finished run ended, in the words of its rule (a rule other than addition has no carry to find)."""
    if not summary["solved"]:
        return "stopped at the step limit"
    if settings.rule == DEFAULT_RULE:
        return "found the carry: every pair right"
    return f"right on every input of its check set ({check_set_words(settings.rule)})"


def _read_checkpoints(run: TrainingRun, process: subprocess.Popen) -> dict | None:
    """Read the child's lines until it ends or is killed; returns its summary if it finished."""
    summary = None
    for line in process.stdout:
        message = json.loads(line)
        if "ready" in message:
            continue
        if "error" in message:
            run.outcome = f"Training could not start: {message['error']}"
        elif "done" in message:
            summary = message["done"]
        elif "checkpoint" in message:
            run._add(checkpoint_from_record(message["checkpoint"]))
    return summary
