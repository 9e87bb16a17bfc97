"""The clock of the page: while this session's run trains, or its replay plays, a small fragment beside the network
choice reruns every fraction of a second and redraws the page when there is something new.

It costs one short server run per tick (reading a few attributes of the run); the whole page is redrawn
only when a checkpoint arrived, the run moved in the queue or ended, or a replay frame is due. The run
itself is trained by a server thread (:mod:`explainer.serving.training_runs`), so none of this is needed for
training to go on: leaving the section, or the page being busy, changes nothing there.
"""

from __future__ import annotations

import streamlit as st

from ui.playback import frame_due, play_interval, stop
from ui.session_networks import REPLAY_KEY, SOURCE_TRAINED, drawn_checkpoints, latest_run, live_mark, selected_run
from ui.state import LIVE_PROGRESS_SLOT, LIVE_SEEN, MODEL_SOURCE

POLL_SECONDS = 0.2  # while training: a checkpoint is on screen at most this long after it arrives
# What the page last drew (a LiveMark: run, checkpoints, status, place in the queue). Every part of one page
# run draws the run as it stood then (ui.session_networks.drawn_checkpoints), so they show the same step.
SEEN_KEY = LIVE_SEEN


def _advance_replay() -> None:
    """Move the replay one checkpoint on (back to the first after the last), before its slider is drawn."""
    run = selected_run()
    if run is None or st.session_state.get(MODEL_SOURCE) != SOURCE_TRAINED or run.active:
        stop("replay")
        return
    steps = [checkpoint.step for checkpoint in drawn_checkpoints(run)]
    current = st.session_state.get(REPLAY_KEY)
    index = steps.index(current) + 1 if current in steps else 0
    st.session_state[REPLAY_KEY] = steps[index % len(steps)]


def _in_fragment_run() -> bool:
    """True when only fragments rerun (a tick), not the whole page."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    return context is not None and bool(context.fragment_ids_this_run)


def _tick() -> None:
    if not _in_fragment_run():  # drawn with the page, which is already current
        return
    if st.session_state.get(SEEN_KEY) != live_mark() or play_interval("replay") is not None:
        st.rerun(scope="app")


def live_updates_ui() -> None:
    """Call before the network is chosen: records what this run will draw, moves
    a playing replay on, and starts the clock while there is something to follow."""
    st.session_state[SEEN_KEY] = live_mark()
    st.session_state.pop(LIVE_PROGRESS_SLOT, None)  # a slot a stopped page run left unwritten
    run = latest_run()
    training = run is not None and run.active
    if play_interval("replay") is not None and frame_due("replay"):
        _advance_replay()
    interval = POLL_SECONDS if training else play_interval("replay")
    if interval is not None:
        st.fragment(run_every=interval)(_tick)()
