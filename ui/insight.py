""" "What did it learn?": the analysis views, drawn with Streamlit.

The computing happens in :mod:`explainer.analysis` (cached per network, shared by every session), the
pictures in :mod:`explainer.figures.insight` and the screen-reader tables in :mod:`explainer.figures.tables`; this
module only lays them out. The ablation controls are in :mod:`ui.ablation`; the state space and the machine, which
follow the page's step, are in :mod:`ui.insight_states`. The page calls:

- :func:`insight_ui` → one analysis view at a time (a segmented control picks it: tabs would compute
  every view on every rerun). Returns a pair ``(a, b)`` on the run after the reader loaded one from the
  correctness map (that pair is also already in the page's ``a_text`` / ``b_text`` boxes), else ``None``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from explainer import AdditionTrace, RNNWeights, trace_addition
from explainer.analysis import (
    DEFAULT_LENGTHS,
    Ablation,
    accuracy_by_length,
    carried_part_turns_the_bit,
    carry_probe,
    correctness_grid,
    describe_ablation,
    error_locations,
    every_unit_ablated,
    every_unit_sentence,
    exact_accuracy,
    first_disagreement,
    logit_split,
    split_sentences,
)
from explainer.figures.insight import (
    carry_rows_figure,
    probe_accuracy_figure,
    probe_units_figure,
)
from explainer.figures.output import (
    ablation_bits_figure,
    correctness_map_figure,
    length_accuracy_figure,
    logit_split_figure,
    logit_units_figure,
)
from explainer.figures.style import CARRY, INPUT_CONTRIBUTION, WRONG
from explainer.figures.tables import (
    ablation_bits_table,
    length_table,
    logit_split_table,
    probe_accuracy_table,
    probe_pair_table,
    probe_units_table,
    unit_ablation_table,
    wrong_pairs_table,
)
from explainer.glossary import explain, words_caption
from explainer.model.accuracy import exact_share
from explainer.model.encoding import timesteps_for_operand_bits
from explainer.verify.verdict import breaking_sum
from ui.charts import show_chart, show_table
from ui.insight_states import look_for, machine_view, state_space_view
from ui.interchange import VIEW_NAME as INTERCHANGE_VIEW
from ui.interchange import interchange_view
from ui.pair import set_pair
from ui.proof import VIEW_NAME as PROOF_VIEW
from ui.proof import known_verdict, load_counterexample, proof_view, verdict_sentence
from ui.state import (
    CORRECTNESS_A,
    CORRECTNESS_B,
    CORRECTNESS_WRONG_PAIR,
    INSIGHT_LOADED_PAIR,
    INSIGHT_VIEW,
    ensure_default,
)

VIEWS = (
    "Carry probe",
    "State space",
    "Extracted machine",
    "Ablation",
    "Correctness map",
    "Any length",
    PROOF_VIEW,
    "Logit split",
    INTERCHANGE_VIEW,
)
# The list of wrong pairs offered for loading; the full list is in the table below the map.
WRONG_PAIRS_OFFERED = 200

# --------------------------------------------------------------------------------------------------
# The views.
# --------------------------------------------------------------------------------------------------


def _probe_view(weights: RNNWeights, trace: AdditionTrace, timestep: int, ablation: Ablation | None) -> None:
    probe = carry_probe(weights)
    look_for(
        f"one straight cut through the {weights.hidden_units} hidden numbers separates 'carry' from 'no carry' at "
        f"every step. If every bar reaches 100%, the carry can be read off the hidden state in one line, and the "
        f"{CARRY.name} units are the ones the probe reads it from most. Reading is not using: the Ablation view "
        "shows what happens when they are switched off."
    )
    decoded = probe.decode(trace.hidden)
    columns = st.columns(3)
    columns[0].metric("Probe accuracy, all steps", f"{probe.accuracy:.2%}", help=explain("linear probe"))
    columns[1].metric("Carry units", ", ".join(str(unit) for unit in probe.top_carry_units) or "none")
    disagreement = first_disagreement(decoded, trace.carry_out)
    columns[2].metric("This pair", "agrees" if disagreement is None else f"differs at t={disagreement}")
    st.caption(probe.carry_units_sentence())
    if ablation is not None:
        st.caption(
            f"The probe is fitted on the intact network; here it reads the ablated run ({describe_ablation(ablation)})."
        )
    show_chart(
        carry_rows_figure(trace.carry_out, decoded, probe.score(trace.hidden), current_step=timestep),
        key="insight_probe_rows",
        alt="The true carry out of each column and the probe's carry out, read from h_t, for the current pair; "
        f"the column of step t={timestep} is outlined.",
    )
    show_chart(
        probe_accuracy_figure(probe.accuracy_by_timestep),
        key="insight_probe_accuracy",
        alt="Probe accuracy at each timestep over all 16,384 training pairs.",
    )
    show_chart(
        probe_units_figure(probe.unit_importance, probe.top_carry_units),
        key="insight_probe_units",
        alt="How strongly each hidden unit moves the carry probe.",
    )
    st.caption(words_caption("probe weight × spread"))
    with st.expander("The probe as tables (for screen readers)"):
        show_table(probe_pair_table(trace, probe), key="insight_probe_pair_table")
        show_table(probe_accuracy_table(probe), key="insight_probe_accuracy_table")
        show_table(probe_units_table(probe), key="insight_probe_units_table")


def _every_unit_ui(weights: RNNWeights) -> None:
    """Like with like: every unit alone, zeroed and held at its mean (on request: 32 runs over all pairs)."""
    if not st.toggle("Compare every unit alone: zeroed, and held at its mean", key="ablation_every_unit"):
        return
    rows = every_unit_ablated(weights)
    carry_units = carry_probe(weights).top_carry_units
    st.caption(every_unit_sentence(rows, carry_units))
    show_table(unit_ablation_table(rows, carry_units), key="insight_every_unit_table")


def _ablation_view(weights: RNNWeights, trace: AdditionTrace, ablation: Ablation | None) -> None:
    look_for(
        "zero units and see where the wrong bits fall: how often a bit goes wrong where a carry comes in, and "
        "where none does. Errors in both say the zeroed units matter for more than the carry. Zeroing cuts a unit "
        "off; holding it at its mean keeps its average push and removes only its variation."
    )
    if ablation is None:
        st.info("Nothing is ablated yet. Pick units to zero or clamp in the ablation controls.")
        _every_unit_ui(weights)
        return
    intact = trace_addition(weights, trace.a, trace.b, trace.timesteps)
    columns = st.columns(3)
    for column, bits, label in zip(columns[:2], (7, 8), ("16,384 training pairs", "65,536 8-bit pairs"), strict=True):
        before = exact_accuracy(weights, bits)
        after = exact_accuracy(weights, bits, ablation)
        column.metric(f"Exact, {label}", f"{after:.2%}", delta=f"{after - before:+.2%}")
    flipped = np.flatnonzero(intact.predicted_bits != trace.predicted_bits)
    columns[2].metric("Bits flipped in this pair", int(flipped.size))
    st.caption(f"Ablation: {describe_ablation(ablation)}. {error_locations(weights, ablation).sentence()}")
    show_chart(
        ablation_bits_figure(trace.sum_bits, intact.predicted_bits, trace.predicted_bits),
        key="insight_ablation_bits",
        alt="The true sum bits, the intact network's bits and the ablated network's bits for this pair.",
    )
    with st.expander("The bits as a table (for screen readers)"):
        show_table(ablation_bits_table(intact, trace), key="insight_ablation_table")
    _every_unit_ui(weights)


def _load_pair(a_value: int, b_value: int) -> None:
    """Button callback: the pair goes into the main view's number boxes, and is returned on the next run."""
    set_pair(a_value, b_value)
    st.session_state[INSIGHT_LOADED_PAIR] = (a_value, b_value)


