"""A training run belongs to the server (explainer.serving.training_runs), and its cleanup does not depend on the
browser session: a closed tab (its session no longer connected) stops the run, kills and reaps the child and
gives the slot back; Stop keeps the checkpoints; people waiting see their place in the queue and can cancel.

The child here is a stand-in that prints one real checkpoint line and then sleeps, so no TensorFlow starts.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

import explainer.serving.keras_slots as keras_slots
import explainer.serving.training_runs as jobs
from explainer import load_weights
from explainer.serving.keras_slots import forget_kept_files, keras_child_slots, keras_file_bytes
from explainer.training.recipes import Checkpoint, TrainingSettings
from explainer.training.worker import checkpoint_to_json
from tests.support.networks import random_weights

SETTINGS = TrainingSettings("fast", 0, 16, 0.05, 100)
DEADLINE = 60  # seconds: generous on a loaded 2-core machine; a leak waits forever


@pytest.fixture
def stand_in_child(monkeypatch, tmp_path):
    for run in list(jobs._active):  # a run an earlier test (or page) left going would share the warm worker
        run.stop()
    wait_for(lambda: not jobs._active, "earlier runs ended")
    line = checkpoint_to_json(Checkpoint(0, float("nan"), 0.0, 0.5, 0.0, load_weights()))
    script = tmp_path / "child.py"
    script.write_text(f"import sys, time\nprint({line!r}, flush=True)\ntime.sleep(120)\n")
    monkeypatch.setattr(jobs, "worker_command", lambda settings: [sys.executable, str(script)])
    monkeypatch.setattr(jobs, "prepare_warm_worker", lambda: None)  # no TensorFlow worker in these tests
    jobs.release_idle_warm_worker()
    monkeypatch.setattr(keras_slots, "_slots", keras_slots.FifoSlots(2))  # the default, whatever the environment


def free_slots() -> int:
    return keras_child_slots().free


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"not within {DEADLINE} s: {what}"
        time.sleep(0.05)


def test_a_closed_session_stops_its_run_frees_the_slot_and_leaves_no_zombie(stand_in_child):
    before = free_slots()
    connected = [True]
    run = jobs.start_training(SETTINGS, is_alive=lambda: connected[0])
    wait_for(lambda: run.checkpoints, "the first checkpoint")
    assert run.status == "running" and free_slots() == before - 1
    process = run.process
    connected[0] = False  # the tab closed
    closed = time.monotonic()
    wait_for(lambda: not run.active and process.returncode is not None and free_slots() == before, "cleanup")
    assert time.monotonic() - closed < 10  # the bound, with the grace for a reconnect inside it
    assert run.status == "stopped" and len(run.checkpoints) == 1  # nothing made is lost


def test_a_short_disconnect_does_not_stop_the_run(stand_in_child):
    connected = [True]
    run = jobs.start_training(SETTINGS, is_alive=lambda: connected[0])
    wait_for(lambda: run.checkpoints, "the first checkpoint")
    connected[0] = False
    time.sleep(jobs.SESSION_GONE_GRACE / 3)
    connected[0] = True  # reconnected
    time.sleep(jobs.SESSION_GONE_GRACE)
    assert run.status == "running"
    run.stop()
    wait_for(lambda: run.process.returncode is not None, "the child reaped")


def test_stop_keeps_the_checkpoints_and_frees_the_slot(stand_in_child):
    before = free_slots()
    run = jobs.start_training(SETTINGS)
    wait_for(lambda: run.checkpoints, "the first checkpoint")
    run.stop()
    wait_for(lambda: run.process.returncode is not None and free_slots() == before, "cleanup")
    assert run.status == "stopped" and run.checkpoints[0].step == 0


def test_waiting_runs_see_their_place_and_can_cancel(stand_in_child):
    slots = keras_child_slots()
    taken = 0
    while slots.acquire(blocking=False):  # every slot busy, as if others were training
        taken += 1
    try:
        first, second = jobs.start_training(SETTINGS), jobs.start_training(SETTINGS)
        wait_for(lambda: first.queue_position() == 1 and second.queue_position() == 2, "both queued")
        assert first.status == second.status == "waiting"
        first.stop()  # Cancel
        wait_for(lambda: second.queue_position() == 1, "the second moves up")
        assert first.status == "stopped" and first.queue_position() is None
    finally:
        for _ in range(taken):
            slots.release()
    wait_for(lambda: second.status == "running", "the second gets the freed slot")
    second.stop()
    wait_for(lambda: not second.active and second.process.returncode is not None, "cleanup")
    assert free_slots() == taken


def test_a_waiting_run_whose_session_closed_leaves_the_queue(stand_in_child):
    slots = keras_child_slots()
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    try:
        run = jobs.start_training(SETTINGS, is_alive=lambda: False)
        wait_for(lambda: not run.active, "the closed tab's run leaves the queue")
        assert run.queue_position() is None and jobs.waiting_count() == 0
    finally:
        for _ in range(taken):
            slots.release()


def test_a_run_gives_its_slot_back_to_the_slots_it_took_it_from(stand_in_child, monkeypatch):
    """A run that ends after the server's slots were replaced (as between tests) must not free a slot it never
    took from the new ones: that extra slot would let one more child run than the limit allows."""
    taken_from = keras_child_slots()
    run = jobs.start_training(SETTINGS)
    wait_for(lambda: run.checkpoints, "the first checkpoint")
    assert taken_from.free == taken_from.size - 1
    replaced = keras_slots.FifoSlots(2)
    assert replaced.acquire(blocking=False)  # someone holds one of the new slots
    monkeypatch.setattr(keras_slots, "_slots", replaced)
    run.stop()
    wait_for(lambda: taken_from.free == taken_from.size, "the slot back where it came from")
    time.sleep(0.2)
    assert replaced.free == 1  # untouched: still one held, one free


def test_checkpoints_are_kept_compactly_and_thinned_past_the_cap(shipped_weights):
    checkpoint = Checkpoint(0, 0.5, 0.0, 0.5, 0.0, shipped_weights)
    assert checkpoint.weights == shipped_weights  # float32 storage loses nothing of float32-trained weights
    assert checkpoint.nbytes == 304 * 4
    run = jobs.TrainingRun(SETTINGS)
    for step in range(0, 16 * (jobs.MAX_KEPT_CHECKPOINTS + 50), 16):
        run._add(Checkpoint(step, 0.5, 0.0, 0.5, 0.0, shipped_weights))
    assert len(run.checkpoints) <= jobs.MAX_KEPT_CHECKPOINTS
    steps = [kept.step for kept in run.checkpoints]
    assert steps[0] == 0 and steps[-1] == 16 * (jobs.MAX_KEPT_CHECKPOINTS + 49) and steps == sorted(steps)


def test_waiting_for_the_first_checkpoint_returns_when_it_comes_or_the_run_ends(stand_in_child):
    before = free_slots()
    run = jobs.start_training(SETTINGS)
    assert run.wait_for_first_checkpoint(DEADLINE)  # the stand-in child prints step 0 at once
    assert run.checkpoints[0].step == 0
    run.stop()
    wait_for(lambda: free_slots() == before, "the stopped run's slot")
    # A run that ends without any checkpoint (here: stopped while it waits for a slot) ends the wait at once.
    slots = keras_child_slots()
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    try:
        waiting = jobs.start_training(SETTINGS)
        assert not waiting.wait_for_first_checkpoint(0.2)  # bounded: no checkpoint, no slot, it returns
        waiting.stop()
        started = time.monotonic()
        assert not waiting.wait_for_first_checkpoint(DEADLINE)
        assert time.monotonic() - started < DEADLINE / 2
    finally:
        for _ in range(taken):
            slots.release()


# --------------------------------------------------------------------------------------------------
# One line for Train presses and .keras exports (issue 23 item 5): first come, first served, and an export
# never ends a warm worker that a Train press is about to use. Exports here are stand-ins that hold their slot
# until the test lets them go, so the order is decided by the code under test, not by timing.
# --------------------------------------------------------------------------------------------------


class HeldExports:
    """Stand-in exports: each records that it got its slot, then holds it until ``let_go`` is set."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.changed = threading.Condition()
        self.let_go = threading.Event()

    def export(self, weights) -> bytes:
        with self.changed:
            self.started.append(weights.fingerprint)
            self.changed.notify_all()
        self.let_go.wait(DEADLINE)
        return weights.fingerprint.encode()

    def wait_until(self, condition, what: str) -> None:
        with self.changed:
            assert self.changed.wait_for(condition, DEADLINE), f"not within {DEADLINE} s: {what}; {slot_holders()}"


