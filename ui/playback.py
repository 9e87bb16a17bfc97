"""▶ Play: time that moves by itself, one frame per tick of a fragment (``st.fragment(run_every=…)``).

Two things play: the step through the columns of the addition (``columns``) and the replay of a training run
through its checkpoints (``replay``). Each has a toggle and a speed; a frame is one short server run (only the
fragment for the columns; the page for the replay, since every view changes with the network).
"""

from __future__ import annotations

import time

import streamlit as st

from ui.state import PLAY_PREFIX, TIMESTEP, ensure_default

# Seconds per frame, by the name the visitor picks.
SPEEDS = {"slow": 1.0, "medium": 0.5, "fast": 0.25}
DEFAULT_SPEED = "medium"
SPEED_BOX_WIDTH = 120  # px: the longest speed, "medium", and the box's arrow


def _toggle_key(name: str) -> str:
    return f"{PLAY_PREFIX}{name}"


def _speed_key(name: str) -> str:
    return f"{PLAY_PREFIX}{name}_speed"


def play_interval(name: str) -> float | None:
    """Seconds between frames while ``name`` plays, else None."""
    if not st.session_state.get(_toggle_key(name)):
        return None
    return SPEEDS.get(st.session_state.get(_speed_key(name), DEFAULT_SPEED), SPEEDS[DEFAULT_SPEED])


def play_controls_ui(name: str, label: str) -> None:
    """A ▶ toggle and a speed, side by side where they fit whole, else the speed on the next line.

    Each takes the width of its own words (fixed-share columns cut them: "▶ Play the…", "mediu"); the row wraps
    instead. The pair takes the width of its contents, so it can share a row with other controls.
    """
    ensure_default(_speed_key(name), DEFAULT_SPEED)
    with st.container(
        horizontal=True, wrap=True, vertical_alignment="center", width="content", key=f"play_{name}_controls"
    ):
        st.toggle(label, key=_toggle_key(name), help="Press again to stop.", width="content")
        st.selectbox(
            "Speed",
            list(SPEEDS),
            key=_speed_key(name),
            label_visibility="collapsed",
            help="Seconds per frame.",
            width=SPEED_BOX_WIDTH,
            persist_state="session",
        )


def frame_due(name: str) -> bool:
    """True when the next frame of ``name`` is due (at most once per interval, whatever reruns the page)."""
    interval = play_interval(name)
    if interval is None:
        return False
    key = f"{PLAY_PREFIX}{name}_last_frame"
    now = time.monotonic()
    if now - st.session_state.get(key, 0.0) < 0.8 * interval:
        return False
    st.session_state[key] = now
    return True


def stop(name: str) -> None:
    st.session_state[_toggle_key(name)] = False


def advance_columns(timesteps: int) -> None:
    """While the columns play: one column on when a frame is due (back to t = 0 after the last)."""
    if frame_due("columns"):
        st.session_state[TIMESTEP] = (int(st.session_state.get(TIMESTEP, 0)) + 1) % timesteps
