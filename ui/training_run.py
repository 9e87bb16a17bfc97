"""One training run in the page: its settings, Train and Stop, and where it stands (queue, progress, outcome).

Training belongs to the server, not to a script run (:mod:`explainer.serving.training_runs`): Train (a button
callback) queues a run whose background thread trains it in a child process and appends the checkpoints to
the run, which lives in this session's state. The page stays usable meanwhile; :mod:`ui.live` polls the run
and redraws the page at each new checkpoint. Stop works at any moment and keeps the checkpoints; leaving the
section does not stop anything; a closed tab stops its run within seconds (the run asks Streamlit's runtime
whether this session is still connected).
"""

from __future__ import annotations

import contextlib

import streamlit as st

from explainer.files.keras_file import page_model_path, read_sidecar, rule_model_path
from explainer.rules import DEFAULT_RULE
from explainer.serving.settings import SettingsError
from explainer.serving.training_runs import has_warm_worker, prepare_warm_worker, start_training, waiting_count
from explainer.training.recipes import RECIPE_LABELS, RECIPE_LEARNING_RATES, TrainingSettings, check_set_words
from ui.session_networks import (
    FOLLOW_LIVE_KEY,
    MAX_KEPT_RUNS,
    RUNS_KEY,
    TrainingRun,
    latest_run,
    page_rule,
    training_progress,
)
from ui.state import (
    BY_KEY,
    DROPPED_RUN_NOTICE,
    TRAIN_HIDDEN_UNITS,
    TRAIN_LEARNING_RATE,
    TRAIN_MAX_STEPS,
    TRAIN_RECIPE,
    TRAIN_SEED,
    TRAINING_SETTINGS_ERROR,
    ensure_default,
)

MAX_PAGE_HIDDEN_UNITS = 32
# A page visitor's run must end in minutes: seed checks every 1,000 steps (100 checkpoints, ~2 min); fast
# every 16 (1,250 checks, ~30 s; a run keeps at most 400 checkpoints, thinned evenly).
MAX_PAGE_STEPS = {"seed": 100_000, "fast": 20_000}
# Seed 0 of the seed recipe solves at 16,000 steps; fast usually needs a few hundred.
PAGE_DEFAULT_STEPS = {"seed": 20_000, "fast": 2_000}
# How long Train's click waits for a warm worker's step 0 before drawing the page (it usually takes 0.2–0.5 s):
# bounded, so a slow machine shows "training" and the checkpoint a poll later rather than a frozen button.
FIRST_CHECKPOINT_WAIT_SECONDS = 1.0
RECIPE_DESCRIPTIONS = {
    "seed": f"{RECIPE_LABELS['seed']}: the blog's recipe, one random pair per step, each nudging the weights a "
    "fixed small amount (slow; ~15 s to learn)",
    "fast": f"{RECIPE_LABELS['fast']}: 32 pairs per step, with step sizes that adapt to each weight (a few hundred "
    "steps, about a second)",
}
PAGE_DEFAULT_SEED = BY_KEY[TRAIN_SEED].default  # why 1: see the table (ui/state.py)


def _session_is_connected():
    """A check the run's thread can call: is this browser session still connected to the server?

    Uses Streamlit's runtime (``Runtime.is_active_session``, safe from any thread): a closed tab's session is
    no longer active. Without a runtime (AppTest) there is no tab to close, so it always says yes.
    """
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    if context is None or not Runtime.exists():
        return lambda: True
    runtime, session_id = Runtime.instance(), context.session_id
    return lambda: runtime.is_active_session(session_id)


def _apply_recipe_defaults() -> None:
    """Recipe callback: a new recipe brings its own learning rate and a step limit that suits it."""
    recipe = st.session_state[TRAIN_RECIPE]
    st.session_state[TRAIN_LEARNING_RATE] = RECIPE_LEARNING_RATES[recipe]
    st.session_state[TRAIN_MAX_STEPS] = PAGE_DEFAULT_STEPS[recipe]