def slot_holders() -> str:
    """Who holds and waits for the Keras slots, and which threads run: what a failure needs to be understood."""
    slots = keras_child_slots()
    threads = sorted(thread.name for thread in threading.enumerate())
    return f"slots free {slots.free} of {slots.size}, line {[t.kind for t in slots.waiting()]}, threads {threads}"


def request_export(weights, exports: HeldExports, results: list) -> threading.Thread:
    thread = threading.Thread(target=lambda: results.append(keras_file_bytes(weights, exports.export)), daemon=True)
    thread.start()
    return thread


def wait_for_line(length: int) -> None:
    slots = keras_child_slots()
    with slots.condition:
        assert slots.condition.wait_for(lambda: len(slots.waiting()) == length, DEADLINE), slots.waiting()


def test_train_presses_and_exports_get_slots_in_the_order_they_came(stand_in_child):
    forget_kept_files()
    slots = keras_child_slots()
    taken = 0
    while slots.acquire(blocking=False):  # every slot busy, as if others were training
        taken += 1
    exports, results = HeldExports(), []
    networks = [random_weights(16, seed=seed) for seed in (31, 32, 33)]
    threads = [request_export(networks[0], exports, results)]
    wait_for_line(1)
    run = jobs.start_training(SETTINGS)  # pressed after the first export was asked for, before the others
    threads += [request_export(network, exports, results) for network in networks[1:]]
    wait_for_line(4)
    assert run.queue_position() == 2
    try:
        slots.release()  # one slot frees: the first export, not the later Train press and not a later export
        taken -= 1
        exports.wait_until(lambda: len(exports.started) == 1, "the first export starts")
        assert exports.started == [networks[0].fingerprint] and run.status == "waiting"
        assert run.queue_position() == 1
        slots.release()  # the next slot goes to the Train press, ahead of the two exports asked for after it
        taken -= 1
        wait_for(lambda: run.checkpoints, "the Train press's first checkpoint")
        assert exports.started == [networks[0].fingerprint] and len(slots.waiting("export")) == 2
        run.stop()  # its slot goes to the second export, then the first export's to the third
        exports.wait_until(lambda: len(exports.started) >= 2, "the second export starts")
        exports.let_go.set()
        exports.wait_until(lambda: len(exports.started) == 3, "the third export starts")
        assert exports.started == [network.fingerprint for network in networks]
    finally:
        exports.let_go.set()
        for thread in threads:
            thread.join(DEADLINE)
        for _ in range(taken):
            slots.release()
    assert sorted(results) == sorted(network.fingerprint.encode() for network in networks)
    wait_for(lambda: free_slots() == slots.size, "every slot back")


