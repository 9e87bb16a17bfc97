"""Which network the whole page shows: one of the two shipped ones (``assets/model.keras``, or
``assets/model-long.keras``, fine-tuned on long sums), one trained in this session (at a replayed
checkpoint: :func:`replay_ui`, drawn beside the picture it changes), or uploaded weights. The shipped
weights come from ``st.cache_resource``, are read-only (:class:`RNNWeights`) and are never written.

A rule's page (``?rule=subtraction``) uses the same choice with the rule's shipped network: it offers this
session's runs of that rule (:func:`ui.session_networks.runs_with_checkpoints`); uploads are addition's."""

from __future__ import annotations

import streamlit as st

from explainer import RNNWeights, evaluate
from explainer.files.keras_file import LONG_MODEL_COMMAND
from explainer.rules import DEFAULT_RULE
from explainer.training.recipes import RECIPE_LABELS
from ui.echo import quoted
from ui.playback import play_controls_ui
from ui.session_networks import (
    FOLLOW_LIVE_KEY,
    FOLLOWED_RUN_KEY,
    PENDING_SOURCE_KEY,
    REPLAY_KEY,
    SELECTED_RUN_KEY,
    SOURCE_LONG,
    SOURCE_SHIPPED,
    SOURCE_TRAINED,
    SOURCE_UPLOADED,
    UPLOADED_KEY,
    drawn_checkpoints,
    latest_run,
    page_rule,
    progress_text,
    run_progress_caption,
    runs_with_checkpoints,
    selected_checkpoint,
    selected_run,
)
from ui.state import MODEL_SOURCE, MODEL_SOURCE_CHOICE, MODEL_SOURCE_CHOICE_NOW, MODEL_SOURCE_GENERATION

REPLAY_SLIDER_WIDTH = 420  # px: room for ~20 checkpoints' ticks beside the ▶ Play toggle


@st.cache_data(max_entries=256, show_spinner=False)
def _exact_accuracy(fingerprint: str, _weights: RNNWeights) -> float:
    # Keyed by the fingerprint (a digest of the values): the same weights give the same answer for anyone.
    return evaluate(_weights).exact_accuracy


def accuracy_over_all_pairs(weights: RNNWeights) -> float:
    """Fraction of the 16,384 training pairs (a, b < 128) that ``weights`` adds exactly; cached per network."""
    return _exact_accuracy(weights.fingerprint, weights)


def _choice_key() -> str:
    """The radio's key: a new one each time the page itself changed the network shown (a run ended, a run or an
    upload went away). The radio sits in a popover, and a closed popover's radio is not mounted in the browser: it
    misses the new value, then shows the old one when opened and sends it back on the next run, which put the page
    back on the shipped network after a run ended. A new key is a new widget, drawn from ``index`` when opened."""
    generation = st.session_state.get(MODEL_SOURCE_GENERATION, 0)
    key = f"{MODEL_SOURCE_CHOICE}{generation}"
    if key in st.session_state and st.session_state[key] != st.session_state[MODEL_SOURCE]:
        st.session_state[MODEL_SOURCE_GENERATION] = generation + 1
        key = f"{MODEL_SOURCE_CHOICE}{generation + 1}"
    st.session_state[MODEL_SOURCE_CHOICE_NOW] = key
    return key


def _chosen() -> None:
    """The visitor picked a network: it becomes the page's."""
    st.session_state[MODEL_SOURCE] = st.session_state[st.session_state[MODEL_SOURCE_CHOICE_NOW]]


