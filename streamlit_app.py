"""Addition, unfolded: watch a recurrent network add two binary numbers, one column at a time.

Run with ``streamlit run streamlit_app.py``. This file only composes: the maths is in ``explainer/``
and each part of the page is a ``*_ui()`` function in ``ui/``.
"""

import streamlit as st

from explainer import ModelFileError, RNNWeights, load_weights, trace_addition
from explainer.analysis import carry_probe, describe_ablation
from explainer.files.keras_file import LONG_MODEL_PATH, SHIPPED_MODEL_COMMAND, page_model_path
from ui.ablation import ablation_ui
from ui.addition import (
    columns_ui,
    operands_ui,
    presets_ui,
    restore_from_url,
    save_to_url,
    step_ui,
    timestep_ui,
    unfolded_ui,
    verdict_ui,
    weights_ui,
)
from ui.echo import link_notice
from ui.guards import analysis_or_none, view_or_warning
from ui.insight import VIEWS, insight_ui
from ui.live import live_updates_ui
from ui.model_source import model_source_ui
from ui.persist import keep_widget_values, restore_view_from_url, save_view_to_url
from ui.playback import advance_columns, play_controls_ui, play_interval
from ui.side_by_side import side_by_side_ui
from ui.styles import page_style
from ui.threads import one_blas_thread_per_process
from ui.tour import tour_button, tour_from_url, tour_ui
from ui.training import training_panel_ui

st.set_page_config(page_title="Addition, unfolded", page_icon="➕", layout="wide")
one_blas_thread_per_process()
page_style()


@st.cache_resource(show_spinner="Loading the trained network…")
def shipped_weights(path: str) -> RNNWeights:
    """Loaded once per server process and shared by every user: RNNWeights is read-only, so none can change it."""
    return load_weights(path)


st.title("Addition, unfolded")
st.markdown(
    "A recurrent neural network with 16 units learned to add binary numbers from examples. Type two numbers and "
    "watch it work through them **one column at a time, starting from the right**, keeping what it needs (the "
    "carry) in its hidden state."
)

try:
    shipped = shipped_weights(str(page_model_path()))
except ModelFileError as error:
    st.error(str(error), icon="🚫")
    st.markdown("From the project folder, run:")
    st.code(SHIPPED_MODEL_COMMAND, language="bash")
    st.stop()

keep_widget_values()  # settings and views survive a switch of section
try:  # the second shipped network is optional: without it the picker offers only the first
    long_sums = shipped_weights(str(LONG_MODEL_PATH))
except ModelFileError:
    long_sums = None

for notice in [*restore_from_url(), tour_from_url(shipped)]:  # a link's tour stop wins over its pair and timestep
    if notice:
        link_notice(notice)

with st.sidebar:
    tour_button(shipped)
    st.header("Network")
    live_updates_ui()  # while this session trains (or replays): redraw at each new checkpoint
    # The shipped network, or one this visitor trained (at any replayed checkpoint) or uploaded. Everything
    # below uses `weights`, so every view follows the choice.
    source_label, weights = model_source_ui(shipped, long_sums)
    st.header("Ablation")
    st.caption("Switch hidden units off, or hold them at a value, and watch what breaks.")
    probe = analysis_or_none("The carry probe", carry_probe, weights)  # cached per network: fitted once
    carry_units = probe.top_carry_units if probe is not None else ()
    ablation = ablation_ui(weights.hidden_units, carry_units=carry_units)

a, b = operands_ui()
columns = columns_ui(a, b)
trace = trace_addition(weights, a, b, columns, ablation=ablation)
verdict_ui(trace, "The RNN" if weights == shipped else source_label)
if ablation is not None:
    st.info(f"Ablated network: {describe_ablation(ablation)}. Clear it in the sidebar.", icon="✂️")
tour_ui(weights)  # the offer or the open stop, between the answer and what the stop talks about
presets_ui(weights)  # under the verdict, so a phone shows the answer before the seven preset buttons
# One section at a time: Streamlit computes hidden tabs too, and some of these views are heavy.
sections = ["Inside one step", "The weights", "What did it learn?", "Train it yourself"]
if weights != shipped:
    sections.append("Side by side")
for notice in restore_view_from_url(sections, VIEWS, {"Side by side": "needs a network you trained or uploaded"}):
    link_notice(notice)
if st.session_state.get("section") not in sections:  # first visit, or "Side by side" after going back to shipped
    st.session_state["section"] = sections[0]
STEP_SECTION = sections[0]
SHOWN_SECTION = st.session_state["section"]
PLAY_EVERY = play_interval("columns")  # seconds per frame while ▶ plays the columns, else None


def step_through() -> tuple[int, str]:
    """Timestep controls, the address bar, the unfolded addition, the section choice: shared by both paths below."""
    timestep = timestep_ui(trace.timesteps)
    play_controls_ui("columns", "▶ Play through the columns")
    save_to_url(a, b, timestep, columns)  # early, so the address bar is current even while the charts below are drawn
    unfolded_ui(
        trace,
        timestep,
        probe.decode(trace.hidden) if probe is not None else None,
        carry_units,
        carry_units_note=probe.carry_units_sentence() if probe is not None else "",
    )
    section = st.segmented_control("Look closer", sections, key="section", required=True)
    return timestep, section


@st.fragment(run_every=PLAY_EVERY)
def step_through_fragment() -> None:
    """With "Inside one step" open, or while ▶ plays the columns, a step (a click, or a frame) reruns only this
    part: the pair, the verdict and the sidebar cannot change by stepping, so the rest of the page is not rebuilt."""
    advance_columns(trace.timesteps)
    timestep, section = step_through()
    if section != SHOWN_SECTION or play_interval("columns") != PLAY_EVERY:
        st.rerun()  # another section, or play started/stopped: redraw the whole page for it
    if section == STEP_SECTION:
        step_ui(trace, weights, timestep)


def section_ui(section: str, timestep: int) -> None:
    with view_or_warning(f"“{section}”"):  # an analysis that cannot run on this network leaves the rest working
        if section == STEP_SECTION:
            step_ui(trace, weights, timestep)
        elif section == "The weights":
            weights_ui(weights)
        elif section == "What did it learn?":
            insight_ui(weights, trace, timestep, ablation)
        elif section == "Train it yourself":
            training_panel_ui()
        elif section == "Side by side":
            side_by_side_ui(shipped, weights, source_label, a, b)


if SHOWN_SECTION == STEP_SECTION or PLAY_EVERY is not None:
    step_through_fragment()
    if SHOWN_SECTION != STEP_SECTION:  # while playing, the section below keeps the column it was drawn at
        section_ui(SHOWN_SECTION, st.session_state["timestep"])
else:
    section_ui(*reversed(step_through()))
save_view_to_url(SHOWN_SECTION, st.session_state.get("insight_view") if SHOWN_SECTION == "What did it learn?" else None)