def _pick_wrong_pair() -> None:
    choice = st.session_state.get(CORRECTNESS_WRONG_PAIR)
    if choice:
        st.session_state[CORRECTNESS_A], st.session_state[CORRECTNESS_B] = choice


def _correctness_view(weights: RNNWeights, trace: AdditionTrace, ablation: Ablation | None) -> None:
    bits = st.radio(
        "Pairs",
        (7, 8),
        key="correctness_bits",
        horizontal=True,
        format_func=lambda value: f"a, b < {2**value} ({4**value:,} pairs)",
    )
    look_for(
        "a perfect network is one flat colour. Errors of an ablated or half-trained network form stripes and "
        "blocks at powers of two: the columns where it mishandles a carry."
    )
    grid = correctness_grid(weights, bits, ablation)
    side = grid.shape[0]
    timesteps = timesteps_for_operand_bits(bits)
    wrong_a, wrong_b = np.nonzero(grid)
    columns = st.columns(2)
    columns[0].metric("Exact", f"{exact_share(grid):.2%}")
    columns[1].metric("Pairs with a wrong bit", f"{wrong_a.size:,}")
    show_chart(
        correctness_map_figure(grid, timesteps, (trace.a, trace.b)),
        key="insight_correctness_map",
        alt="Grid of all pairs a (rows) and b (columns) coloured by how many output bits are wrong.",
    )
    for key, value in ((CORRECTNESS_A, trace.a), (CORRECTNESS_B, trace.b)):
        if key not in st.session_state or not 0 <= st.session_state[key] < side:
            st.session_state[key] = int(min(value, side - 1))
    if wrong_a.size:
        offered = [(int(a_value), int(b_value)) for a_value, b_value in zip(wrong_a, wrong_b, strict=True)]
        st.selectbox(
            f"Or pick a wrong pair (the first {min(len(offered), WRONG_PAIRS_OFFERED)} of {len(offered):,})",
            offered[:WRONG_PAIRS_OFFERED],
            index=None,
            key=CORRECTNESS_WRONG_PAIR,
            format_func=lambda pair: f"{pair[0]} + {pair[1]} ({grid[pair]} wrong bits)",
            on_change=_pick_wrong_pair,
        )
    column_a, column_b, column_button = st.columns([3, 3, 4], vertical_alignment="bottom")
    a_value = column_a.number_input("a", 0, side - 1, step=1, key=CORRECTNESS_A)
    b_value = column_b.number_input("b", 0, side - 1, step=1, key=CORRECTNESS_B)
    column_button.button(
        "Load this pair into the main view",
        key="correctness_load",
        on_click=_load_pair,
        args=(int(a_value), int(b_value)),
    )
    with st.expander("The wrong pairs as a table (for screen readers)"):
        if wrong_a.size:
            show_table(wrong_pairs_table(grid), key="insight_correctness_table")
        else:
            st.write(f"Every one of the {grid.size:,} pairs is added exactly.")