def settings_ui() -> TrainingSettings:
    """Recipe, seed, hidden units, learning rate and step limit, in one row; kept while another section is open."""
    ensure_default(TRAIN_RECIPE)
    recipe = st.session_state.get(TRAIN_RECIPE, BY_KEY[TRAIN_RECIPE].default)
    ensure_default(TRAIN_SEED)
    ensure_default(TRAIN_HIDDEN_UNITS)
    ensure_default(TRAIN_LEARNING_RATE, RECIPE_LEARNING_RATES[recipe])
    ensure_default(TRAIN_MAX_STEPS, PAGE_DEFAULT_STEPS[recipe])
    recipe_column, seed_column, units_column, rate_column, steps_column = st.columns(5)
    recipe = recipe_column.selectbox(
        "Recipe",
        list(RECIPE_LEARNING_RATES),
        key=TRAIN_RECIPE,
        format_func=RECIPE_LABELS.get,
        on_change=_apply_recipe_defaults,
        persist_state="session",
        help="\n\n".join(RECIPE_DESCRIPTIONS.values()),
    )
    seed = seed_column.number_input(
        "Random seed",
        min_value=0,
        max_value=2**31 - 1,
        step=1,
        key=TRAIN_SEED,
        help="Same seed, same run.",
        persist_state="session",
    )
    hidden_units = units_column.number_input(
        "Hidden units",
        min_value=1,
        max_value=MAX_PAGE_HIDDEN_UNITS,
        step=1,
        key=TRAIN_HIDDEN_UNITS,
        persist_state="session",
    )
    learning_rate = rate_column.number_input(
        "Learning rate",
        min_value=0.0001,
        max_value=10.0,
        step=0.01,
        format="%.4f",
        key=TRAIN_LEARNING_RATE,
        persist_state="session",
    )
    max_steps = steps_column.number_input(
        "Step limit",
        min_value=1,
        max_value=MAX_PAGE_STEPS[recipe],
        step=1000 if recipe == "seed" else 100,
        key=TRAIN_MAX_STEPS,
        persist_state="session",
        help="Training stops here, or as soon as every pair is right."
        if page_rule() == DEFAULT_RULE
        else f"Training stops here, or as soon as it is right on {check_set_words(page_rule())}.",
    )
    settings = TrainingSettings(
        recipe=recipe,
        seed=int(seed),
        hidden_units=int(hidden_units),
        learning_rate=float(learning_rate),
        max_steps=min(int(max_steps), MAX_PAGE_STEPS[recipe]),
        rule=page_rule(),
    )
    shipped = page_model_path() if settings.rule == DEFAULT_RULE else rule_model_path(settings.rule)
    if settings.rebuilds(read_sidecar(shipped)):
        st.info(
            "These settings rebuild the shipped network exactly (it was trained with them), so there will be "
            "nothing to compare “Side by side”. Pick another seed for a network of your own.",
            icon=":material/content_copy:",
        )
    return settings


def _settings_from_state() -> TrainingSettings:
    recipe = st.session_state[TRAIN_RECIPE]
    return TrainingSettings(
        recipe=recipe,
        seed=int(st.session_state[TRAIN_SEED]),
        hidden_units=int(st.session_state[TRAIN_HIDDEN_UNITS]),
        learning_rate=float(st.session_state[TRAIN_LEARNING_RATE]),
        max_steps=min(int(st.session_state[TRAIN_MAX_STEPS]), MAX_PAGE_STEPS[recipe]),
        rule=page_rule(),  # the rule the page shows: its network is what Train makes
    )


def _press_train() -> None:
    """Train's callback (it runs before the page is drawn, so this very run already shows the run as live)."""
    latest = latest_run()
    if latest is not None and latest.active:  # one run at a time per session
        return
    try:  # the server-wide slots are made on first use here: a bad limit raises from either call
        warm = has_warm_worker() and not waiting_count()
        run = start_training(_settings_from_state(), is_alive=_session_is_connected())
    except SettingsError as error:  # a bad ADDITION_UNFOLDED_MAX_TRAININGS: say so on the page
        st.session_state[TRAINING_SETTINGS_ERROR] = str(error)
        return
    if warm:
        # A warm worker sends step 0 within a few tenths of a second: waiting for it here lets the page run this
        # click starts draw it, instead of a second whole-page run a poll later (bench/bench_live.py).
        run.wait_for_first_checkpoint(FIRST_CHECKPOINT_WAIT_SECONDS)
    runs = st.session_state.setdefault(RUNS_KEY, [])
    runs.append(run)  # earlier runs stay selectable under “Network”
    if len(runs) > MAX_KEPT_RUNS:
        dropped = runs.pop(0)
        st.session_state[DROPPED_RUN_NOTICE] = (
            f"Only the last {MAX_KEPT_RUNS} runs are kept in a session; the oldest "
            f"({dropped.describe() if dropped.checkpoints else 'no checkpoints'}) was let go. "
            "Download a run's weights to keep it."
        )
    st.session_state[FOLLOW_LIVE_KEY] = True


def _press_stop() -> None:
    run = latest_run()
    if run is not None:
        run.stop()


def training_controls_ui() -> TrainingRun | None:
    """Train and Stop (Cancel while waiting), and where the newest run stands. Returns that run, if any."""
    run = latest_run()
    active = run is not None and run.active
    train_column, stop_column, _ = st.columns([2, 2, 8])
    train_column.button(
        "Train", key="train_button", type="primary", width="stretch", disabled=active, on_click=_press_train
    )
    waiting = active and run.status == "waiting"
    stop_column.button(
        "Cancel" if waiting else "Stop", key="stop_button", disabled=not active, width="stretch", on_click=_press_stop
    )
    error = st.session_state.pop(TRAINING_SETTINGS_ERROR, None)
    if error:
        st.error(f"Training is not available on this server: {error}", icon="🚫")
        return run
    if run is None:
        return None
    if run.status == "waiting":
        position = run.queue_position()
        place = "next" if position in (None, 1) else f"when the {position - 1} ahead of you have had their turn"
        st.info(
            f"Other visitors are training; yours starts {place} (place {position or 1} in the queue). "
            "Cancel leaves the queue.",
            icon="⏳",
        )
    elif run.status == "running":
        training_progress(run)
    elif run.status == "failed":
        st.error(run.outcome or "The last training run could not start; check the settings above.", icon="✋")
    return run


def warm_up_training() -> None:
    """Opening this section (not while training here) is a sign Train may come next: have a worker with
    TensorFlow started ready. At most one per server, and it holds one of the training slots."""
    latest = latest_run()
    if latest is not None and latest.active:
        return
    with contextlib.suppress(SettingsError):  # a bad limit is shown when Train is pressed
        prepare_warm_worker()
