"""Train it yourself: retrain the network in the page, replay its checkpoints, compare, download, upload.

Everything a user makes lives in ``st.session_state`` (their browser session) and nowhere else: the shipped
weights come from ``st.cache_resource``, are read-only (:class:`RNNWeights`) and are never written. Runs
are kept, newest last, in ``st.session_state["training_runs"]`` (a new run does not replace an earlier one;
only past ``MAX_KEPT_RUNS`` is the oldest dropped, with a notice). A run is

    {
        "settings": {recipe, seed, hidden_units, learning_rate, max_steps},
        "checkpoints": [ReplayCheckpoint, ...],   # appended as they arrive, so an interrupted run keeps them
        "status": "running" | "finished" | "stopped" | "failed",
        "process": the training child (subprocess.Popen) while it runs, "lock": guards "status",
    }

Training happens in a child process (:mod:`explainer.train_worker`), so the server never imports Keras.
How Stop works: Streamlit runs the page script once per interaction. The run in which Train was pressed
reads the child's checkpoints as they arrive; any click during it (Stop, or any other widget) asks for a
new run. Streamlit starts that run at once and stops the old one only at its next ``st.*`` call (the
progress update after the child's next checkpoint), so the new run, finding the run still "running", kills
the child itself and marks it "stopped"; the old run's ``finally`` does the same if it gets there first.
Either way the checkpoints are already in session state: nothing the user made is lost.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import streamlit as st

from explainer import RNNWeights, evaluate, trace_addition
from explainer.figures import unfolded_figure
from explainer.keras_jobs import keras_file_bytes
from explainer.sweep import DEFAULT_SWEEP_PATH, load_sweep, summarize_runs
from explainer.tables import trace_table
from explainer.train_worker import RECIPE_LEARNING_RATES, ReplayCheckpoint, checkpoint_from_record, worker_command
from explainer.training_figures import sweep_figure, training_curves_figure
from explainer.weights_io import (
    MAX_NPZ_BYTES,
    weights_from_upload,
    weights_to_npz_bytes,
)
from ui.guards import escape_markdown

SOURCE_SHIPPED = "Shipped model"
SOURCE_TRAINED = "Trained in this session"
SOURCE_UPLOADED = "Uploaded weights"

RUNS_KEY = "training_runs"  # list of runs, newest last
SELECTED_RUN_KEY = "selected_run"  # index into the runs that have checkpoints, chosen in the sidebar
MAX_KEPT_RUNS = 5  # per session; a run holds at most ~11 MB of checkpoints (1,250 at H = 32)
UPLOADED_KEY = "uploaded_weights"  # {"weights": RNNWeights, "name": str}
UPLOAD_MESSAGE_KEY = "upload_message"  # ("success" | "error", text)
PENDING_SOURCE_KEY = "pending_model_source"  # set before a rerun; applied before the radio is drawn

MAX_PAGE_HIDDEN_UNITS = 32
MAX_CONCURRENT_TRAININGS = 2
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# A page visitor's run must end in minutes, and each checkpoint costs memory (≤ 9 KB at H = 32):
# seed checks every 1,000 steps (100 checkpoints, ~2 min); fast every 16 (1,250 checkpoints, ~30 s).
MAX_PAGE_STEPS = {"seed": 100_000, "fast": 20_000}
# Seed 0 of the seed recipe solves at 16,000 steps; fast usually needs a few hundred.
PAGE_DEFAULT_STEPS = {"seed": 20_000, "fast": 2_000}
RECIPE_DESCRIPTIONS = {
    "seed": "seed — the blog's: plain SGD, one random pair per step (slow; ~15 s to solve from seed 0)",
    "fast": "fast — Adam on mini-batches of 32 (a few hundred steps, about a second once TensorFlow has started)",
}


@st.cache_resource
def _training_slots() -> threading.BoundedSemaphore:
    """Shared by all sessions: at most this many training processes at once (each holds TensorFlow, ~300 MB)."""
    return threading.BoundedSemaphore(MAX_CONCURRENT_TRAININGS)


@st.cache_data(max_entries=256, show_spinner=False)
def _exact_accuracy(fingerprint: str, _weights: RNNWeights) -> float:
    # Keyed by the fingerprint (a digest of the values): the same weights give the same answer for anyone.
    return evaluate(_weights).exact_accuracy


def accuracy_over_all_pairs(weights: RNNWeights) -> float:
    """Fraction of the 16,384 training pairs (a, b < 128) that ``weights`` adds exactly; cached per network."""
    return _exact_accuracy(weights.fingerprint, weights)


def _runs_with_checkpoints() -> list[dict]:
    return [run for run in st.session_state.get(RUNS_KEY, []) if run["checkpoints"]]


def _latest_run() -> dict | None:
    runs = st.session_state.get(RUNS_KEY, [])
    return runs[-1] if runs else None


def _run() -> dict | None:
    """The run the sidebar has chosen (the newest by default), if any run has made a checkpoint."""
    runs = _runs_with_checkpoints()
    if not runs:
        return None
    index = st.session_state.get(SELECTED_RUN_KEY, len(runs) - 1)
    return runs[index] if isinstance(index, int) and 0 <= index < len(runs) else runs[-1]


def _describe_run(run: dict) -> str:
    settings = run["settings"]
    return (
        f"{settings['recipe']}, seed {settings['seed']}, H = {settings['hidden_units']}, "
        f"lr {settings['learning_rate']:g} · {run['checkpoints'][-1].step:,} steps"
    )


def _selected_checkpoint(run: dict) -> ReplayCheckpoint:
    """The checkpoint the replay slider points at (the last one if the slider is not showing)."""
    by_step = {checkpoint.step: checkpoint for checkpoint in run["checkpoints"]}
    return by_step.get(st.session_state.get("replay_checkpoint"), run["checkpoints"][-1])


def model_source_ui(shipped_weights: RNNWeights) -> tuple[str, RNNWeights]:
    """Choose the network the whole page shows: shipped, trained in this session (at a replayed checkpoint),
    or uploaded. Meant for the sidebar. Returns a label for headings and the weights to use everywhere.
    """
    _settle_interrupted_run()
    run = _run()
    uploaded = st.session_state.get(UPLOADED_KEY)
    options = [SOURCE_SHIPPED]
    if run is not None:
        options.append(SOURCE_TRAINED)
    if uploaded is not None:
        options.append(SOURCE_UPLOADED)
    pending = st.session_state.pop(PENDING_SOURCE_KEY, None)
    if pending in options:
        st.session_state["model_source"] = pending
        if pending == SOURCE_TRAINED:  # a run just ended: show the newest run, where it ended
            st.session_state[SELECTED_RUN_KEY] = len(_runs_with_checkpoints()) - 1
            run = _run()
            st.session_state["replay_checkpoint"] = run["checkpoints"][-1].step
    if st.session_state.get("model_source") not in options:
        st.session_state["model_source"] = SOURCE_SHIPPED
    source = st.radio(
        "Network shown on this page",
        options,
        key="model_source",
        help="Train a network or upload weights (in “Train it yourself”) and they appear here.",
    )
    if source == SOURCE_TRAINED:
        runs = _runs_with_checkpoints()
        if len(runs) > 1:
            if st.session_state.get(SELECTED_RUN_KEY) not in range(len(runs)):
                st.session_state[SELECTED_RUN_KEY] = len(runs) - 1
            st.selectbox(
                "Which of your runs",
                range(len(runs)),
                key=SELECTED_RUN_KEY,
                format_func=lambda index: f"Run {index + 1}: {_describe_run(runs[index])}",
            )
            run = _run()
        steps = [checkpoint.step for checkpoint in run["checkpoints"]]
        if st.session_state.get("replay_checkpoint") not in steps:
            st.session_state["replay_checkpoint"] = steps[-1]
        if len(steps) > 1:
            st.select_slider(
                "Replay training: checkpoint",
                options=steps,
                key="replay_checkpoint",
                format_func=lambda step: f"step {step:,}",
                help="Every view on the page shows the network as it was at this step of training.",
            )
        checkpoint = _selected_checkpoint(run)
        settings = run["settings"]
        st.caption(
            f"{settings['recipe']} recipe, seed {settings['seed']}, H = {settings['hidden_units']} · "
            f"step {checkpoint.step:,} of {run['checkpoints'][-1].step:,} · "
            f"exact on {checkpoint.exact_accuracy:.1%} of all 16,384 pairs"
        )
        return f"Your network (step {checkpoint.step:,})", checkpoint.weights
    if source == SOURCE_UPLOADED:
        weights, name = uploaded["weights"], escape_markdown(uploaded["name"])  # the name is shown as Markdown
        st.caption(f"{name}, H = {weights.hidden_units} · exact on {accuracy_over_all_pairs(weights):.1%}")
        return f"Your upload ({name})", weights
    return SOURCE_SHIPPED, shipped_weights


def _apply_recipe_defaults() -> None:
    """Recipe callback: a new recipe brings its own learning rate and a step limit that suits it."""
    recipe = st.session_state["train_recipe"]
    st.session_state["train_learning_rate"] = RECIPE_LEARNING_RATES[recipe]
    st.session_state["train_max_steps"] = PAGE_DEFAULT_STEPS[recipe]


def _settings_ui() -> dict:
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
    return {
        "recipe": recipe,
        "seed": int(seed),
        "hidden_units": int(hidden_units),
        "learning_rate": float(learning_rate),
        "max_steps": min(int(max_steps), MAX_PAGE_STEPS[recipe]),
    }


def _start_worker(settings: dict, error_log) -> subprocess.Popen:
    command = worker_command(
        settings["recipe"], settings["seed"], settings["hidden_units"], settings["learning_rate"], settings["max_steps"]
    )
    # stderr (TensorFlow's start-up messages) goes to a file: an unread pipe could fill up and stall the child.
    return subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=error_log, text=True, bufsize=1)


def _finish_run(run: dict, status: str) -> bool:
    """Move a run out of "running" (once: the trainer and a later script run may race) and kill its child.

    Returns True for the caller that made the change. A run that made checkpoints is then shown on the page.
    """
    with run["lock"]:
        process = run.get("process")
        if process is not None and process.poll() is None:
            process.kill()
        if run["status"] != "running":
            return False
        run["status"] = status
        if run["checkpoints"]:
            st.session_state[PENDING_SOURCE_KEY] = SOURCE_TRAINED
        return True


def _settle_interrupted_run() -> None:
    """A run still marked "running" at the start of a script run was interrupted by the click that started
    this one. Streamlit starts the new run without waiting for the old one to unwind (which it does only at
    its next ``st.*`` call, after the child's next checkpoint), so stop the child from here, at once."""
    run = _latest_run()  # only the newest run can still be training
    if run is not None and run["status"] == "running":
        _finish_run(run, "stopped")


def _train_in_page(settings: dict) -> None:
    """Train in a child process (see :mod:`explainer.train_worker`) with live progress, recording each
    checkpoint in session state as it arrives."""
    run = {"settings": settings, "checkpoints": [], "status": "running", "lock": threading.Lock(), "process": None}
    runs = st.session_state.setdefault(RUNS_KEY, [])
    runs.append(run)  # earlier runs stay selectable in the sidebar
    if len(runs) > MAX_KEPT_RUNS:
        dropped = runs.pop(0)
        st.session_state["dropped_run_notice"] = (
            f"Only the last {MAX_KEPT_RUNS} runs are kept in a session; the oldest "
            f"({_describe_run(dropped) if dropped['checkpoints'] else 'no checkpoints'}) was let go. "
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
            with run["lock"]:
                if run["status"] != "running":  # stopped while waiting for a slot
                    return
                run["process"] = process = _start_worker(settings, error_log)
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
                run["checkpoints"].append(checkpoint)  # before any st call: an interruption must not lose it
                progress.progress(
                    min(checkpoint.step / settings["max_steps"], 1.0),
                    text=(
                        f"step {checkpoint.step:,} / {settings['max_steps']:,} · loss {checkpoint.loss:.4f} · "
                        f"exact on {checkpoint.exact_accuracy:.1%} of all pairs"
                    ),
                )
            process.wait()
            if summary is not None and _finish_run(run, "finished"):
                outcome = "found the carry: every pair right" if summary["solved"] else "stopped at the step limit"
                run["outcome"] = (
                    f"Trained {summary['steps']:,} steps in {time.perf_counter() - started:.1f} s: {outcome}."
                )
                status.update(label=run["outcome"], state="complete", expanded=False)
            elif _finish_run(run, "failed"):  # the child died on its own (a stopped run is already "stopped")
                error_log.seek(0)
                last_lines = error_log.read().decode(errors="replace").strip().splitlines()[-3:]
                status.update(label=f"Training ended unexpectedly (exit status {process.returncode}).", state="error")
                st.code("\n".join(last_lines) or "(no error output)", language="text")
        finally:
            _finish_run(run, "stopped")  # interrupted here (or by the session ending): kill the child, keep the rest
            if run["process"] is not None:
                run["process"].wait()  # reap it
            slots.release()
    if run["status"] == "finished":
        st.rerun()  # redraw the whole page (sidebar included) with the new network selected


def _on_upload() -> None:
    """Uploader callback: read and check the file; keep the last good upload if this one is refused."""
    uploaded_file = st.session_state.get("weights_upload")
    if uploaded_file is None:
        return
    message = handle_upload(uploaded_file.name, uploaded_file.getvalue())
    st.session_state[UPLOAD_MESSAGE_KEY] = message


def handle_upload(file_name: str, data: bytes) -> tuple[str, str]:
    """What the uploader does with a file: on success the weights join this session's choices and the page
    switches to them. Returns ``("success" | "error", message)``; never raises for bad files."""
    try:
        weights = weights_from_upload(file_name, data)
    except ValueError as error:
        return "error", str(error)
    st.session_state[UPLOADED_KEY] = {"weights": weights, "name": file_name}
    st.session_state[PENDING_SOURCE_KEY] = SOURCE_UPLOADED
    return "success", f"Loaded {escape_markdown(file_name)}: H = {weights.hidden_units}. The page now shows it."


def _file_stem(settings: dict, step: int) -> str:
    return f"adder_{settings['recipe']}_seed{settings['seed']}_h{settings['hidden_units']}_step{step}"


def _run_results_ui(run: dict) -> None:
    checkpoints = run["checkpoints"]
    shown = _selected_checkpoint(run) if st.session_state.get("model_source") == SOURCE_TRAINED else checkpoints[-1]
    if run["status"] == "finished":
        st.success(run["outcome"], icon="🏁")
    elif run["status"] == "stopped":
        st.info(
            f"Training stopped at step {checkpoints[-1].step:,} (a click interrupts it). "
            f"The {len(checkpoints)} checkpoints so far are kept; replay them from the sidebar.",
            icon="⏹️",
        )
    st.plotly_chart(
        training_curves_figure(
            [checkpoint.step for checkpoint in checkpoints],
            [checkpoint.loss for checkpoint in checkpoints],
            [checkpoint.exact_accuracy for checkpoint in checkpoints],
            [checkpoint.bit_accuracy for checkpoint in checkpoints],
            selected_step=shown.step,
        ),
        key="training_curves_chart",
        config={"displayModeBar": False},
    )
    with st.expander("The curves as a table (for screen readers)"):
        st.dataframe(
            {
                "step": [checkpoint.step for checkpoint in checkpoints],
                "loss": [round(checkpoint.loss, 5) for checkpoint in checkpoints],
                "exact accuracy": [round(checkpoint.exact_accuracy, 5) for checkpoint in checkpoints],
                "bit accuracy": [round(checkpoint.bit_accuracy, 5) for checkpoint in checkpoints],
            },
            hide_index=True,
            key="training_curves_table",
        )
    st.caption(
        "**What to look for:** exact accuracy sits near 0 for a long time (the plateau: the network gets single "
        "bits right but not whole sums), then jumps within a few checkpoints. That jump is the carry appearing. "
        "The diamond is the checkpoint the page is showing; move it with the replay slider in the sidebar."
    )
    stem = _file_stem(run["settings"], shown.step)
    npz_column, keras_column = st.columns(2)
    npz_column.download_button(
        f"Download weights at step {shown.step:,} (.npz)",
        weights_to_npz_bytes(shown.weights),  # ≤ 36 KB, cheap
        file_name=f"{stem}.npz",
        mime="application/octet-stream",
        key="download_npz",
        on_click="ignore",
        help="Three arrays: input_weights (2, H), recurrent_weights (H, H), output_weights (H, 1). "
        "Upload it here again later.",
    )
    weights = shown.weights
    keras_column.download_button(
        f"Download model at step {shown.step:,} (.keras)",
        # Built only when clicked, by a child process: the server itself never imports Keras.
        lambda: keras_file_bytes(weights),  # cached per network, and under the server-wide Keras limit
        file_name=f"{stem}.keras",
        mime="application/octet-stream",
        key="download_keras",
        on_click="ignore",
        help="For use in Keras (keras.saving.load_model). This page never loads .keras files: upload the .npz.",
    )


def _upload_ui() -> None:
    st.file_uploader(
        "Upload weights (.npz)",
        type=["npz"],
        key="weights_upload",
        on_change=_on_upload,
        help=(
            "An .npz holding exactly input_weights (2, H), recurrent_weights (H, H) and output_weights (H, 1), "
            f"H from 1 to 64, at most {MAX_NPZ_BYTES // 1024} KB. .keras files are never loaded: opening one "
            "can run code."
        ),
    )
    message = st.session_state.get(UPLOAD_MESSAGE_KEY)
    if message is not None:
        kind, text = message
        (st.success if kind == "success" else st.error)(text, icon="✅" if kind == "success" else "✋")


@st.cache_data(show_spinner=False)
def _load_sweep_cached(path: str, modified: float) -> dict:
    return load_sweep(path)  # ``modified`` is only part of the key: a re-run sweep is read afresh


def sweep_ui(path: str | Path = DEFAULT_SWEEP_PATH) -> None:
    """The distribution of steps-to-100% over seeds and hidden sizes, from ``python -m explainer.sweep``."""
    path = Path(path)
    try:
        sweep = _load_sweep_cached(str(path), path.stat().st_mtime)
    except FileNotFoundError:
        st.info(f"No sweep result at {path}. Make one with: python -m explainer.sweep --out {path}", icon="📄")
        return
    except ValueError as error:
        st.warning(str(error), icon="⚠️")
        return
    st.plotly_chart(
        sweep_figure(sweep["runs"], sweep["max_steps"]), key="sweep_chart", config={"displayModeBar": False}
    )
    st.dataframe(summarize_runs(sweep["runs"]), hide_index=True, key="sweep_table")
    st.caption(
        f"{len(sweep['runs'])} runs of the {sweep['recipe']} recipe, each stopped at {sweep['max_steps']:,} steps, "
        f"checked every {sweep.get('check_every', '?'):,} steps. Made with `{sweep['command']}`."
    )


def training_panel_ui(sweep_path: str | Path = DEFAULT_SWEEP_PATH) -> None:
    """The “Train it yourself” section for the main area: settings, Train/Stop, live progress, the run's
    curves (marked at the replayed checkpoint), downloads, upload, and the sweep chart (from ``sweep_path``)."""
    _settle_interrupted_run()
    settings = _settings_ui()
    train_column, stop_column, _ = st.columns([2, 2, 8])
    train_pressed = train_column.button("Train", key="train_button", type="primary", width="stretch")
    # Clickable only while this run trains; the click itself is what interrupts it (see the module docstring).
    stop_column.button("Stop", key="stop_button", disabled=not train_pressed, width="stretch")
    if train_pressed:
        _train_in_page(settings)
    run = _run()
    if run is not None:
        _run_results_ui(run)
    notice = st.session_state.pop("dropped_run_notice", None)
    if notice:
        st.info(notice, icon="🗂️")
    latest = _latest_run()
    if run is None and latest is not None and latest["status"] == "failed":
        st.error("The last training run could not start; check the settings above.", icon="✋")
    else:
        st.caption("Nothing trains until you press Train. The network you train stays in your browser session.")
    with st.expander("Upload weights"):
        _upload_ui()
    with st.expander("How often does training find the carry? (a sweep over seeds and sizes)"):
        sweep_ui(sweep_path)


def side_by_side_ui(shipped_weights: RNNWeights, other_weights: RNNWeights, other_label: str, a: int, b: int) -> None:
    """The shipped network and another one on the same pair, next to each other: verdict, accuracy, heatmap."""
    columns = st.columns(2)
    for column, (label, weights, key) in zip(
        columns,
        ((SOURCE_SHIPPED, shipped_weights, "shipped"), (other_label, other_weights, "other")),
        strict=True,
    ):
        trace = trace_addition(weights, a, b)
        with column:
            mark = "✓" if trace.is_correct else "✗"
            st.markdown(f"**{label}** says {a} + {b} = {trace.predicted_sum} {mark}")
            st.caption(
                f"H = {weights.hidden_units} · exact on {accuracy_over_all_pairs(weights):.1%} of all 16,384 pairs"
            )
            st.plotly_chart(
                unfolded_figure(trace, compact=True), key=f"side_by_side_{key}_chart", config={"displayModeBar": False}
            )
            with st.expander("As a table (for screen readers)"):
                st.dataframe(trace_table(trace), hide_index=True, key=f"side_by_side_{key}_table")