def _length_view(weights: RNNWeights, trace: AdditionTrace, ablation: Ablation | None) -> None:
    rows = accuracy_by_length(weights, DEFAULT_LENGTHS, ablation=ablation)
    chosen = breaking_sum(weights, known_verdict(weights))
    fails = chosen is not None and chosen.own
    look_for(
        "the line stays at 100% far past the dashed 8-bit training length: on random pairs the network repeats "
        "its rule over many more columns than it trained on."
        + (
            f" Yet the verifier found a sum it gets wrong at {chosen.columns} columns (the {WRONG.name} line): "
            "random long sums rarely hit it, because it needs a long run of one column pattern."
            if fails
            else f" Samples cannot cover every sum; “{PROOF_VIEW}” can."
        )
    )
    show_chart(
        length_accuracy_figure(
            [row.sum_bits for row in rows],
            [row.exact_accuracy for row in rows],
            failure_columns=chosen.columns if fails else None,
            failure_label=f"wrong: {chosen.a} + {chosen.b} ({chosen.columns} columns)" if fails else "",
        ),
        key="insight_length_chart",
        alt="Exact accuracy on random pairs against the number of bits in the sum, from 8 to 64"
        + (f", with the verifier's failing sum marked at {chosen.columns} columns." if fails else "."),
    )
    lowest, highest = (f(row.exact_accuracy for row in rows) for f in (min, max))
    sampled = f"{lowest:.0%}" if f"{lowest:.0%}" == f"{highest:.0%}" else f"{lowest:.0%}–{highest:.0%}"
    st.caption(
        f"Sampled: {sampled} exact on {rows[0].pairs} random pairs per length, each checked against Python's + "
        f"(random pairs almost never hold a long run of one column pattern). {verdict_sentence(weights)} This pair "
        f"ran for {trace.timesteps} steps."
    )
    if fails:
        st.button(
            f"Load {chosen.a} + {chosen.b} over {chosen.columns} columns into the boxes",
            key="length_load_counterexample",
            on_click=load_counterexample,
            args=(chosen.a, chosen.b, chosen.columns),
        )
    with st.expander("The numbers as a table (for screen readers)"):
        show_table(length_table(rows), key="insight_length_table")


