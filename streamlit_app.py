"""Addition, unfolded: watch a recurrent network add two binary numbers, one column at a time.

Run with ``streamlit run streamlit_app.py``. This file only composes: the maths is in ``explainer/``
and each part of the page is a ``*_ui()`` function in ``ui/``.
"""

from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from explainer import AdditionTrace, ModelFileError, RNNWeights, load_weights, trace_addition
from explainer.analysis import CarryProbe, carry_probe, describe_ablation
from explainer.files.keras_file import LONG_MODEL_PATH, SHIPPED_MODEL_COMMAND, page_model_path
from explainer.rules import DEFAULT_RULE
from explainer.sections import INSIGHT_SECTION, SIDE_BY_SIDE_SECTION, STEP_SECTION, TRAINING_SECTION, WEIGHTS_SECTION
from ui.ablation import ablation_ui
from ui.addition import step_ui, timestep_ui, unfolded_ui, weights_ui, whole_sum_ui
from ui.echo import link_notice
from ui.guards import analysis_or_none, view_or_warning
from ui.insight import VIEWS, insight_ui
from ui.live import live_updates_ui
from ui.model_source import model_source_ui, network_label, replay_ui
from ui.pair import pair_ui, presets_ui, restore_from_url, save_to_url, verdict_ui
from ui.playback import advance_columns, play_controls_ui, play_interval
from ui.rule_choice import current_rule, restore_rule_from_url, rule_picker_ui, save_rule_to_url
from ui.scroll import SECTION_VIEW, scroll_ui
from ui.sections import available_sections, restore_view_from_url, save_view_to_url, section_choice_ui, shown_section
from ui.side_by_side import side_by_side_ui
from ui.state import INSIGHT_VIEW, TIMESTEP, rerun_on_reconnect
from ui.styles import page_style
from ui.threads import one_blas_thread_per_process
from ui.tour import tour_button, tour_from_url, tour_offer_note, tour_section, tour_ui
from ui.training import training_panel_ui

st.set_page_config(page_title="Addition, unfolded", page_icon="➕", layout="wide")
one_blas_thread_per_process()
page_style()


@st.cache_resource(show_spinner="Loading the trained network…")
def shipped_weights(path: str) -> RNNWeights:
    """Loaded once per server process and shared by every user: RNNWeights is read-only, so none can change it."""
    return load_weights(path)


rule_notices = restore_rule_from_url()
if current_rule().name != DEFAULT_RULE:  # another rule (?rule=subtraction): its own page, then nothing of addition's
    from ui.rule_page import rule_page_ui  # imported only for another rule: addition's first view stays as light

    rule_page_ui(current_rule(), rule_notices)
    rerun_on_reconnect()
    scroll_ui()
    st.stop()

st.title("Addition, unfolded")
st.markdown(
    "A 16-unit recurrent network learned binary addition. Watch it add **one column at a time, from the right**, "
    "keeping what it needs (the carry) in its hidden state: give one column the state of a sum that carries the "
    "other way, and every later column follows that carry (“Transplant the carry”, under “What did it learn?”)."
)

try:
    shipped = shipped_weights(str(page_model_path()))
except ModelFileError as error:
    st.error(str(error), icon="🚫")
    st.markdown("From the project folder, run:")
    st.code(SHIPPED_MODEL_COMMAND, language="bash")
    st.stop()

try:  # the second shipped network is optional: without it the picker offers only the first
    long_sums = shipped_weights(str(LONG_MODEL_PATH))
except ModelFileError:
    long_sums = None

save_rule_to_url(current_rule())
# A link's tour stop wins over its pair and timestep.
for notice in [*rule_notices, *restore_from_url(), tour_from_url(shipped)]:
    if notice:
        link_notice(notice)

# No sidebar: on a phone it folds behind an unlabelled "»", and every control here changes what is beside it.
# The first screen: on the left the pair and the tools that change the answer (the network, units switched off), on
# the right the verdict and the presets. A phone stacks them: the boxes, the tools, the verdict, the presets. Drawn
# into in the order the values are needed: the network and the ablation before the trace.
pair_column, verdict_column = st.columns(2, gap="medium")
with pair_column:
    pair_slot = st.container()
    link_notices = st.container()  # a junk ablation in a link gets its notice here, not inside the closed popover
    with st.container(horizontal=True, wrap=True, gap="small", key="page_tools"):
        rule_picker_ui()  # another rule reruns the page as that rule's (ui.rule_page)
        live_updates_ui()  # while this session trains (or replays): redraw at each new checkpoint (draws nothing)
        # The shipped network, or one this visitor trained (at the replayed checkpoint) or uploaded. Everything below
        # uses `weights`, so every view follows the choice.
        with st.popover(f"Network: {network_label()}", icon=":material/memory:", key="network_popover"):
            source_label, weights = model_source_ui(shipped, long_sums)
        probe = analysis_or_none("The carry probe", carry_probe, weights)  # cached per network: fitted once
        carry_units = probe.top_carry_units if probe is not None else ()
        ablation = ablation_ui(weights.hidden_units, carry_units=carry_units, notices=link_notices)
        tour_button(shipped)
    tour_offer_note()