@pytest.fixture
def stand_in_warm_worker(stand_in_child, tmp_path):
    """A warm worker that holds a slot like the real one: it waits for settings, then prints a checkpoint."""
    line = checkpoint_to_json(Checkpoint(0, float("nan"), 0.0, 0.5, 0.0, load_weights()))
    script = tmp_path / "warm.py"
    script.write_text(f"import sys, time\nsys.stdin.readline()\nprint({line!r}, flush=True)\ntime.sleep(120)\n")
    slots = keras_child_slots()
    assert slots.acquire(blocking=False)
    worker = subprocess.Popen(
        [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    with jobs._lock:
        jobs._warm, jobs._warm_slots = worker, slots
    yield worker
    jobs.release_idle_warm_worker()
    if worker.poll() is None:
        worker.kill()
    worker.wait()


def test_pending_exports_never_end_the_warm_worker_a_train_press_then_takes(stand_in_warm_worker):
    forget_kept_files()
    slots = keras_child_slots()
    exports, results = HeldExports(), []
    networks = [random_weights(16, seed=40 + seed) for seed in range(20)]
    threads = []
    try:
        for count, network in enumerate(networks, start=1):  # 20 exports of distinct networks, one by one
            threads.append(request_export(network, exports, results))
            busy = min(count, slots.size - 1)  # every slot but the warm worker's runs an export; the rest wait
            exports.wait_until(lambda busy=busy: len(exports.started) == busy, f"{busy} export(s) running")
            wait_for_line(count - busy)
        assert stand_in_warm_worker.poll() is None and jobs.has_warm_worker()  # still there, still holding its slot
        run = jobs.start_training(SETTINGS)  # a bystander presses Train behind 20 exports
        assert run.wait_for_first_checkpoint(DEADLINE)
        assert run.process is stand_in_warm_worker  # it got the warm worker, whose slot no export took
        assert len(exports.started) == slots.size - 1  # and no export finished meanwhile: it did not wait for them
        run.stop()
    finally:
        exports.let_go.set()
        for thread in threads:
            thread.join(DEADLINE)
    assert len(results) == len(networks)
    wait_for(lambda: free_slots() == slots.size, "every slot back")
