"""A training run's cleanup must not depend on the browser session still being there.

When a tab closes mid-training, every ``st.*`` call, ``st.session_state`` included, raises. The cleanup
that other visitors depend on (kill and reap the child, give back the training slot) has to happen anyway.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from types import SimpleNamespace

import pytest

import ui.training_run as training
from explainer.recipes import TrainingSettings
from ui.session_networks import PENDING_SOURCE_KEY, SOURCE_TRAINED, TrainingRun

SETTINGS = TrainingSettings("fast", 0, 16, 0.05, 100)


class GoneSessionState(dict):
    """Stands in for ``st.session_state`` after the session ended: every write raises."""

    def __setitem__(self, key, value):
        raise RuntimeError("the session is gone")


@pytest.fixture
def child():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    if process.poll() is None:  # only if the code under test failed to
        process.kill()
        process.wait()


def test_a_closed_session_still_releases_the_slot_and_reaps_the_child(monkeypatch, child):
    monkeypatch.setattr(training, "st", SimpleNamespace(session_state=GoneSessionState()))
    slots = threading.BoundedSemaphore(1)
    assert slots.acquire(blocking=False)
    run = TrainingRun(SETTINGS, checkpoints=["one checkpoint"], process=child)
    training._clean_up_run(run, slots)  # the session-state write inside raises; nothing escapes
    assert child.returncode is not None  # killed and reaped: no zombie left behind
    assert run.status == "stopped"
    assert slots.acquire(blocking=False)  # the slot came back


def test_a_live_session_is_told_to_show_the_stopped_run(monkeypatch, child):
    session_state = {}
    monkeypatch.setattr(training, "st", SimpleNamespace(session_state=session_state))
    slots = threading.BoundedSemaphore(1)
    assert slots.acquire(blocking=False)
    run = TrainingRun(SETTINGS, checkpoints=["one checkpoint"], process=child)
    training._clean_up_run(run, slots)
    assert child.returncode is not None
    assert session_state[PENDING_SOURCE_KEY] == SOURCE_TRAINED
    assert slots.acquire(blocking=False)