with pair_slot:
    a, b, columns = pair_ui()
trace = trace_addition(weights, a, b, columns, ablation=ablation)
with verdict_column:
    verdict_ui(trace, "The RNN" if weights == shipped else source_label)
    if ablation is not None:
        st.info(f"Ablated network: {describe_ablation(ablation)}. Clear it under “Switched off”.", icon="✂️")
    presets_ui(weights)
replay_ui()  # a run trained here: its checkpoint slider, under the network choice and above what it changes
# One section at a time: Streamlit computes hidden tabs too, and some of these views are heavy.
sections = available_sections(own_network=weights != shipped)
for notice in restore_view_from_url(sections, VIEWS):
    link_notice(notice)


@dataclass(frozen=True)
class StepPage:
    """What the step fragment draws from, fixed by the whole-page run that drew it (a step cannot change it)."""

    trace: AdditionTrace
    weights: RNNWeights
    probe: CarryProbe | None
    carry_units: tuple[int, ...]
    a: int
    b: int
    columns: int
    sections: list[str]
    shown_section: str
    play_every: float | None  # seconds per frame while ▶ plays the columns, else None


step_page = StepPage(
    trace=trace,
    weights=weights,
    probe=probe,
    carry_units=tuple(carry_units),
    a=a,
    b=b,
    columns=columns,
    sections=sections,
    shown_section=shown_section(sections),
    play_every=play_interval("columns"),
)
# An open tour stop's card sits right above what it talks about: a section under the picture, or the picture.
card_above_section = tour_section() not in (None, STEP_SECTION) and tour_section() == step_page.shown_section
if tour_section() is not None and not card_above_section:
    tour_ui(weights)


def step_through(page: StepPage) -> tuple[int, str, DeltaGenerator]:
    """The picture on the left (the timestep controls, the address bar, the unfolded addition) and on the right the
    section choice, returned with the right column, where "Inside one step" goes: beside the heatmap, so stepping
    needs no scrolling (a phone stacks them: the picture first). Shared by both paths below."""
    picture, beside = st.columns(2, gap="medium")
    with beside:
        section = section_choice_ui(page.sections)
    with picture:
        timestep = timestep_ui(page.trace.timesteps)
        with st.container(horizontal=True, wrap=True, gap="medium", vertical_alignment="center", key="time_options"):
            play_controls_ui("columns", "▶ Play through the columns")
            whole_sum_ui()
        save_to_url(page.a, page.b, timestep, page.columns)  # early: the address bar is current while the charts draw
        unfolded_ui(
            page.trace,
            timestep,
            page.probe.decode(page.trace.hidden) if page.probe is not None else None,
            page.carry_units,
            carry_units_note=page.probe.carry_units_sentence() if page.probe is not None else "",
        )
    if section != STEP_SECTION:
        beside.caption(f"“{section}” is below the addition.")
    return timestep, section, beside


@st.fragment(run_every=step_page.play_every)
def step_through_fragment(page: StepPage) -> None:
    """With "Inside one step" open, or while ▶ plays the columns, a step (a click, or a frame) reruns only this
    part: the pair, the verdict and the toolbar cannot change by stepping, so the rest of the page is not rebuilt."""
    advance_columns(page.trace.timesteps)
    timestep, section, beside = step_through(page)
    if section != page.shown_section or play_interval("columns") != page.play_every:
        st.rerun()  # another section, or play started/stopped: redraw the whole page for it
    if section == STEP_SECTION:
        with beside:
            step_ui(page.trace, page.weights, timestep)


def section_ui(section: str, timestep: int) -> None:
    """A section under the picture (a tour stop about it has its card right above it), in a container a link's
    ``?section=`` scrolls to (ui.scroll)."""
    if card_above_section:
        tour_ui(weights)
    with st.container(key=SECTION_VIEW), view_or_warning(f"“{section}”"):  # a failing analysis leaves the rest working
        if section == WEIGHTS_SECTION:
            weights_ui(weights)
        elif section == INSIGHT_SECTION:
            insight_ui(weights, trace, timestep, ablation)
        elif section == TRAINING_SECTION:
            training_panel_ui()
        elif section == SIDE_BY_SIDE_SECTION:
            side_by_side_ui(shipped, weights, source_label, a, b)


if step_page.shown_section == STEP_SECTION or step_page.play_every is not None:
    step_through_fragment(step_page)
    if step_page.shown_section != STEP_SECTION:  # while playing, the section below keeps the column it was drawn at
        section_ui(step_page.shown_section, st.session_state[TIMESTEP])
    shown = step_page.shown_section
else:
    shown_timestep, shown, beside = step_through(step_page)
    if shown == STEP_SECTION:  # a reconnecting tab whose section control says "Inside one step" after all
        with beside:
            step_ui(trace, weights, shown_timestep)
    else:
        section_ui(shown, shown_timestep)
save_view_to_url(shown, st.session_state.get(INSIGHT_VIEW) if shown == INSIGHT_SECTION else None)
# Draws nothing: a tab whose server went away gets a whole run from the server it reconnects to.
rerun_on_reconnect()
scroll_ui()  # last: a tour stop or a shared view, entered in this run, is brought into sight once