def model_source_ui(shipped_weights: RNNWeights, long_weights: RNNWeights | None = None) -> tuple[str, RNNWeights]:
    """Choose the network the whole page shows: shipped, the shipped long-sums network (``long_weights``, if it
    loaded), trained in this session (at the checkpoint :func:`replay_ui` picks), or uploaded. Returns a label for
    headings and the weights to use everywhere.

    On a rule's page ``shipped_weights`` is the rule's shipped network and the runs offered are the rule's; an
    upload (an adder's weights) is offered on addition's page only.
    """
    adding = page_rule() == DEFAULT_RULE
    latest = latest_run()
    latest_checkpoints = drawn_checkpoints(latest) if latest is not None else []
    if st.session_state.get(FOLLOW_LIVE_KEY) and latest is not None and (latest_checkpoints or not latest.active):
        del st.session_state[FOLLOW_LIVE_KEY]  # Train was pressed: show the new run from its first checkpoint on
        if latest_checkpoints:
            st.session_state[PENDING_SOURCE_KEY] = SOURCE_TRAINED
    run = selected_run()
    uploaded = st.session_state.get(UPLOADED_KEY)
    options = [SOURCE_SHIPPED]
    if long_weights is not None:
        options.append(SOURCE_LONG)
    if run is not None:
        options.append(SOURCE_TRAINED)
    if uploaded is not None and adding:
        options.append(SOURCE_UPLOADED)
    pending = st.session_state.pop(PENDING_SOURCE_KEY, None)
    if pending in options:
        st.session_state[MODEL_SOURCE] = pending
        if pending == SOURCE_TRAINED:  # a run just ended: show the newest run, where it ended
            st.session_state[SELECTED_RUN_KEY] = len(runs_with_checkpoints()) - 1
            run = selected_run()
            st.session_state[REPLAY_KEY] = drawn_checkpoints(run)[-1].step
    if st.session_state.get(MODEL_SOURCE) not in options:
        st.session_state[MODEL_SOURCE] = SOURCE_SHIPPED
    source = st.radio(
        "Network shown on this page",
        options,
        index=options.index(st.session_state[MODEL_SOURCE]),
        key=_choice_key(),
        on_change=_chosen,
        help="The shipped model learned from 8-column sums; the long-sums one was fine-tuned on sums of 8–48 "
        "columns until the verifier could prove it. Train a network or upload weights (in “Train it yourself”) "
        "and they appear here too."
        if adding
        else "The shipped network of this rule, made by the command below. Train one for this rule (in “Train it "
        "yourself”) and it appears here too.",
    )
    if source == SOURCE_LONG:
        st.caption(
            "The same 304-weight network, fine-tuned on long sums.",
            help="For developers: assets/model-long.keras, made by " + LONG_MODEL_COMMAND + ".",
        )
        return SOURCE_LONG, long_weights
    if source == SOURCE_TRAINED:
        runs = runs_with_checkpoints()
        if len(runs) > 1:
            if st.session_state.get(SELECTED_RUN_KEY) not in range(len(runs)):
                st.session_state[SELECTED_RUN_KEY] = len(runs) - 1
            st.selectbox(
                "Which of your runs",
                range(len(runs)),
                key=SELECTED_RUN_KEY,
                format_func=lambda index: f"Run {index + 1}: {runs[index].describe()}",
            )
            run = selected_run()
        steps = [checkpoint.step for checkpoint in drawn_checkpoints(run) or run.checkpoints]
        # While it trains: the newest checkpoint. Once more on the first drawing after it ended, since its last
        # checkpoints may have come after the last drawing while it was live.
        followed = st.session_state.get(FOLLOWED_RUN_KEY) == id(run)
        if st.session_state.get(REPLAY_KEY) not in steps or run.active or followed:
            st.session_state[REPLAY_KEY] = steps[-1]
        if run.active:
            st.session_state[FOLLOWED_RUN_KEY] = id(run)
        elif followed:
            del st.session_state[FOLLOWED_RUN_KEY]
        checkpoint = selected_checkpoint(run)
        return f"Your network (step {checkpoint.step:,})", checkpoint.weights
    if source == SOURCE_UPLOADED:
        weights, name = uploaded.weights, quoted(uploaded.name, limit=None)  # the name is shown as Markdown
        st.caption(f"{name}, H = {weights.hidden_units} · exact on {accuracy_over_all_pairs(weights):.1%}")
        return f"Your upload ({name})", weights
    return SOURCE_SHIPPED, shipped_weights


def network_label() -> str:
    """The network the page shows, in a few words (for the button that opens :func:`model_source_ui`)."""
    return str(st.session_state.get(MODEL_SOURCE, SOURCE_SHIPPED))


def replay_ui() -> None:
    """While the page shows a run trained in this session: which checkpoint, how it scores, and (with more than
    one checkpoint) the slider that replays the run and its ▶ Play, in a row. Every view on the page follows the
    checkpoint (the page reruns when it moves). Call after :func:`model_source_ui`."""
    run = selected_run()
    if st.session_state.get(MODEL_SOURCE) != SOURCE_TRAINED or run is None:
        return
    steps = [checkpoint.step for checkpoint in drawn_checkpoints(run) or run.checkpoints]
    checkpoint, settings = selected_checkpoint(run), run.settings
    summary = (
        f"{RECIPE_LABELS[settings.recipe]} recipe, seed {settings.seed}, H = {settings.hidden_units} · "
        f"{progress_text(run, checkpoint)}"
    )
    if len(steps) < 2:
        run_progress_caption(run, summary)
        return
    with st.container(horizontal=True, wrap=True, vertical_alignment="bottom", key="replay_controls"):
        st.select_slider(
            "Replay training: checkpoint",
            options=steps,
            key=REPLAY_KEY,
            format_func=lambda step: f"step {step:,}",
            disabled=run.active,
            help="Every view on the page shows the network as it was at this step of training "
            "(while it trains: the newest checkpoint).",
            width=REPLAY_SLIDER_WIDTH,
        )
        if not run.active:
            play_controls_ui("replay", "▶ Play the replay")
        run_progress_caption(run, summary)