def _logit_view(weights: RNNWeights, trace: AdditionTrace, timestep: int, ablation: Ablation | None) -> None:
    splits = [logit_split(weights, trace, step, ablation) for step in range(trace.timesteps)]
    split = splits[timestep]
    look_for(
        "where a carry comes in, compare the {CARRIED_CONTRIBUTION.name} 'carried-in state' bar with the "
        f"{INPUT_CONTRIBUTION.name} bits' bar. Over every such column of the 16,384 pairs, the bits' part alone "
        f"(with the baseline) gives the wrong bit and adding the carried-in part gives the right one in "
        f"{carried_part_turns_the_bit(weights):.1%} of them; in the rest the bits' part already gives the right "
        "bit (measured on the intact network)."
    )
    # One axis for every timestep of this pair, so stepping through time does not rescale the picture.
    value_range = max(
        max(abs(s.baseline), abs(s.baseline + s.from_input), abs(s.logit), abs(s.baseline + s.from_carried_state))
        for s in splits
    )
    unit_range = max(
        float(np.abs(np.concatenate([s.unit_from_input, s.unit_from_carried_state, s.unit_from_ablation])).max())
        for s in splits
    )
    show_chart(
        logit_split_figure(
            split.baseline, split.from_input, split.from_carried_state, split.from_ablation, value_range
        ),
        key="insight_logit_split",
        alt="Bars from the baseline logit, adding the current bits and then the carried-in state, to the output logit.",
    )
    st.caption(
        f"{split_sentences(split)} P(bit = 1) = {split.probability:.3f}. The split is "
        "the Shapley value of the two parts of each unit's input (current bits xₜ·Wₓ, carried state "
        "hₜ₋₁·Wₕ), measured from zero, so the parts add up exactly to the logit."
    )
    st.caption(words_caption("logit", "Shapley value"))
    show_chart(
        logit_units_figure(split.unit_from_input, split.unit_from_carried_state, split.unit_from_ablation, unit_range),
        key="insight_logit_units",
        alt="Each hidden unit's contribution to the logit from the current bits and from the carried-in state.",
    )
    with st.expander("The split as a table (for screen readers)"):
        show_table(logit_split_table(splits), key="insight_logit_table")


def insight_ui(
    weights: RNNWeights, trace: AdditionTrace, timestep: int, ablation: Ablation | None = None
) -> tuple[int, int] | None:
    """The "What did it learn?" views for ``weights``; ``trace`` is the current pair, run with ``ablation``.

    One view is drawn per run (a segmented control with key ``insight_view`` picks it). Returns ``(a, b)`` on
    the run after "Load this pair into the main view" was pressed, else ``None``.
    """
    loaded = st.session_state.pop(INSIGHT_LOADED_PAIR, None)
    ensure_default(INSIGHT_VIEW, VIEWS[0])  # no default=: the tour and a link set this key
    view = st.segmented_control("What did it learn?", VIEWS, key=INSIGHT_VIEW, required=True, persist_state="session")
    view = view or VIEWS[0]
    clipped = int(np.clip(timestep, 0, trace.timesteps - 1))
    if view == "Carry probe":
        _probe_view(weights, trace, clipped, ablation)
    elif view == "State space":
        state_space_view(weights, trace, clipped)
    elif view == "Extracted machine":
        machine_view(weights, trace, clipped, ablation)
    elif view == "Ablation":
        _ablation_view(weights, trace, ablation)
    elif view == "Correctness map":
        _correctness_view(weights, trace, ablation)
    elif view == "Any length":
        _length_view(weights, trace, ablation)
    elif view == PROOF_VIEW:
        proof_view(weights, trace, ablation)
    elif view == INTERCHANGE_VIEW:
        interchange_view(weights, trace, ablation)
    else:
        _logit_view(weights, trace, clipped, ablation)
    return loaded
