"""A training run's results: how it ended, its curves (marked at the replayed checkpoint), and downloads."""

from __future__ import annotations

import streamlit as st

from explainer.figures.style import HIGHLIGHT
from explainer.figures.tables import training_curves_table
from explainer.figures.training import training_curves_figure
from explainer.files.npz_file import weights_to_npz_bytes
from explainer.glossary import words_caption
from explainer.rules import DEFAULT_RULE
from explainer.serving.keras_slots import keras_file_bytes
from explainer.training.recipes import TrainingSettings, check_set_words
from explainer.wording import plural
from ui.charts import show_chart
from ui.session_networks import SOURCE_TRAINED, TrainingRun, drawn_checkpoints, selected_checkpoint
from ui.state import MODEL_SOURCE


def _file_stem(settings: TrainingSettings, step: int) -> str:
    what = "adder" if settings.rule == DEFAULT_RULE else settings.rule
    return f"{what}_{settings.recipe}_seed{settings.seed}_h{settings.hidden_units}_step{step}"


def run_results_ui(run: TrainingRun) -> None:
    checkpoints = drawn_checkpoints(run)
    shown = selected_checkpoint(run) if st.session_state.get(MODEL_SOURCE) == SOURCE_TRAINED else checkpoints[-1]
    if run.status == "finished":
        st.success(run.outcome, icon="🏁")
    elif run.status == "stopped":
        st.info(
            f"Training stopped at step {checkpoints[-1].step:,}. "
            f"Kept so far: {plural(len(checkpoints), 'checkpoint')}; replay them with the slider under “Network”, "
            "above the picture.",
            icon="⏹️",
        )
    show_chart(
        training_curves_figure(
            [checkpoint.step for checkpoint in checkpoints],
            [checkpoint.loss for checkpoint in checkpoints],
            [checkpoint.exact_accuracy for checkpoint in checkpoints],
            [checkpoint.bit_accuracy for checkpoint in checkpoints],
            selected_step=shown.step,
            **({} if run.settings.rule == DEFAULT_RULE else {"check_set": check_set_words(run.settings.rule)}),
        ),
        key="training_curves_chart",
        alt="Training loss, exact accuracy and bit accuracy against training step, with the shown checkpoint marked.",
    )
    with st.expander("The curves as a table (for screen readers)"):
        st.dataframe(training_curves_table(checkpoints), hide_index=True, key="training_curves_table")
    st.caption(
        "**What to look for:** exact accuracy sits near 0 for a long time (the plateau: the network gets single "
        "bits right but not whole sums), then jumps within a few checkpoints. The curves do not say what changed "
        "at the jump: replay a checkpoint before it and one after, and compare them in “What did it learn?”. "
        f"The {HIGHLIGHT.name} diamond is the checkpoint the page is showing; move it with the replay slider "
        "under “Network”, above the picture."
    )
    st.caption(words_caption("loss"))
    _downloads_ui(run.settings, shown)


def _downloads_ui(settings: TrainingSettings, shown) -> None:
    stem = _file_stem(settings, shown.step)
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
