"""The networks this browser session made or brought: its training runs, its upload, and which to show next.

Everything a user makes lives in ``st.session_state`` (their browser session) and nowhere else. Runs are
kept, newest last, in ``st.session_state[RUNS_KEY]`` as :class:`TrainingRun` values (a new run does not
replace an earlier one; only past ``MAX_KEPT_RUNS`` is the oldest dropped, with a notice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import streamlit as st

from explainer.model.network import RNNWeights
from explainer.rules import DEFAULT_RULE
from explainer.sections import TRAINING_SECTION
from explainer.serving.training_runs import TrainingRun
from explainer.training.recipes import Checkpoint, check_set_words
from ui.state import (
    FOLLOW_LIVE,
    FOLLOWED_RUN,
    LIVE_PROGRESS_SLOT,
    LIVE_SEEN,
    PENDING_SOURCE,
    REPLAY_CHECKPOINT,
    RULE,
    RUNS,
    SECTION,
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


def page_rule() -> str:
    """The rule the page shows (``?rule=``; addition unless chosen): training trains it, and only its runs are
    offered as the page's network."""
    return st.session_state.get(RULE, DEFAULT_RULE)


def runs_with_checkpoints() -> list[TrainingRun]:
    """This session's runs of the page's rule that have a checkpoint to show (a subtraction network cannot be
    drawn as an adder: another rule's runs stay kept, and come back with their rule)."""
    rule = page_rule()
    return [run for run in runs() if run.settings.rule == rule and drawn_checkpoints(run)]


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


class LiveMark(NamedTuple):
    """Where this session's newest run stood when a page run began (``ui.live`` keeps it in ``LIVE_SEEN``)."""

    run_id: int  # id() of the run
    checkpoint_count: int
    last_step: int  # -1: no checkpoint yet
    status: str
    place: int | None  # its place in the queue while it waits


def live_mark() -> LiveMark | None:
    run = latest_run()
    if run is None:
        return None
    checkpoints = run.checkpoints  # read once: the run's thread replaces the list as checkpoints arrive
    return LiveMark(
        id(run),
        len(checkpoints),
        checkpoints[-1].step if checkpoints else -1,
        run.status,
        run.queue_position() if run.status == "waiting" else None,
    )


def drawn_checkpoints(run: TrainingRun) -> list[Checkpoint]:
    """``run``'s checkpoints up to the newest it had when this page run began.

    The run's thread keeps adding checkpoints while the page is drawn, so reading ``run.checkpoints`` in the row
    above the picture and again in the training section could show two different steps in one page. Every part of
    the page reads this instead; the next page run (``ui.live`` starts one per new checkpoint) shows the next.
    """
    checkpoints = run.checkpoints
    mark = st.session_state.get(LIVE_SEEN)
    if not isinstance(mark, LiveMark) or mark.run_id != id(run):  # not the live run, or no mark in this page
        return checkpoints
    return [checkpoint for checkpoint in checkpoints if checkpoint.step <= mark.last_step]


def selected_checkpoint(run: TrainingRun) -> Checkpoint:
    """The checkpoint the replay slider points at (the last one drawn if the slider is not showing)."""
    checkpoints = drawn_checkpoints(run) or run.checkpoints
    by_step = {checkpoint.step: checkpoint for checkpoint in checkpoints}
    return by_step.get(st.session_state.get(REPLAY_KEY), checkpoints[-1])


def run_progress_caption(run: TrainingRun, text: str) -> None:
    """Show ``text`` (which ends in :func:`progress_text`) under the network choice, above the picture.

    Each new checkpoint redraws the page from the top, and until the page run reaches the training section its
    progress bar still shows the previous checkpoint: had these words changed at once, the two would disagree for
    that moment. So while the newest run trains and that section is open, the words go in a container (it keeps
    its old words on screen until written) that :func:`training_progress` writes together with the bar.
    """
    if run is latest_run() and run.active and st.session_state.get(SECTION) == TRAINING_SECTION:
        st.session_state[LIVE_PROGRESS_SLOT] = (st.container(), text)
    else:
        st.caption(text)


def training_progress(run: TrainingRun) -> None:
    """The training section's progress bar for the running ``run``, and the words above the picture at the same
    moment."""
    checkpoints = drawn_checkpoints(run)  # the words above the picture show this same checkpoint
    if not checkpoints:
        st.progress(0.0, text="Starting training…")
    else:
        last = checkpoints[-1]
        st.progress(min(last.step / run.settings.max_steps, 1.0), text=progress_text(run, last))
    pending = st.session_state.pop(LIVE_PROGRESS_SLOT, None)
    if pending is not None:
        slot, text = pending
        slot.caption(text)


def progress_text(run: TrainingRun, checkpoint: Checkpoint) -> str:
    """Where ``run`` stood at ``checkpoint``, in the same words wherever the page says it (the row under the
    network choice, the training section's progress bar)."""
    loss = "–" if checkpoint.loss != checkpoint.loss else f"{checkpoint.loss:.4f}"  # nan at step 0: nothing trained
    return (
        f"step {checkpoint.step:,} / {run.settings.max_steps:,} · loss {loss} · "
        f"exact on {checkpoint.exact_accuracy:.1%} of {check_set_words(run.settings.rule)}"
    )
