"""One training run in the page: its settings, the child process that trains, live progress, and Stop.

Training happens in a child process (:mod:`explainer.train_worker`), so the server never imports Keras.
How Stop works: Streamlit runs the page script once per interaction. The run in which Train was pressed
reads the child's checkpoints as they arrive; any click during it (Stop, or any other widget) asks for a
new run. Streamlit starts that run at once and stops the old one only at its next ``st.*`` call (the
progress update after the child's next checkpoint), so the new run, finding the run still "running", kills
the child itself and marks it "stopped"; the old run's ``finally`` does the same if it gets there first.
Either way the checkpoints are already in session state: nothing the user made is lost.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import tempfile
import threading
import time

import streamlit as st

from explainer.keras_jobs import keras_child_slots
from explainer.paths import PROJECT_ROOT
from explainer.recipes import RECIPE_LEARNING_RATES, TrainingSettings
from explainer.train_worker import checkpoint_from_record, worker_command
from ui.session_networks import (
    MAX_KEPT_RUNS,
    PENDING_SOURCE_KEY,
    RUNS_KEY,
    SOURCE_TRAINED,
    TrainingRun,
    latest_run,
)

MAX_PAGE_HIDDEN_UNITS = 32
# A page visitor's run must end in minutes, and each checkpoint costs memory (≤ 9 KB at H = 32):
# seed checks every 1,000 steps (100 checkpoints, ~2 min); fast every 16 (1,250 checkpoints, ~30 s).
MAX_PAGE_STEPS = {"seed": 100_000, "fast": 20_000}
# Seed 0 of the seed recipe solves at 16,000 steps; fast usually needs a few hundred.
PAGE_DEFAULT_STEPS = {"seed": 20_000, "fast": 2_000}
RECIPE_DESCRIPTIONS = {
    "seed": "seed — the blog's: plain SGD, one random pair per step (slow; ~15 s to solve from seed 0)",
    "fast": "fast — Adam on mini-batches of 32 (a few hundred steps, about a second once TensorFlow has started)",
}


def _training_slots() -> threading.BoundedSemaphore:
    """Shared by all sessions and by ``.keras`` exports: at most ``ADDITION_UNFOLDED_MAX_TRAININGS`` Keras
    children at once (each holds TensorFlow, ~0.9 GB)."""
    return keras_child_slots()


def _apply_recipe_defaults() -> None:
    """Recipe callback: a new recipe brings its own learning rate and a step limit that suits it."""
    recipe = st.session_state["train_recipe"]
    st.session_state["train_learning_rate"] = RECIPE_LEARNING_RATES[recipe]
    st.session_state["train_max_steps"] = PAGE_DEFAULT_STEPS[recipe]


def settings_ui() -> TrainingSettings:
    """Recipe, seed, hidden units, learning rate and step limit, in one row."""
    st.session_state.setdefault("train_recipe", "seed")
    recipe = st.session_state["train_recipe"]
    st.session_state.setdefault("train_seed", 0)
    st.session_state.setdefault("train_hidden_units", 16)
    st.session_state.setdefault("train_learning_rate", RECIPE_LEARNING_RATES[recipe])
    st.session_state.setdefault("train_max_steps", PAGE_DEFAULT_STEPS[recipe])
    recipe_column, seed_column, units_column, rate_column, steps_column = st.columns(5)
    recipe = recipe_column.selectbox(
        "Recipe",
        list(RECIPE_LEARNING_RATES),
        key="train_recipe",
        on_change=_apply_recipe_defaults,
        help="\n\n".join(RECIPE_DESCRIPTIONS.values()),
    )
    seed = seed_column.number_input(
        "Random seed", min_value=0, max_value=2**31 - 1, step=1, key="train_seed", help="Same seed, same run."
    )
    hidden_units = units_column.number_input(
        "Hidden units", min_value=1, max_value=MAX_PAGE_HIDDEN_UNITS, step=1, key="train_hidden_units"
    )
    learning_rate = rate_column.number_input(
        "Learning rate", min_value=0.0001, max_value=10.0, step=0.01, format="%.4f", key="train_learning_rate"
    )
    max_steps = steps_column.number_input(
        "Step limit",
        min_value=1,
        max_value=MAX_PAGE_STEPS[recipe],
        step=1000 if recipe == "seed" else 100,
        key="train_max_steps",
        help="Training stops here, or as soon as every pair is right.",
    )
    return TrainingSettings(
        recipe=recipe,
        seed=int(seed),
        hidden_units=int(hidden_units),
        learning_rate=float(learning_rate),
        max_steps=min(int(max_steps), MAX_PAGE_STEPS[recipe]),
    )


def _start_worker(settings: TrainingSettings, error_log) -> subprocess.Popen:
    # stderr (TensorFlow's start-up messages) goes to a file: an unread pipe could fill up and stall the child.
    return subprocess.Popen(
        worker_command(settings), cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=error_log, text=True, bufsize=1
    )


def _end_run(run: TrainingRun, status: str) -> bool:
    """Move a run out of "running" (once: the trainer and a later script run may race) and kill its child.

    Makes no ``st.*`` call, so it works after the browser session is gone. Returns True for the caller that
    made the change.
    """
    with run.lock:
        if run.process is not None and run.process.poll() is None:
            run.process.kill()
        if run.status != "running":
            return False
        run.status = status
        return True


def _finish_run(run: TrainingRun, status: str) -> bool:
    """:func:`_end_run`, then show a run that made checkpoints on the page. Returns what ``_end_run`` does."""
    changed = _end_run(run, status)
    if changed and run.checkpoints:
        st.session_state[PENDING_SOURCE_KEY] = SOURCE_TRAINED
    return changed


def _clean_up_run(run: TrainingRun, slots: threading.BoundedSemaphore) -> None:
    """After a training run, however it ended: kill and reap the child, give back the slot, then tell the page.

    Once a browser tab closes, every ``st.*`` call (``st.session_state`` too) raises. So the cleanup that
    other visitors depend on comes first, each step guarded so one failure cannot skip the next, and the
    session is touched last, also guarded: a slot must never leak with the session that held it.
    """
    changed = False
    with contextlib.suppress(Exception):  # the wait and the release below must still happen
        changed = _end_run(run, "stopped")  # interrupted here (or the session ended): kill the child, keep the rest
    if run.process is not None:
        with contextlib.suppress(Exception):  # the release below must still happen
            run.process.wait(timeout=60)  # reap it (killed above, so this is quick)
    slots.release()
    if changed and run.checkpoints:
        with contextlib.suppress(Exception):  # the session is gone: nobody is left to show the run to
            st.session_state[PENDING_SOURCE_KEY] = SOURCE_TRAINED


def settle_interrupted_run() -> None:
    """A run still marked "running" at the start of a script run was interrupted by the click that started
    this one. Streamlit starts the new run without waiting for the old one to unwind (which it does only at
    its next ``st.*`` call, after the child's next checkpoint), so stop the child from here, at once."""
    run = latest_run()  # only the newest run can still be training
    if run is not None and run.status == "running":
        _finish_run(run, "stopped")


def train_in_page(settings: TrainingSettings) -> None:
    """Train in a child process (see :mod:`explainer.train_worker`) with live progress, recording each
    checkpoint in session state as it arrives."""
    run = TrainingRun(settings)
    runs = st.session_state.setdefault(RUNS_KEY, [])
    runs.append(run)  # earlier runs stay selectable in the sidebar
    if len(runs) > MAX_KEPT_RUNS:
        dropped = runs.pop(0)
        st.session_state["dropped_run_notice"] = (
            f"Only the last {MAX_KEPT_RUNS} runs are kept in a session; the oldest "
            f"({dropped.describe() if dropped.checkpoints else 'no checkpoints'}) was let go. "
            "Download a run's weights to keep it."
        )
    slots = _training_slots()
    with tempfile.TemporaryFile() as error_log, st.status("Training…", expanded=True) as status:
        progress = st.progress(0.0, text="Starting TensorFlow in a separate process (a few seconds)…")
        waited = 0.0
        while not slots.acquire(timeout=0.5):  # each st call below is a point where Stop can interrupt
            waited += 0.5
            progress.progress(0.0, text=f"Other visitors are training; yours starts next ({waited:.0f} s).")
        try:
            started = time.perf_counter()
            with run.lock:
                if run.status != "running":  # stopped while waiting for a slot
                    return
                run.process = process = _start_worker(settings, error_log)
            summary = None
            for line in process.stdout:
                message = json.loads(line)
                if "error" in message:
                    _finish_run(run, "failed")
                    status.update(label=f"Training could not start: {message['error']}", state="error")
                    break
                if "done" in message:
                    summary = message["done"]
                    continue
                checkpoint = checkpoint_from_record(message["checkpoint"])
                run.checkpoints.append(checkpoint)  # before any st call: an interruption must not lose it
                progress.progress(
                    min(checkpoint.step / settings.max_steps, 1.0),
                    text=(
                        f"step {checkpoint.step:,} / {settings.max_steps:,} · loss {checkpoint.loss:.4f} · "
                        f"exact on {checkpoint.exact_accuracy:.1%} of all pairs"
                    ),
                )
            process.wait()
            if summary is not None and _finish_run(run, "finished"):
                outcome = "found the carry: every pair right" if summary["solved"] else "stopped at the step limit"
                run.outcome = f"Trained {summary['steps']:,} steps in {time.perf_counter() - started:.1f} s: {outcome}."
                status.update(label=run.outcome, state="complete", expanded=False)
            elif _finish_run(run, "failed"):  # the child died on its own (a stopped run is already "stopped")
                error_log.seek(0)
                last_lines = error_log.read().decode(errors="replace").strip().splitlines()[-3:]
                status.update(label=f"Training ended unexpectedly (exit status {process.returncode}).", state="error")
                st.code("\n".join(last_lines) or "(no error output)", language="text")
        finally:
            _clean_up_run(run, slots)
    if run.status == "finished":
        st.rerun()  # redraw the whole page (sidebar included) with the new network selected
