"""The networks this browser session made or brought: its training runs, its upload, and which to show next.

Everything a user makes lives in ``st.session_state`` (their browser session) and nowhere else. Runs are
kept, newest last, in ``st.session_state[RUNS_KEY]`` as :class:`TrainingRun` values (a new run does not
replace an earlier one; only past ``MAX_KEPT_RUNS`` is the oldest dropped, with a notice).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from explainer.model.network import RNNWeights
from explainer.serving.training_runs import TrainingRun
from explainer.training.recipes import Checkpoint
from ui.state import (
    FOLLOW_LIVE,
    FOLLOWED_RUN,
    PENDING_SOURCE,
    REPLAY_CHECKPOINT,
    RUNS,
    SELECTED_RUN,
    UPLOADED_WEIGHTS,
)

SOURCE_SHIPPED = "Shipped model"
SOURCE_LONG = "Shipped long-sums model"  # assets/model-long.keras: proved to add at every length
SOURCE_TRAINED = "Trained in this session"
SOURCE_UPLOADED = "Uploaded weights"

# The keys, from the page's state table (ui/state.py), by the names the modules here use.
RUNS_KEY = RUNS  # list of TrainingRun, newest last
SELECTED_RUN_KEY = SELECTED_RUN  # index into the runs that have checkpoints, chosen under “Network”
REPLAY_KEY = REPLAY_CHECKPOINT  # the step the replay slider points at
MAX_KEPT_RUNS = 5  # per session; a run holds at most ~1.8 MB of checkpoints (400 at H = 32, float32)
UPLOADED_KEY = UPLOADED_WEIGHTS  # UploadedWeights
PENDING_SOURCE_KEY = PENDING_SOURCE  # set before a rerun; applied before the radio is drawn
FOLLOW_LIVE_KEY = FOLLOW_LIVE  # set by Train: show the new run as soon as it has a checkpoint
FOLLOWED_RUN_KEY = FOLLOWED_RUN  # id of the run last drawn while it trained (its replay sits at the newest)


@dataclass(frozen=True)
class UploadedWeights:
    weights: RNNWeights
    name: str


def runs() -> list[TrainingRun]:
    return st.session_state.get(RUNS_KEY, [])


def runs_with_checkpoints() -> list[TrainingRun]:
    return [run for run in runs() if run.checkpoints]


def latest_run() -> TrainingRun | None:
    every = runs()
    return every[-1] if every else None


def selected_run() -> TrainingRun | None:
    """The run the page has chosen (the newest by default), if any run has made a checkpoint."""
    with_checkpoints = runs_with_checkpoints()
    if not with_checkpoints:
        return None
    index = st.session_state.get(SELECTED_RUN_KEY, len(with_checkpoints) - 1)
    in_range = isinstance(index, int) and 0 <= index < len(with_checkpoints)
    return with_checkpoints[index] if in_range else with_checkpoints[-1]


def selected_checkpoint(run: TrainingRun) -> Checkpoint:
    """The checkpoint the replay slider points at (the last one if the slider is not showing)."""
    by_step = {checkpoint.step: checkpoint for checkpoint in run.checkpoints}
    return by_step.get(st.session_state.get(REPLAY_KEY), run.checkpoints[-1])
