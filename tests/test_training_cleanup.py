"""A training run belongs to the server (explainer.serving.training_runs), and its cleanup does not depend on the
browser session: a closed tab (its session no longer connected) stops the run, kills and reaps the child and
gives the slot back; Stop keeps the checkpoints; people waiting see their place in the queue and can cancel.

The child here is a stand-in that prints one real checkpoint line and then sleeps, so no TensorFlow starts.
"""

from __future__ import annotations

import sys
import time

import pytest

import explainer.serving.training_runs as jobs
from explainer import load_weights
from explainer.serving.keras_slots import keras_child_slots
from explainer.training.recipes import Checkpoint, TrainingSettings
from explainer.training.worker import checkpoint_to_json

SETTINGS = TrainingSettings("fast", 0, 16, 0.05, 100)
DEADLINE = 60  # seconds: generous on a loaded 2-core machine; a leak waits forever


@pytest.fixture
def stand_in_child(monkeypatch, tmp_path):
    line = checkpoint_to_json(Checkpoint(0, float("nan"), 0.0, 0.5, 0.0, load_weights()))
    script = tmp_path / "child.py"
    script.write_text(f"import sys, time\nprint({line!r}, flush=True)\ntime.sleep(120)\n")
    monkeypatch.setattr(jobs, "worker_command", lambda settings: [sys.executable, str(script)])
    monkeypatch.setattr(jobs, "prepare_warm_worker", lambda: None)  # no TensorFlow worker in these tests
    jobs.release_idle_warm_worker()


def free_slots() -> int:
    """How many Keras slots are free, through the semaphore's public API: take every free one without blocking,
    count, give them all back. (The warm worker, which also takes a slot without blocking, is off in these tests;
    a queued run that polls in that instant simply polls again.)"""
    slots = keras_child_slots()
    free = 0
    while slots.acquire(blocking=False):
        free += 1
    for _ in range(free):
        slots.release()
    return free


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
