"""The page for a rule other than addition (``?rule=subtraction``): its inputs and verdict, the unfolded written
form with the rule's state row and the k-state probe's reading of it, the heatmap, "Inside one step", and the
sections "What did it learn?", "Train it yourself" and "Compare the rules" (:mod:`ui.rule_insight`).

Addition keeps its own page (``streamlit_app.py``); this module gives both pages the rule picker and the rule's
part of the link. The network is the rule's shipped one or a run of the rule trained in this session (at its
replayed checkpoint), chosen as on addition's page (:mod:`ui.model_source`); every view follows the choice. Uploads,
the ablation popover, the tour, the presets, "The weights" and "Side by side" are addition's.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
import streamlit as st

from explainer import RNNWeights, parse_operand
from explainer.analysis.state_probe import StateProbe, state_probe
from explainer.byte_cache import ByteCache
from explainer.figures.rule_drawing import (
    answer_row_name,
    rule_cells,
    rule_unfolded_drawing,
    state_row_names,
    state_text,
)
from explainer.figures.step_drawing import step_drawing
from explainer.figures.step_equations import step_equations, step_sentences
from explainer.figures.style import CARRY, HIGHLIGHT
from explainer.files.keras_file import read_sidecar, rule_model_path
from explainer.model.trace import RuleTrace, trace_rule
from explainer.rules import Rule
from explainer.sections import INSIGHT_SECTION, STEP_SECTION, TRAINING_SECTION
from ui.addition import column_chooser, timestep_ui, whole_sum_ui
from ui.charts import show_drawing
from ui.echo import link_notice, quoted
from ui.guards import analysis_or_none, view_or_warning
from ui.live import live_updates_ui
from ui.model_source import model_source_ui, network_label, replay_ui
from ui.playback import advance_columns, play_controls_ui, play_interval
from ui.rule_choice import rule_picker_ui, save_rule_to_url
from ui.rule_insight import RULE_VIEWS, compare_rules_ui, rule_analyses_warm_up, rule_insight_ui, shipped_rule_weights
from ui.scroll import SECTION_VIEW
from ui.sections import restore_view_from_url, save_view_to_url, section_choice_ui, shown_section
from ui.session_networks import SOURCE_SHIPPED
from ui.state import (
    A_TEXT,
    ABLATE_CLAMPED,
    ABLATE_ZEROED,
    B_TEXT,
    BRACKETS_TEXT,
    C_TEXT,
    COLUMNS,
    LAST_GOOD_RULE_INPUTS,
    LINK_READ_PAIR,
    RULE_INSIGHT_VIEW,
    SHOW_WHOLE_SUM,
    TIMESTEP,
    browser_holds,
    first_time,
    link_text,
    set_link,
)
from ui.training import training_panel_ui

COMPARE_SECTION = "Compare the rules"
RULE_SECTIONS = [STEP_SECTION, INSIGHT_SECTION, TRAINING_SECTION, COMPARE_SECTION]
# The number boxes by the rule's input names; addition's a and b boxes are the same widgets.
NUMBER_KEYS = {"a": A_TEXT, "b": B_TEXT, "c": C_TEXT}
# What a rule shows when its boxes (or a link) give nothing it can use: inputs whose columns show its state moving.
DEFAULT_INPUTS = {
    "subtraction": (50, 18),
    "three_numbers": (5, 6, 7),
    "times_three": (21,),
    "divisible_by_three": (21,),
    "brackets": "(()())",
}
OPERAND_HELP = "A whole number from 0 to 18446744073709551615 (2**64 − 1)."


# --- The rule's inputs --------------------------------------------------------------------------------------------


def _parse_inputs(rule: Rule, texts: dict[str, str]) -> tuple[int, ...] | str:
    """The rule's inputs from the boxes' texts, or ``ValueError`` (the rule's own message: it never repeats a text
    that is not digits or brackets)."""
    if rule.machine is None:
        return rule.validate(texts["brackets"])
    numbers = tuple(parse_operand(texts[name], name) for name in rule.input_names)
    return rule.validate(numbers)


def _box_keys(rule: Rule) -> dict[str, str]:
    if rule.machine is None:
        return {"brackets": BRACKETS_TEXT}
    return {name: NUMBER_KEYS[name] for name in rule.input_names}


def _put_inputs(rule: Rule, inputs: tuple[int, ...] | str) -> None:
    if rule.machine is None:
        st.session_state[BRACKETS_TEXT] = inputs
    else:
        for name, value in zip(rule.input_names, inputs, strict=True):
            st.session_state[NUMBER_KEYS[name]] = str(value)


def restore_rule_inputs_from_url(rule: Rule) -> list[str]:
    """Once per session (with addition's pair: one mark), the rule's inputs and timestep from the link
    (``?rule=three_numbers&a=5&b=6&c=7&t=2``). Inputs it cannot use (not numbers, outside the rule's domain, not
    brackets) get a notice, echoed as text, and the rule's default inputs."""
    if not first_time(LINK_READ_PAIR):
        return []
    keys = _box_keys(rule)
    linked = {name: link_text(key) for name, key in keys.items()}
    notices = []
    if any(text is not None for text in linked.values()):
        default = DEFAULT_INPUTS[rule.name]
        if rule.machine is None:
            defaults = {"brackets": default}
        else:
            defaults = {name: str(value) for name, value in zip(rule.input_names, default, strict=True)}
        texts = {name: defaults[name] if text is None else text for name, text in linked.items()}
        try:
            inputs = _parse_inputs(rule, texts)
        except ValueError as error:
            shown = ", ".join(f"{name}={quoted(text)}" for name, text in linked.items() if text is not None)
            inputs = default
            notices.append(f"The link's {shown} cannot be used: {error} Showing {_inputs_text(rule, inputs)}.")
        _put_inputs(rule, inputs)
    text = link_text(TIMESTEP)
    if text is not None:
        if text.isascii() and text.isdigit() and len(text) <= 3:
            st.session_state[TIMESTEP] = int(text)  # the slider brings a step past the last column back to it
        else:
            notices.append(f"The link's timestep t={quoted(text)} was not usable; showing t = 0.")
    return notices


def rule_inputs_ui(rule: Rule) -> tuple[int, ...] | str:
    """One box per number the rule reads (a bracket string for brackets), in one row. Returns the inputs to show:
    what was typed, or while that is not usable (with a message saying why) the last inputs that were."""
    keys = _box_keys(rule)
    default = DEFAULT_INPUTS[rule.name]
    last_good = st.session_state.setdefault(LAST_GOOD_RULE_INPUTS, {})
    # A box this session has not drawn yet starts at the rule's last good input, else its example; a and b keep
    # what addition's boxes hold (switching from 50 + 18 to three numbers gives 50 + 18 + 7).
    start = last_good.get(rule.name, default)
    start = {"brackets": start} if rule.machine is None else dict(zip(rule.input_names, start, strict=True))
    for name, key in keys.items():
        if key not in st.session_state and not browser_holds(key):
            st.session_state[key] = str(start[name])
    texts = {}
    with st.container(horizontal=True, wrap=False, vertical_alignment="bottom", key="rule_inputs"):
        if rule.machine is None:
            texts["brackets"] = st.text_input(
                "Brackets",
                key=BRACKETS_TEXT,
                help="A string of ( and ), at most 65 of them. Each bracket is one column, read left to right.",
                placeholder="e.g. (()())",
            )
        else:
            for name in rule.input_names:
                placeholder = {"a": "e.g. 50", "b": "e.g. 18", "c": "e.g. 7"}[name]
                texts[name] = st.text_input(name, key=NUMBER_KEYS[name], help=OPERAND_HELP, placeholder=placeholder)
    try:
        inputs = _parse_inputs(rule, texts)
    except ValueError as error:
        inputs = last_good.get(rule.name, default)
        st.error(str(error), icon="✋")
        st.caption(f"Still showing the last input that worked: {_inputs_text(rule, inputs)}.")
        return inputs
    last_good[rule.name] = inputs
    return inputs


def _inputs_text(rule: Rule, inputs: tuple[int, ...] | str) -> str:
    """Inputs as a caption writes them: "a = 50, b = 18", or the bracket string as text (never Markdown)."""
    if isinstance(inputs, str):
        return quoted(inputs)
    return ", ".join(f"{name} = {value}" for name, value in zip(rule.input_names, inputs, strict=True))


def save_rule_inputs_to_url(rule: Rule, inputs: tuple[int, ...] | str, timestep: int) -> None:
    """The rule's inputs and step in the address bar; addition's column count and ablation leave it (a rule runs
    over the columns its inputs need, unablated). Addition's page writes its own back when it is shown again."""
    for name, key in _box_keys(rule).items():
        set_link(key, inputs if name == "brackets" else str(inputs[rule.input_names.index(name)]))
    set_link(TIMESTEP, str(timestep))
    for key in (COLUMNS, ABLATE_ZEROED, ABLATE_CLAMPED):
        set_link(key, None)


# --- The verdict ----------------------------------------------------------------------------------------------------


def _formula(rule: Rule, inputs: tuple[int, ...]) -> str:
    """The rule's formula with the numbers in it: "a − b" → "50 − 18"."""
    values = dict(zip(rule.input_names, inputs, strict=True))
    return re.sub(r"\b([abc])\b", lambda match: str(values[match.group(1)]), answer_row_name(rule))


def verdict_line(trace: RuleTrace, label: str = "The RNN") -> str:
    """The answer in one line, read back from the network's bits and checked against Python's: "The RNN says
    50 − 18 = 32 ✓". A yes/no rule says its answer after the last column; ✓ means every column is right."""
    rule, mark = trace.rule, "✓" if trace.is_correct else "✗"
    if isinstance(trace.predicted, int):
        return f"{label} says {_formula(rule, trace.inputs)} = {trace.predicted} {mark}"
    last = trace.predicted[-1]
    if rule.machine is None:
        return f"{label} says {quoted(trace.inputs)} is {'' if last else 'not '}balanced {mark}"
    return f"{label} says {trace.inputs[0]} is {'' if last else 'not '}divisible by three {mark}"


def rule_verdict_ui(trace: RuleTrace, label: str = "The RNN") -> None:
    """The answer first: what the network wrote (``label`` names it), read back, and whether Python agrees."""
    st.markdown(f"## {verdict_line(trace, label)}")
    if isinstance(trace.expected, int):
        python = f"Python's arithmetic also gives {trace.expected}"
    else:
        python = f"Python agrees under every one of the {trace.timesteps} columns (the answer for each prefix)"
    if trace.is_correct:
        st.caption(f"Right: {python}. It took {trace.timesteps} timesteps, one per column.")
    else:
        wrong = ", ".join(str(step) for step in np.flatnonzero(~trace.correct))
        answer = f"the right answer is {trace.expected}" if isinstance(trace.expected, int) else "Python disagrees"
        st.error(f"Wrong: {answer}. The bit(s) at timestep {wrong} are wrong.")


# --- The written form and the step --------------------------------------------------------------------------------

_DRAWINGS = ByteCache(8 * 2**20)  # SVG text per trace, shared by every session (immutable)


def drawing_key(trace: RuleTrace, probe_state: np.ndarray | None) -> str:
    """The written form's key in ``_DRAWINGS``: the rule, the inputs, the network's states and the probe's reading."""
    digest = hashlib.blake2b(f"{trace.rule.name}:{trace.inputs}".encode(), digest_size=16)
    for array in (trace.hidden, probe_state):
        digest.update(b"-" if array is None else np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _drawing(trace: RuleTrace, probe_state: np.ndarray | None):
    return _DRAWINGS.get_or_compute(drawing_key(trace, probe_state), lambda: rule_unfolded_drawing(trace, probe_state))


def rule_unfolded_ui(trace: RuleTrace, timestep: int, probe: StateProbe | None) -> None:
    """The written form with the rule's state row and the probe's reading, the heatmap and the output strip."""
    rule = trace.rule
    probe_state = probe.decode(trace.hidden) if probe is not None else None
    drawing = _drawing(trace, probe_state)
    whole = bool(st.session_state.get(SHOW_WHOLE_SUM))
    marks = drawing.chosen_column(timestep, unfold=not whole)
    show_drawing(
        drawing.body, key="unfolded_chart", marks=marks, column=timestep, on_column=column_chooser(trace.timesteps)
    )
    state_row, probe_row = state_row_names(rule)
    reached = (
        ""
        if whole or timestep == trace.timesteps - 1
        else f"Columns after t = {timestep} are covered: the network has not reached them yet. The {CARRY.name} "
        f"arrow takes this column's {rule.state_called} to the next one. "
    )
    probe_note = ""
    if probe is not None:
        probe_note = (
            f" The row '{probe_row}' is what a probe reads from hₜ₋₁, the state before column t (· at t = 0). "
            + probe.sentence()
        )
        if probe.held_out_accuracy < 0.99:
            probe_note += (
                f" Below 99%: this read-out does not find the {rule.state_called} in hₜ at every column (a reading: "
                "it does not say what the network uses)."
            )
    broken = (
        " Like a sum, the string is drawn with its first bracket on the right (t = 0). “—” in the depth row: a "
        "“)” closed nothing, so the string can never be balanced again."
        if rule.machine is None
        else ""
    )
    st.caption(
        f"**What to look for:** {reached}Read right to left. The row '{state_row}' is what the rule must remember "
        f"from the columns before.{broken}{probe_note} The bottom strip is the network's confidence that its bit is "
        f"1; the column outlined in {HIGHLIGHT.name} is the step you chose: click or tap a column to step there."
    )
    table = st.expander("The same as a table (for screen readers)", key="trace_table_open", on_change="rerun")
    if table.open:
        rows, texts, _ = rule_cells(trace, probe_state)
        columns = {"row": rows, **{f"t={step}": [text[step] for text in texts] for step in range(trace.timesteps)}}
        table.dataframe(columns, hide_index=True, key="trace_table")


def rule_step_ui(trace: RuleTrace, weights: RNNWeights, timestep: int) -> None:
    """One step's equation with its real numbers, for a rule: x_t has the rule's W bits (W_x is W × 16)."""
    rule = trace.rule
    bits = trace.input_bits[timestep]
    if rule.machine is None:
        reads = f"the bracket {'(' if bits[0] else ')'} (x = {bits[0]})"
    else:
        reads = ", ".join(f"{name} bit {bit}" for name, bit in zip(rule.input_names, bits, strict=True))
    st.markdown(
        f"**Step t = {timestep}** reads column {timestep}: {reads} ({rule.state_called} in "
        f"{state_text(trace.state_in[timestep])}, the rule's bit {trace.target_bits[timestep]})."
    )
    for line in step_equations(trace, timestep):
        st.latex(line)
    show_drawing(step_drawing(trace, weights, timestep), key="step_chart")
    st.caption("**What the chart shows:** " + " ".join(step_sentences(trace, weights.output_weights[:, 0], timestep)))


# --- The page -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleStepPage:
    """What the rule's step fragment draws from, fixed by the whole-page run that drew it."""

    trace: RuleTrace
    weights: RNNWeights
    probe: StateProbe | None
    shown_section: str
    play_every: float | None


def _step_through(page: RuleStepPage):
    picture, beside = st.columns(2, gap="medium")
    with beside:
        section = section_choice_ui(RULE_SECTIONS)
    with picture:
        timestep = timestep_ui(page.trace.timesteps)
        with st.container(horizontal=True, wrap=True, gap="medium", vertical_alignment="center", key="time_options"):
            play_controls_ui("columns", "▶ Play through the columns")
            whole_sum_ui()
        save_rule_inputs_to_url(page.trace.rule, page.trace.inputs, timestep)
        rule_unfolded_ui(page.trace, timestep, page.probe)
    if section != STEP_SECTION:
        beside.caption(f"“{section}” is below.")
    return timestep, section, beside


def _step_fragment(page: RuleStepPage) -> None:
    """A step (a click, a frame of ▶) reruns only the picture and "Inside one step" (the fragment below)."""
    advance_columns(page.trace.timesteps)
    timestep, section, beside = _step_through(page)
    if section != page.shown_section or play_interval("columns") != page.play_every:
        st.rerun()  # another section, or play started/stopped: redraw the whole page for it
    if section == STEP_SECTION:
        with beside, view_or_warning("“Inside one step”"):
            rule_step_ui(page.trace, page.weights, timestep)


def _network_popover(rule: Rule) -> tuple[str, RNNWeights]:
    """The rule's network: its shipped one or a run of it trained in this session (:func:`model_source_ui`).
    Returns a label for the verdict and the weights every view uses."""
    with st.popover(f"Network: {network_label()}", icon=":material/memory:", key="network_popover"):
        label, weights = model_source_ui(shipped_rule_weights(rule.name))
        if label == SOURCE_SHIPPED:
            command = read_sidecar(rule_model_path(rule.name)).get("command", "")
            st.markdown("The shipped network of this rule, made by one command:")
            st.code(command, language="bash")
        st.caption("Uploading weights is for addition only: an upload is read as an adder's weights.")
    return label, weights


def rule_page_ui(rule: Rule, notices: list[str]) -> None:
    """Everything the page shows for ``rule`` (not addition), in the addition page's layout."""
    st.title(rule.label)
    st.markdown(
        f"The same 16-unit recurrent network, trained on another rule. Watch it work **one column at a time, from "
        f"the right**: what it must remember from the columns before is the **{rule.state_called}**."
    )
    for notice in [*notices, *restore_rule_inputs_from_url(rule)]:
        link_notice(notice)
    inputs_column, verdict_column = st.columns(2, gap="medium")
    with inputs_column:
        inputs = rule_inputs_ui(rule)
        with st.container(horizontal=True, wrap=True, gap="small", key="page_tools"):
            rule_picker_ui()
            live_updates_ui()  # while this session trains (or replays): redraw at each new checkpoint (draws nothing)
            label, weights = _network_popover(rule)
    save_rule_to_url(rule)
    trace = trace_rule(weights, rule, inputs)
    with verdict_column:
        rule_verdict_ui(trace, "The RNN" if label == SOURCE_SHIPPED else label)
    replay_ui()  # a run trained here: its checkpoint slider, under the network choice and above what it changes
    probe = analysis_or_none(f"The {rule.state_called} probe", state_probe, weights, rule)  # cached per network
    rule_analyses_warm_up()  # once per server: every rule's views worked out in the background from now on
    for notice in restore_view_from_url(RULE_SECTIONS, None):  # rule_insight_ui reads its own view= (and says)
        link_notice(notice)
    page = RuleStepPage(trace, weights, probe, shown_section(RULE_SECTIONS), play_interval("columns"))

    @st.fragment(run_every=page.play_every)  # defined per run: ▶ sets how often it reruns
    def step_through_fragment() -> None:
        _step_fragment(page)

    step_through_fragment()
    shown = page.shown_section
    if shown != STEP_SECTION:
        with st.container(key=SECTION_VIEW), view_or_warning(f"“{shown}”"):
            if shown == INSIGHT_SECTION:
                rule_insight_ui(rule, weights)
            elif shown == TRAINING_SECTION:
                training_panel_ui()
            else:
                compare_rules_ui()
    view = st.session_state.get(RULE_INSIGHT_VIEW) if shown == INSIGHT_SECTION else None
    save_view_to_url(shown, view if view in RULE_VIEWS else None)
