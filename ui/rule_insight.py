""" "What did it learn?" for a rule other than addition, and "Compare the rules", drawn with Streamlit.

The computing is :mod:`explainer.analysis.rule_insight` (cached per network: every session shares it), the pictures
:mod:`explainer.figures.rule_insight` and :mod:`explainer.figures.machine`; this module only lays them out. The
page calls:

- :func:`rule_insight_ui` ``(rule, weights)`` → one view of :data:`RULE_VIEWS` at a time, chosen by its own
  control (key ``RULE_INSIGHT_VIEW``, ``?view=`` in links as addition's views).
- :func:`compare_rules_ui` ``()`` → every rule's shipped network side by side: one table and one picture.

The one place the page says the network "holds" a rule's state is the transplant view, and only when the
transplant backs it (an interchange intervention); every other view says what can be read or measured.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable

import numpy as np
import streamlit as st

from explainer import RNNWeights
from explainer.analysis.rule_accuracy import BRACKET_CHECK_COLUMNS
from explainer.analysis.rule_comparison import comparison_record, read_comparison
from explainer.analysis.rule_insight import (
    LENGTH_SAMPLES,
    READOUT_UNITS,
    TRANSPLANT_BASES,
    class_names,
    columns_text,
    minimal_machine,
    rule_ablation,
    rule_accuracy_by_length,
    rule_correctness,
    rule_depth_accuracy,
    rule_machine_comparison,
    rule_state_space,
    rule_transplant,
    state_readout,
)
from explainer.analysis.rule_warmup import WarmUp, warm_up, warm_up_tasks
from explainer.figures.machine import machine_diagram_figure
from explainer.figures.rule_insight import (
    compare_rules_figure,
    depth_accuracy_figure,
    nesting_figure,
    rule_length_figure,
    rule_state_space_figure,
    transplant_figure,
    unit_ablation_figure,
    wrong_grid_figure,
)
from explainer.figures.style import ACCURACY, WRONG, state_colour
from explainer.files.keras_file import load_weights, rule_model_path
from explainer.rules import RULES, Rule, rule_named
from explainer.serving.settings import SettingsError, warm_rules
from explainer.verify.verdict import read_verdict_file, shipped_rule_verdict
from explainer.wording import plural
from ui.charts import show_chart, show_table
from ui.echo import link_notice, quoted
from ui.insight_states import look_for
from ui.proof import VIEW_NAME as PROOF_VIEW
from ui.rule_proof import rule_proof_ui
from ui.state import (
    LINK_READ_RULE_VIEW,
    RULE_CORRECTNESS_C,
    RULE_INSIGHT_VIEW,
    ensure_default,
    first_time,
    link_text,
    set_link,
    slug,
)
from ui.threads import one_blas_thread_per_process

STATE_SPACE_VIEW = "State space"
MACHINE_VIEW = "Extracted machine"
ABLATION_VIEW = "Ablation"
CORRECTNESS_VIEW = "Correctness map"
LENGTH_VIEW = "Any length"
TRANSPLANT_VIEW = "Transplant the state"
RULE_VIEWS: tuple[str, ...] = (
    STATE_SPACE_VIEW,
    MACHINE_VIEW,
    ABLATION_VIEW,
    CORRECTNESS_VIEW,
    LENGTH_VIEW,
    PROOF_VIEW,
    TRANSPLANT_VIEW,
)
# The longest state name drawn inside a state's circle in the machine diagrams ("remainder 0").
LONGEST_CIRCLE_NAME = 12
# The transplant backs "the network holds its state in h_t" when the later bits follow the source's state in at
# least this share of the interventions where they must change.
HOLDS_AT = 0.99
# The background work on every rule's analyses starts this long after the page that started it (its own first view
# is drawn by then, without sharing the interpreter with it).
WARM_UP_AFTER_SECONDS = 3.0


@st.cache_resource(show_spinner=False)
def shipped_rule_weights(name: str) -> RNNWeights:
    """The shipped network of the rule called ``name`` (addition's is assets/model.keras), shared by every session."""
    return load_weights(rule_model_path(name), rule_named(name).input_width)


@functools.cache
def _shipped_weights_outside_a_run(name: str) -> RNNWeights:
    """:func:`shipped_rule_weights` for a thread outside any script run (Streamlit's caches belong to runs): the
    same file, so the same fingerprint, so the same entries of the analyses' caches."""
    return load_weights(rule_model_path(name), rule_named(name).input_width)


def _warm_up_thread(tasks, progress: WarmUp) -> None:
    # At the server's own priority: niced, on a machine loaded by other processes, it barely ran (bench/README.md).
    time.sleep(WARM_UP_AFTER_SECONDS)  # let the page that started it finish its first view
    warm_up(tasks, progress)
    for name, error in progress.failed:
        logging.getLogger(__name__).warning("working out %s in the background failed: %s", name, error)


@st.cache_resource(show_spinner=False)
def rule_analyses_warm_up() -> WarmUp | None:
    """Once per server process: start a background thread that works out every shipped rule network's analyses
    (:func:`explainer.analysis.rule_warmup.warm_up_tasks`) into the caches the views read, so a later visitor of a
    rule's "What did it learn?" or of "Compare the rules" rarely waits. Its progress, or None when
    ``ADDITION_UNFOLDED_WARM_RULES`` is not 1 (the default is 0; a value that is not 0 or 1 is logged)."""
    try:
        if not warm_rules():
            return None
    except SettingsError as error:
        logging.getLogger(__name__).warning("%s", error)
        return None
    one_blas_thread_per_process()  # process-wide: the thread's products run on one BLAS thread too
    tasks = warm_up_tasks(_shipped_weights_outside_a_run)
    progress = WarmUp(total=len(tasks))
    _start_in_background(tasks, progress)
    return progress


def _start_in_background(tasks, progress: WarmUp) -> None:
    threading.Thread(target=_warm_up_thread, args=(tasks, progress), name="rule-analyses-warm-up", daemon=True).start()


def _as_rule(rule: Rule | str) -> Rule:
    return rule_named(rule) if isinstance(rule, str) else rule


# --------------------------------------------------------------------------------------------------
# The views.
# --------------------------------------------------------------------------------------------------


def _state_space_view(rule: Rule, weights: RNNWeights) -> None:
    space = rule_state_space(weights, rule.name)
    readout = state_readout(weights, rule.name)
    names = class_names(rule)
    # Divisibility's minimal machine merges remainders (remainder 1 before a column worth 2 acts as remainder 2
    # before one worth 1): its colours are those merged states, and "the remainder" would claim more than they show.
    merged = rule.machine is not None and any(" or " in name for name in names)
    colour = "minimal-machine state" if merged else rule.state_called
    look_for(
        f"whether each {colour} has a region of its own. Each dot is the hidden state h_t after one column "
        f"of the rule's training inputs ({space.steps:,} steps), placed by the two directions along which the hidden "
        f"states spread most; its colour is the rule's {colour} after that column, worked out from the "
        "rule, not read from the network."
        + (
            f" The rule's minimal machine merges some values of the {rule.state_called} (the legend names each "
            f"state by the values it merges), so the colours are its states, not the {rule.state_called} itself."
            if merged
            else ""
        )
    )
    columns = st.columns(2)
    columns[0].metric(f"A straight-line readout names the {colour}", f"{readout.accuracy:.1%}", help="of every step")
    columns[1].metric("Units it weighs most", ", ".join(str(unit) for unit in readout.top_units))
    show_chart(
        rule_state_space_figure(
            space.points,
            space.point_class,
            names,
            space.explained_variance_ratio,
            f"Every hidden state, coloured by the {colour}",
        ),
        key="rule_state_space",
        alt=f"Scatter of the network's hidden states in two dimensions, one colour per {colour}: "
        + ", ".join(names)
        + ".",
    )
    st.caption(
        "Reading is not using: a readout that names the state shows the state can be read off h_t; the "
        f"“{TRANSPLANT_VIEW}” view tests whether the network acts on it."
    )
    with st.expander("The dots as a table (for screen readers)"):
        counts = np.bincount(space.point_class, weights=space.point_weight, minlength=len(names))
        show_table({colour: list(names), "steps": [int(count) for count in counts]}, key="rule_state_space_table")


def _machine_figures(rule: Rule, weights: RNNWeights) -> None:
    comparison = rule_machine_comparison(weights, rule.name)
    own = minimal_machine(rule.name)
    extracted = comparison.minimal
    paired = comparison.pairing if comparison.isomorphic else {}
    look_for(
        f"the same drawing twice. The rule needs {plural(own.state_count, 'state')}; the machine read off the "
        f"network's hidden states (grouped into {comparison.cluster_count} clusters, then merged where they behave "
        "alike) is drawn on the right, its states coloured as the rule's state they pair with."
    )
    columns = st.columns(4)
    columns[0].metric("States the rule needs", own.state_count)
    columns[1].metric("The network's machine has", extracted.state_count)
    columns[2].metric("The same machine?", "yes" if comparison.isomorphic else "no", help="states renamed")
    columns[3].metric(
        "Agrees with the network",
        f"{comparison.fidelity:.2%}",
        help=f"of every input of {comparison.fidelity_columns} columns (bits of each number)",
    )
    if comparison.isomorphic:
        pairs = "; ".join(f"network state S{state} ↔ {own.state_names[partner]}" for state, partner in paired.items())
        st.write(f"The pairing: {pairs}.")
    elif comparison.counterexample is not None:
        st.write(
            "The two machines part on the input with columns (least significant first) "
            f"{columns_text(comparison.counterexample, rule.input_names)}."
        )
    else:
        st.write("The two machines write the same bits on every input, but the network's has more states.")
    st.caption(
        f"The network's machine writes the network's own bits on {comparison.training_fidelity:.2%} of its training "
        f"inputs and {comparison.fidelity:.2%} of every input of {comparison.fidelity_columns} columns: a machine "
        "read off finitely many inputs is a claim about those inputs."
    )
    names = [f"S{state}" for state in range(extracted.state_count)]
    # A name too long for its circle is drawn as "state i" and spelled out under the drawings.
    circles = [name if len(name) <= LONGEST_CIRCLE_NAME else f"state {i}" for i, name in enumerate(own.state_names)]
    fills = [state_colour(paired[state]) if state in paired else ACCURACY.hex for state in range(len(names))]
    left, right = st.columns(2)  # side by side on a wide screen; Streamlit stacks them on a phone
    with left:
        show_chart(
            machine_diagram_figure(
                circles,
                own.next_state,
                own.output,
                own.start,
                input_names=rule.input_names,
                fills=[state_colour(state) for state in range(own.state_count)],
                title=f"The rule's machine ({' '.join(rule.input_names)} / bit written)",
            ),
            key="rule_machine_own",
            alt=f"State diagram of the rule's minimal machine: {', '.join(own.state_names)}.",
        )
    with right:
        show_chart(
            machine_diagram_figure(
                names,
                extracted.next_state,
                extracted.output,
                extracted.start,
                input_names=rule.input_names,
                fills=fills,
                title=f"The network's machine ({' '.join(rule.input_names)} / bit written)",
            ),
            key="rule_machine_extracted",
            alt=f"State diagram of the machine extracted from the network: {plural(len(names), 'state')}.",
        )
    spelled = [f"{circle} = {name}" for circle, name in zip(circles, own.state_names, strict=True) if circle != name]
    if spelled:
        st.caption("In the rule's machine: " + "; ".join(spelled) + ".")
    with st.expander("Both machines as tables (for screen readers)"):
        show_table(own.transition_records(rule.input_names), key="rule_machine_own_table")
        renamed = [{**row, "state": f"S{row['state'][1:]}"} for row in extracted.transition_records(rule.input_names)]
        show_table(renamed, key="rule_machine_extracted_table")


def _nesting_sentence(nested_right: tuple[bool, ...]) -> str:
    """What happens past the deepest nesting answered right: "wrong at d = 7 and at 33 of the 33 deeper …"."""
    checked = len(nested_right)
    first_wrong = next((depth for depth, right in enumerate(nested_right, start=1) if not right), None)
    if first_wrong is None:
        return f"every nesting up to {checked}, the deepest checked, is right."
    deeper = nested_right[first_wrong:]
    return (
        f"it is wrong at d = {first_wrong}, and at {sum(not right for right in deeper)} of the "
        f"{len(deeper)} deeper nestings checked (up to {checked})."
    )


def _depth_figures(weights: RNNWeights, key: str) -> None:
    depth = rule_depth_accuracy(weights)
    show_chart(
        nesting_figure(depth.nested_right),
        key=f"{key}_nesting",
        alt=f"For each nesting d from 1 to {len(depth.nested_right)}: is “(” × d then “)” × d answered right?",
    )
    show_chart(
        depth_accuracy_figure(depth.by_depth, depth.columns),
        key=key,
        alt=f"Bars of exact accuracy on every string of {depth.columns} brackets, grouped by deepest nesting.",
    )
    st.write(
        f"“(” × d then “)” × d is answered right under every bracket for every d up to "
        f"{depth.deepest_nesting_right}; {_nesting_sentence(depth.nested_right)}"
    )
    with st.expander("By depth as a table (for screen readers)"):
        show_table(
            {
                "deepest nesting": list(depth.by_depth),
                "strings": [depth.strings_by_depth[value] for value in depth.by_depth],
                "exact": [f"{share:.1%}" for share in depth.by_depth.values()],
            },
            key=f"{key}_table",
        )


def _machine_view(rule: Rule, weights: RNNWeights) -> None:
    if rule.machine is not None:
        _machine_figures(rule, weights)
        return
    look_for(
        "where the squares drop to “wrong”. To answer “balanced so far?” the rule must keep the depth, which has no "
        "upper bound: no machine with finitely many states computes it, so there is no machine to compare with. "
        "A network of 16 units tells apart only so many depths, and fails as nesting deepens."
    )
    _depth_figures(weights, "rule_machine_depth")


def _ablation_view(rule: Rule, weights: RNNWeights) -> None:
    ablation = rule_ablation(weights, rule.name)
    what = (
        f"every string of {ablation.columns} brackets"
        if rule.machine is None
        else f"every input whose numbers fit {ablation.columns} bits"
    )
    look_for(
        f"the {WRONG.name} bars: units without which the network gets many more inputs wrong. Zeroing cuts a unit "
        "off; a unit whose zeroing alone costs nothing may still matter together with others, which one at a time "
        "cannot show."
    )
    matter = ablation.units_that_matter()
    show_chart(
        unit_ablation_figure(ablation.zeroed, ablation.intact, f"{what} ({ablation.inputs:,})"),
        key="rule_ablation_units",
        alt=f"Bars of exact accuracy on {what} with each of the {weights.hidden_units} units zeroed in turn.",
    )
    if matter:
        st.write(
            f"Zeroing any one of units {', '.join(str(unit) for unit in matter)} costs more than one point of exact "
            f"accuracy ({WRONG.name} bars); each of the other {weights.hidden_units - len(matter)} costs less."
        )
    else:
        st.write("No single unit's zeroing costs more than one point of exact accuracy.")
    with st.expander("The bars as a table (for screen readers)"):
        show_table(
            {
                "unit zeroed": list(range(weights.hidden_units)),
                "exact": [f"{value:.1%}" for value in ablation.zeroed],
            },
            key="rule_ablation_table",
        )


def _correctness_view(rule: Rule, weights: RNNWeights) -> None:
    if rule.machine is None:
        look_for(
            "the squares: “(” × d then “)” × d is answered right up to some nesting d and wrong beyond it. The bars "
            f"cover every string of {BRACKET_CHECK_COLUMNS} brackets: one that nests deep has few brackets left to "
            "close with, so most of its answers are an easy “no”."
        )
        _depth_figures(weights, "rule_correctness_depth")
        return
    with st.spinner("Running every input once for this network…"):
        correctness = rule_correctness(weights, rule.name)
    side = 2**correctness.columns
    names = rule.input_names
    look_for(
        "one flat colour: every input right. Errors of a network that has not learnt the rule form stripes and "
        "blocks at powers of two."
        + (" Blank cells are outside the rule's domain." if np.isnan(correctness.wrong).any() else "")
    )
    if rule.input_width == 1:
        rows, row_size = correctness.wrong.shape
        grid, row_title, column_title = (
            correctness.wrong,
            f"{names[0]} (first of the row)",
            f"+ {names[0]} mod {row_size}",
        )
        hover, row_values = f"{names[0]} = %{{y}} + %{{x}}", np.arange(rows) * row_size
        title = f"Every {names[0]} below {side:,}, {row_size} to a row"
    elif rule.input_width == 2:
        grid, row_title, column_title = correctness.wrong, names[0], names[1]
        hover, row_values = f"{names[0]}=%{{y}}, {names[1]}=%{{x}}", None
        title = f"Every pair {names[0]}, {names[1]} below {side}"
    else:
        ensure_default(RULE_CORRECTNESS_C)
        chosen = st.slider(f"The slice at {names[2]} =", 0, side - 1, key=RULE_CORRECTNESS_C)
        grid, row_title, column_title = correctness.wrong[:, :, chosen], names[0], names[1]
        hover, row_values = f"{names[0]}=%{{y}}, {names[1]}=%{{x}}, {names[2]}={chosen}", None
        title = f"Every {names[0]}, {names[1]} below {side} with {names[2]} = {chosen}"
    inside = grid[~np.isnan(grid)]
    columns = st.columns(2)
    columns[0].metric(f"Exact, all {correctness.checked:,} inputs checked", f"{correctness.exact:.2%}")
    columns[1].metric("Inputs with a wrong bit in this picture", f"{int((inside > 0).sum()):,}")
    show_chart(
        wrong_grid_figure(grid, correctness.timesteps, row_title, column_title, title, hover, row_values),
        key="rule_correctness_map",
        alt=f"Grid of {title.lower()}, coloured by how many output bits are wrong.",
    )
    with st.expander("The wrong inputs as a table (for screen readers)"):
        wrong_at = np.argwhere(grid > 0)
        if wrong_at.size:
            show_table(
                {
                    "row": [int(row if row_values is None else row_values[row]) for row, _ in wrong_at[:200]],
                    "column": [int(column) for _, column in wrong_at[:200]],
                    "wrong bits": [int(grid[row, column]) for row, column in wrong_at[:200]],
                },
                key="rule_correctness_table",
            )
        else:
            st.write(f"Every one of the {inside.size:,} inputs in this picture is answered exactly.")


def _length_view(rule: Rule, weights: RNNWeights) -> None:
    rows = rule_accuracy_by_length(weights, rule.name)
    what = (
        "random bracket strings that never close more than they opened"
        if rule.machine is None
        else "random inputs (each number two bits shorter than the columns, so the result fits)"
    )
    look_for(
        f"whether the line stays at 100% far past the dashed training length ({rule.training_columns} columns). "
        "Samples cannot cover every input: the proof can."
    )
    show_chart(
        rule_length_figure([row.columns for row in rows], [row.exact_accuracy for row in rows], rule.training_columns),
        key="rule_length_chart",
        alt="Exact accuracy on random inputs against their number of columns, from 8 to 64.",
    )
    st.caption(
        f"{LENGTH_SAMPLES} {what} per length, drawn with a fixed seed, each checked against the rule's own arithmetic."
    )
    with st.expander("The numbers as a table (for screen readers)"):
        show_table(
            {
                "columns": [row.columns for row in rows],
                "inputs": [row.inputs for row in rows],
                "exact": [f"{row.exact_accuracy:.1%}" for row in rows],
            },
            key="rule_length_table",
        )


def _transplant_view(rule: Rule, weights: RNNWeights) -> None:
    result = rule_transplant(weights, rule.name)
    state = rule.state_called
    units_name = next(name for name in result.follows if name != "whole state")
    look_for(
        f"run a base input, and after column t replace its hidden state h_t by the h_t of another input whose {state} "
        f"after column t differs; then run on with the base's own later columns. If the network keeps its {state} in "
        f"what was replaced, every later bit is the one the rule writes from the source's {state}."
    )
    whole, units = result.follows["whole state"], result.follows[units_name]
    columns = st.columns(3)
    columns[0].metric("Whole state moved: later bits follow", f"{whole:.1%}")
    columns[1].metric(f"{units_name.capitalize()} moved: follow", f"{units:.1%}")
    columns[2].metric("Interventions where a later bit must change", f"{result.changes:.1%}")
    show_chart(
        transplant_figure(result.follows, result.stays, state),
        key="rule_transplant_chart",
        alt=f"Bars: the share of interventions whose later bits follow the source's {state}, and the share that stay "
        "the base's own, for the whole state and for the readout's units.",
    )
    where = result.follows_where_it_changes
    st.write(
        f"Over {plural(result.pairs, 'intervention')} ({result.bases} base inputs of {result.timesteps} columns, at "
        f"every column t whose {state} differs from the source's): moving the whole state, the later bits follow the "
        f"source's {state} in {whole:.1%} of them ({where['whole state']:.1%} of those where a later bit must change). "
        f"Moving only the {READOUT_UNITS} units the readout weighs most ({units_name}), they follow in {units:.1%} "
        f"({where[units_name]:.1%} where a later bit must change)."
    )
    if where["whole state"] >= HOLDS_AT:
        st.write(
            f"So the network holds its {state} in h_t: replace h_t and it carries on from the other input's {state}."
            + (
                f" It is not held in those {READOUT_UNITS} units alone."
                if where[units_name] < HOLDS_AT
                else f" Those {READOUT_UNITS} units are enough to move it."
            )
        )
    st.caption(
        f"The “stay” bars are the baseline: the later bits staying the base's own. {TRANSPLANT_BASES} bases drawn "
        "with a fixed seed from the training inputs, one source each."
    )
    with st.expander("The rates as a table (for screen readers)"):
        show_table(
            {
                "moved": list(result.follows),
                "follow the source": [f"{value:.1%}" for value in result.follows.values()],
                "follow, where a bit must change": [f"{value:.1%}" for value in where.values()],
                "stay the base's": [f"{value:.1%}" for value in result.stays.values()],
            },
            key="rule_transplant_table",
        )


VIEW_FUNCTIONS: dict[str, Callable[[Rule, RNNWeights], None]] = {
    STATE_SPACE_VIEW: _state_space_view,
    MACHINE_VIEW: _machine_view,
    ABLATION_VIEW: _ablation_view,
    CORRECTNESS_VIEW: _correctness_view,
    LENGTH_VIEW: _length_view,
    PROOF_VIEW: rule_proof_ui,
    TRANSPLANT_VIEW: _transplant_view,
}


def _restore_view_from_link() -> None:
    """Once per session, open the view the link's ``view=`` names; a junk value gets a notice (as text)."""
    if not first_time(LINK_READ_RULE_VIEW):
        return
    wanted = link_text(RULE_INSIGHT_VIEW)
    if wanted is None:
        return
    by_slug = {slug(view): view for view in RULE_VIEWS}
    if wanted in by_slug:
        st.session_state[RULE_INSIGHT_VIEW] = by_slug[wanted]
    else:
        link_notice(f"The link's view={quoted(wanted)} is not one of {', '.join(by_slug)}; showing {RULE_VIEWS[0]}.")


def rule_insight_ui(rule: Rule | str, weights: RNNWeights) -> None:
    """ "What did it learn?" for ``rule`` (a rule or its name) computed by ``weights``: a view chooser and the view.

    The chosen view is kept in ``RULE_INSIGHT_VIEW`` and written into the link as ``view=<slug>``.
    """
    rule = _as_rule(rule)
    rule_analyses_warm_up()
    if weights.input_width != rule.input_width:
        raise ValueError(f"{rule.label} reads {rule.input_width} bit(s) per column; this network reads "
                         f"{weights.input_width}.")  # fmt: skip
    _restore_view_from_link()
    ensure_default(RULE_INSIGHT_VIEW, RULE_VIEWS[0])
    view = st.segmented_control(
        "What did it learn?", RULE_VIEWS, key=RULE_INSIGHT_VIEW, required=True, persist_state="session"
    )
    view = view or RULE_VIEWS[0]
    with st.spinner("Working this out once for this network…"):
        VIEW_FUNCTIONS[view](rule, weights)
    set_link(RULE_INSIGHT_VIEW, slug(view))


# --------------------------------------------------------------------------------------------------
# Compare the rules.
# --------------------------------------------------------------------------------------------------


def shipped_verdict_text(name: str) -> str:
    """What the verifier says of the rule's shipped network, in words: "every length", "wrong at 12 columns",
    "right below 26 columns, not settled" or "not checked yet" (no verdict for these weights, or brackets)."""
    if name == "addition":
        verdict = read_verdict_file(rule_model_path(name), shipped_rule_weights(name))
        record = None if verdict is None else {"verdict": verdict.kind, "counterexample": verdict.counterexample,
                                                "no_counterexample_below": verdict.no_counterexample_below}  # fmt: skip
    else:
        record = shipped_rule_verdict(name)
    if record is None:
        return "not checked yet"
    if record.get("verdict") == "proved":
        return "every length"
    if record.get("verdict") == "counterexample":
        columns = (record.get("counterexample") or {}).get("columns")
        return f"wrong at {columns} columns" if columns else "a failing input found"
    below = record.get("no_counterexample_below")
    return f"right below {below} columns, not settled" if below else "not settled"


def compare_rows(
    proved: Callable[[str], str] = shipped_verdict_text, progress: Callable[[int, str], None] | None = None
) -> tuple[list[dict], dict]:
    """The comparison table's rows (one per rule's shipped network, with ``proved(name)``) and the record they came
    from: the shipped one when it is about these networks (:mod:`explainer.analysis.rule_comparison`), else worked
    out here (``progress(done, label)`` is told before each rule)."""
    fingerprints = {name: shipped_rule_weights(name).fingerprint for name in RULES}
    record = read_comparison(fingerprints) or comparison_record(shipped_rule_weights, progress)
    rows = [{**row, "proved": proved(name)} for name, row in zip(RULES, record["rows"], strict=True)]
    return rows, record


def compare_rules_ui(proved: Callable[[str], str] = shipped_verdict_text) -> None:
    """ "Compare the rules": every rule's shipped network side by side — one table and one picture.

    ``proved(name)`` says for which lengths the rule's network is proved right (default: the shipped verdict)."""
    rule_analyses_warm_up()
    bar = st.empty()

    def progress(done: int, label: str) -> None:
        bar.progress(done / len(RULES), text=f"Working out each rule's network once (the first time is slow): {label}")

    with st.spinner("Working out every rule's network once…"):
        rows, record = compare_rows(proved, progress)
        bar.empty()
    finite = [name for name, rule in RULES.items() if rule.machine is not None]
    needed = [record["needed"][name] for name in finite]
    found = [record["found"][name] for name in finite]
    unbounded = next(name for name, rule in RULES.items() if rule.machine is None)
    nested_right = tuple(record["nested_right"])
    deepest_right = record["deepest_nesting_right"]
    look_for(
        "the two bars of each finite rule: as many states in the machine read off the network as the rule needs. "
        "The brackets rule needs a depth with no upper bound; its network, with finitely many states it can tell "
        f"apart, answers “(” × d then “)” × d right up to d = {deepest_right}; "
        f"{_nesting_sentence(nested_right)}"
    )
    show_chart(
        compare_rules_figure(
            [RULES[name].label.split(",")[0] for name in finite],
            needed,
            found,
            nested_right,
            RULES[unbounded].label,
        ),
        key="compare_rules_chart",
        alt="Left: for each finite rule, the states it needs beside the states of the machine read off its network. "
        f"Right: {RULES[unbounded].label}, whether “(” × d then “)” × d is answered right, for each nesting d.",
    )
    show_table(rows, key="compare_rules_table")
    st.caption(
        "Transplant columns: the share of interventions where a later bit must change in which the later bits follow "
        f"the source input's state (“{TRANSPLANT_VIEW}” in each rule's “What did it learn?”). Exact: on every input "
        "whose numbers fit that many bits; brackets: “(” × d then “)” × d, and every string of "
        f"{BRACKET_CHECK_COLUMNS} brackets by depth in the picture."
    )
