""" "What did it learn?": the ablation controls and the analysis views, drawn with Streamlit.

The computing happens in :mod:`explainer.analysis` (cached per network, shared by every session) and the
pictures in :mod:`explainer.insight_figures`; this module only lays them out. The page calls:

- :func:`ablation_ui` (e.g. in the sidebar) → the ``hidden_override`` to pass to ``trace_addition`` and
  to :func:`insight_ui`. It reads and writes ``?ablate=3,7&clamp=5:0.9`` so an ablation can be shared.
- :func:`insight_ui` → one analysis view at a time (a segmented control picks it: tabs would compute
  every view on every rerun). Returns a pair ``(a, b)`` on the run after the reader loaded one from the
  correctness map (that pair is also already in the page's ``a_text`` / ``b_text`` boxes), else ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from explainer import AdditionTrace, RNNWeights, trace_addition
from explainer.analysis import (
    DEFAULT_LENGTHS,
    HiddenOverride,
    ablation_override,
    accuracy_by_length,
    carry_probe,
    correctness_grid,
    extract_machine,
    first_disagreement,
    format_ablation_query,
    logit_split,
    override_key,
    parse_ablation_query,
    state_space,
)
from explainer.insight_figures import (
    ablation_bits_figure,
    carry_rows_figure,
    correctness_map_figure,
    length_accuracy_figure,
    logit_split_figure,
    logit_units_figure,
    machine_diagram_figure,
    probe_accuracy_figure,
    probe_units_figure,
    state_space_figure,
)
from ui.addition import set_pair

VIEWS = (
    "Carry probe",
    "State space",
    "Extracted machine",
    "Ablation",
    "Correctness map",
    "Any length",
    "Logit split",
)
CHART_CONFIG = {"displayModeBar": False}
# The list of wrong pairs offered for loading; the full list is in the table below the map.
WRONG_PAIRS_OFFERED = 200

# --------------------------------------------------------------------------------------------------
# Ablation controls.
# --------------------------------------------------------------------------------------------------


def _clamp_key(unit: int) -> str:
    return f"ablate_clamp_{unit}"


def _restore_ablation_from_url(hidden_units: int) -> str | None:
    """Once per session, fill the ablation widgets from the URL. Returns a notice if the URL was junk."""
    if st.session_state.get("ablation_url_restored"):
        return None
    st.session_state["ablation_url_restored"] = True
    notice = None
    try:
        zeroed, clamped = parse_ablation_query(
            st.query_params.get("ablate", ""), st.query_params.get("clamp", ""), hidden_units
        )
    except ValueError as error:
        notice = f"The link's ablation could not be used ({error}) so no units are ablated."
        zeroed, clamped = frozenset(), {}
    st.session_state["ablate_zeroed"] = sorted(zeroed)
    st.session_state["ablate_clamped"] = sorted(clamped)
    for unit, value in clamped.items():
        st.session_state[_clamp_key(unit)] = float(value)
    return notice


def _clear_ablation() -> None:
    st.session_state["ablate_zeroed"] = []
    st.session_state["ablate_clamped"] = []


def _zero_units(units: tuple[int, ...]) -> None:
    st.session_state["ablate_zeroed"] = sorted(units)
    st.session_state["ablate_clamped"] = [
        unit for unit in st.session_state.get("ablate_clamped", []) if unit not in units
    ]


def ablation_ui(hidden_units: int, carry_units: Sequence[int] = ()) -> HiddenOverride | None:
    """Pick hidden units to zero or clamp; returns ``(mask, values)`` for ``hidden_override``, or ``None``.

    ``carry_units`` (e.g. ``carry_probe(weights).top_carry_units``) adds a one-click "zero the carry units".
    The choice is mirrored in the URL (``ablate=3,7``, ``clamp=5:0.9``); a URL that does not parse falls
    back to no ablation with a warning.
    """
    notice = _restore_ablation_from_url(hidden_units)
    if notice:
        st.warning(notice, icon="⚠️")
    # A different network may have fewer units than the ones chosen before: drop those that no longer exist.
    for key in ("ablate_zeroed", "ablate_clamped"):
        st.session_state[key] = [unit for unit in st.session_state.get(key, []) if 0 <= unit < hidden_units]
    units = list(range(hidden_units))
    zeroed = st.multiselect(
        "Units to zero",
        units,
        key="ablate_zeroed",
        format_func=lambda unit: f"unit {unit}",
        help="These units output 0 at every step, whatever they would have computed.",
    )
    clamp_units = st.multiselect(
        "Units to clamp",
        units,
        key="ablate_clamped",
        format_func=lambda unit: f"unit {unit}",
        help="These units are held at a fixed value of your choice at every step.",
    )
    clamped = {}
    for unit in clamp_units:
        if unit in zeroed:
            st.caption(f"Unit {unit} is zeroed, so its clamp is ignored.")
            continue
        st.session_state.setdefault(_clamp_key(unit), 0.5)
        clamped[unit] = st.slider(f"Unit {unit} held at", 0.0, 1.0, step=0.001, format="%.3f", key=_clamp_key(unit))
    # Stacked, not side by side: the sidebar is too narrow for two labelled buttons in a row.
    if carry_units:
        st.button(
            f"Zero the carry units ({', '.join(str(unit) for unit in carry_units)})",
            key="ablate_carry_units",
            on_click=_zero_units,
            args=(tuple(int(unit) for unit in carry_units),),
            help="The units the carry probe leans on most.",
            width="stretch",
        )
    st.button(
        "Clear the ablation",
        key="ablate_clear",
        on_click=_clear_ablation,
        disabled=not (zeroed or clamp_units),
        width="stretch",
    )

    wanted = format_ablation_query(set(zeroed), clamped)
    for name in ("ablate", "clamp"):
        if name in wanted and st.query_params.get(name) != wanted[name]:
            st.query_params[name] = wanted[name]
        elif name not in wanted and name in st.query_params:
            del st.query_params[name]
    return ablation_override(hidden_units, set(zeroed), clamped)


def describe_ablation(hidden_override: HiddenOverride | None) -> str:
    """'units 3, 7 zeroed; unit 5 held at 0.9' — for captions."""
    key = override_key(hidden_override)
    if key is None:
        return "no ablation"
    zeroed = [str(unit) for unit, value in key if value == 0.0]
    held = [f"unit {unit} held at {value:g}" for unit, value in key if value != 0.0]
    parts = [f"unit{'s' if len(zeroed) > 1 else ''} {', '.join(zeroed)} zeroed"] if zeroed else []
    return "; ".join(parts + held)


# --------------------------------------------------------------------------------------------------
# The views.
# --------------------------------------------------------------------------------------------------


def _look_for(text: str) -> None:
    st.caption(f"**What to look for:** {text}")


def _probe_view(weights: RNNWeights, trace: AdditionTrace, hidden_override: HiddenOverride | None) -> None:
    probe = carry_probe(weights)
    _look_for(
        "one straight cut through the 16 hidden numbers separates 'carry' from 'no carry' at every step. If "
        "every bar reaches 100%, the network keeps an explicit carry, and the orange units are where it lives."
    )
    decoded = probe.decode(trace.hidden)
    columns = st.columns(3)
    columns[0].metric("Probe accuracy, all steps", f"{probe.accuracy:.2%}")
    columns[1].metric("Carry units", ", ".join(str(unit) for unit in probe.top_carry_units))
    disagreement = first_disagreement(decoded, trace.carry_out)
    columns[2].metric("This pair", "agrees" if disagreement is None else f"differs at t={disagreement}")
    if hidden_override is not None:
        st.caption(
            "The probe is fitted on the intact network; here it reads the ablated run "
            f"({describe_ablation(hidden_override)})."
        )
    st.plotly_chart(
        carry_rows_figure(trace.carry_out, decoded, probe.score(trace.hidden)),
        key="insight_probe_rows",
        config=CHART_CONFIG,
        alt="The true carry out of each column and the probe's reading of it, for the current pair.",
    )
    st.plotly_chart(
        probe_accuracy_figure(probe.accuracy_by_timestep),
        key="insight_probe_accuracy",
        config=CHART_CONFIG,
        alt="Probe accuracy at each timestep over all 16,384 training pairs.",
    )
    st.plotly_chart(
        probe_units_figure(probe.unit_importance, probe.top_carry_units),
        key="insight_probe_units",
        config=CHART_CONFIG,
        alt="How strongly each hidden unit moves the carry probe.",
    )
    with st.expander("The probe as tables (for screen readers)"):
        st.dataframe(
            pd.DataFrame(
                {
                    "timestep": range(trace.timesteps),
                    "true carry out": trace.carry_out,
                    "probe's carry": decoded,
                    "probe score": np.round(probe.score(trace.hidden), 3),
                }
            ),
            hide_index=True,
            key="insight_probe_pair_table",
        )
        st.dataframe(
            pd.DataFrame({"timestep": range(probe.accuracy_by_timestep.size), "accuracy": probe.accuracy_by_timestep}),
            hide_index=True,
            key="insight_probe_accuracy_table",
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "unit": range(weights.hidden_units),
                    "probe weight": np.round(probe.coefficients, 3),
                    "importance": np.round(probe.unit_importance, 3),
                    "carry unit": [unit in probe.top_carry_units for unit in range(weights.hidden_units)],
                }
            ),
            hide_index=True,
            key="insight_probe_units_table",
        )


def _state_space_view(weights: RNNWeights, trace: AdditionTrace) -> None:
    space = state_space(weights)
    colour_by = st.radio("Colour by", ("carry", "column sum"), key="insight_state_colour", horizontal=True)
    _look_for(
        "the states fall into separate islands, and the carry colour never mixes within one: the network's "
        "memory is a switch. The arrows are this addition, one per column, labelled with its bits a+b."
    )
    colours = space.point_carry if colour_by == "carry" else space.point_column_sum
    path = space.path(trace.hidden)
    labels = [f"{a_bit}+{b_bit}" for a_bit, b_bit in trace.input_bits]
    st.plotly_chart(
        state_space_figure(space.points, colours, colour_by, path, labels, space.explained_variance_ratio),
        key="insight_state_space",
        config=CHART_CONFIG,
        alt="Every hidden state projected to two dimensions, coloured by carry, with this addition's path.",
    )
    with st.expander("This addition's path as a table (for screen readers)"):
        st.dataframe(
            pd.DataFrame(
                {
                    "timestep": range(trace.timesteps),
                    "a bit": trace.input_bits[:, 0],
                    "b bit": trace.input_bits[:, 1],
                    "true carry out": trace.carry_out,
                    "PC1": np.round(path[1:, 0], 3),
                    "PC2": np.round(path[1:, 1], 3),
                }
            ),
            hide_index=True,
            key="insight_state_space_table",
        )


def _machine_view(weights: RNNWeights, hidden_override: HiddenOverride | None) -> None:
    machine = extract_machine(weights, hidden_override)
    _look_for(
        "after minimising, the network's states boil down to a machine you can read. If it has two states and "
        "matches written addition edge for edge, the network has learned the carry rule itself."
    )
    columns = st.columns(4)
    columns[0].metric("Clusters", machine.cluster_count)
    columns[1].metric("States after minimising", machine.minimal.state_count)
    columns[2].metric("Fidelity, 16,384 pairs", f"{machine.fidelity_7bit:.2%}")
    columns[3].metric("Fidelity, 65,536 8-bit pairs", f"{machine.fidelity_8bit:.2%}")
    (st.success if machine.equivalent_to_carry_machine else st.info)(machine.comparison)
    if hidden_override is not None:
        st.caption(f"Extracted from the ablated network ({describe_ablation(hidden_override)}).")
    if machine.minimal.state_count <= 12:
        st.plotly_chart(
            machine_diagram_figure(
                machine.minimal.state_names, machine.minimal.next_state, machine.minimal.output, machine.minimal.start
            ),
            key="insight_machine_diagram",
            config=CHART_CONFIG,
            alt="State diagram of the extracted machine; each edge says input bits a b and the bit written.",
        )
    else:
        st.caption(f"{machine.minimal.state_count} states are too many to draw legibly; the table has them all.")
    st.caption(
        f"Fidelity: the share of pairs on which the machine, run on its own, writes exactly the network's bits. "
        f"{machine.consistency:.1%} of the observed cluster-to-cluster steps agree with the table's majority."
    )
    with st.expander("The transition table, next to written addition"):
        st.dataframe(pd.DataFrame(machine.comparison_records()), hide_index=True, key="insight_machine_table")


def _ablation_view(weights: RNNWeights, trace: AdditionTrace, hidden_override: HiddenOverride | None) -> None:
    _look_for(
        "zero the carry units and the network forgets carries: bits flip exactly where a carry should arrive, "
        "and exact accuracy collapses. Zero a unit that does little and almost nothing changes."
    )
    if hidden_override is None:
        st.info("Nothing is ablated yet. Pick units to zero or clamp in the ablation controls.")
        return
    intact = trace_addition(weights, trace.a, trace.b, trace.timesteps)
    columns = st.columns(3)
    for column, bits, label in zip(columns[:2], (7, 8), ("16,384 training pairs", "65,536 8-bit pairs"), strict=True):
        before = float((correctness_grid(weights, bits) == 0).mean())
        after = float((correctness_grid(weights, bits, hidden_override) == 0).mean())
        column.metric(f"Exact, {label}", f"{after:.2%}", delta=f"{after - before:+.2%}")
    flipped = np.flatnonzero(intact.predicted_bits != trace.predicted_bits)
    columns[2].metric("Bits flipped in this pair", int(flipped.size))
    st.caption(f"Ablation: {describe_ablation(hidden_override)}.")
    st.plotly_chart(
        ablation_bits_figure(trace.sum_bits, intact.predicted_bits, trace.predicted_bits),
        key="insight_ablation_bits",
        config=CHART_CONFIG,
        alt="The true sum bits, the intact network's bits and the ablated network's bits for this pair.",
    )
    with st.expander("The bits as a table (for screen readers)"):
        st.dataframe(
            pd.DataFrame(
                {
                    "timestep": range(trace.timesteps),
                    "true sum bit": trace.sum_bits,
                    "intact bit": intact.predicted_bits,
                    "ablated bit": trace.predicted_bits,
                    "flipped": intact.predicted_bits != trace.predicted_bits,
                }
            ),
            hide_index=True,
            key="insight_ablation_table",
        )


def _load_pair(a_value: int, b_value: int) -> None:
    """Button callback: the pair goes into the main view's number boxes, and is returned on the next run."""
    set_pair(a_value, b_value)
    st.session_state["insight_loaded_pair"] = (a_value, b_value)


def _pick_wrong_pair() -> None:
    choice = st.session_state.get("correctness_wrong_pair")
    if choice:
        st.session_state["correctness_a"], st.session_state["correctness_b"] = choice


def _correctness_view(weights: RNNWeights, trace: AdditionTrace, hidden_override: HiddenOverride | None) -> None:
    bits = st.radio(
        "Pairs",
        (7, 8),
        key="correctness_bits",
        horizontal=True,
        format_func=lambda value: f"a, b < {2**value} ({4**value:,} pairs)",
    )
    _look_for(
        "a perfect network is one flat colour. Errors of an ablated or half-trained network form stripes and "
        "blocks at powers of two: the columns where it mishandles a carry."
    )
    grid = correctness_grid(weights, bits, hidden_override)
    side = grid.shape[0]
    timesteps = max(8, bits + 1)
    wrong_a, wrong_b = np.nonzero(grid)
    columns = st.columns(2)
    columns[0].metric("Exact", f"{(grid == 0).mean():.2%}")
    columns[1].metric("Pairs with a wrong bit", f"{wrong_a.size:,}")
    st.plotly_chart(
        correctness_map_figure(grid, timesteps, (trace.a, trace.b)),
        key="insight_correctness_map",
        config=CHART_CONFIG,
        alt="Grid of all pairs a (rows) and b (columns) coloured by how many output bits are wrong.",
    )
    for key, value in (("correctness_a", trace.a), ("correctness_b", trace.b)):
        if key not in st.session_state or not 0 <= st.session_state[key] < side:
            st.session_state[key] = int(min(value, side - 1))
    if wrong_a.size:
        offered = [(int(a_value), int(b_value)) for a_value, b_value in zip(wrong_a, wrong_b, strict=True)]
        st.selectbox(
            f"Or pick a wrong pair (the first {min(len(offered), WRONG_PAIRS_OFFERED)} of {len(offered):,})",
            offered[:WRONG_PAIRS_OFFERED],
            index=None,
            key="correctness_wrong_pair",
            format_func=lambda pair: f"{pair[0]} + {pair[1]} ({grid[pair]} wrong bits)",
            on_change=_pick_wrong_pair,
        )
    column_a, column_b, column_button = st.columns([3, 3, 4], vertical_alignment="bottom")
    a_value = column_a.number_input("a", 0, side - 1, step=1, key="correctness_a")
    b_value = column_b.number_input("b", 0, side - 1, step=1, key="correctness_b")
    column_button.button(
        "Load this pair into the main view",
        key="correctness_load",
        on_click=_load_pair,
        args=(int(a_value), int(b_value)),
    )
    with st.expander("The wrong pairs as a table (for screen readers)"):
        if wrong_a.size:
            st.dataframe(
                pd.DataFrame({"a": wrong_a, "b": wrong_b, "wrong bits": grid[wrong_a, wrong_b]}),
                hide_index=True,
                key="insight_correctness_table",
            )
        else:
            st.write(f"Every one of the {grid.size:,} pairs is added exactly.")


def _length_view(weights: RNNWeights, trace: AdditionTrace, hidden_override: HiddenOverride | None) -> None:
    rows = accuracy_by_length(weights, DEFAULT_LENGTHS, hidden_override=hidden_override)
    _look_for(
        "the line stays at 100% far past the dashed 8-bit training length: the network learned a rule it can "
        "repeat for any number of columns, not a lookup table of 8-bit sums."
    )
    st.plotly_chart(
        length_accuracy_figure([row.sum_bits for row in rows], [row.exact_accuracy for row in rows]),
        key="insight_length_chart",
        config=CHART_CONFIG,
        alt="Exact accuracy on random pairs against the number of bits in the sum, from 8 to 64.",
    )
    st.caption(
        f"{rows[0].pairs} random pairs per length, each checked against Python's + . This pair ran for "
        f"{trace.timesteps} steps."
    )
    with st.expander("The numbers as a table (for screen readers)"):
        st.dataframe(
            pd.DataFrame(
                {
                    "bits in the sum": [row.sum_bits for row in rows],
                    "pairs": [row.pairs for row in rows],
                    "exact accuracy": [row.exact_accuracy for row in rows],
                    "bit accuracy": [row.bit_accuracy for row in rows],
                    "first wrong pair": [str(row.first_wrong_pair or "") for row in rows],
                }
            ),
            hide_index=True,
            key="insight_length_table",
        )


def _logit_view(
    weights: RNNWeights, trace: AdditionTrace, timestep: int, hidden_override: HiddenOverride | None
) -> None:
    splits = [logit_split(weights, trace, step, hidden_override) for step in range(trace.timesteps)]
    split = splits[timestep]
    _look_for(
        "at t = 0 everything comes from the current bits (nothing has been carried yet). Later, when a carry "
        "arrives, the orange 'carried-in state' bar is what tips the bit: memory, not the bits in front of it."
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
    st.plotly_chart(
        logit_split_figure(
            split.baseline, split.from_input, split.from_carried_state, split.from_ablation, value_range
        ),
        key="insight_logit_split",
        config=CHART_CONFIG,
        alt="Bars from the baseline logit, adding the current bits and then the carried-in state, to the output logit.",
    )
    st.caption(
        f"Step t = {timestep}: logit {split.logit:+.2f} → P(bit = 1) = {split.probability:.3f}. The split is "
        "the Shapley value of the two parts of each unit's input (current bits x_t·W_x, carried state "
        "h_{t−1}·W_h), measured from zero, so the parts add up exactly to the logit."
    )
    st.plotly_chart(
        logit_units_figure(split.unit_from_input, split.unit_from_carried_state, split.unit_from_ablation, unit_range),
        key="insight_logit_units",
        config=CHART_CONFIG,
        alt="Each hidden unit's contribution to the logit from the current bits and from the carried-in state.",
    )
    with st.expander("The split as a table (for screen readers)"):
        st.dataframe(
            pd.DataFrame(
                {
                    "timestep": range(trace.timesteps),
                    "baseline": [round(s.baseline, 3) for s in splits],
                    "current bits": [round(s.from_input, 3) for s in splits],
                    "carried-in state": [round(s.from_carried_state, 3) for s in splits],
                    "ablated units": [round(s.from_ablation, 3) for s in splits],
                    "logit": [round(s.logit, 3) for s in splits],
                }
            ),
            hide_index=True,
            key="insight_logit_table",
        )


def insight_ui(
    weights: RNNWeights, trace: AdditionTrace, timestep: int, hidden_override: HiddenOverride | None = None
) -> tuple[int, int] | None:
    """The "What did it learn?" views for ``weights``; ``trace`` is the current pair, run with ``hidden_override``.

    One view is drawn per run (a segmented control with key ``insight_view`` picks it). Returns ``(a, b)`` on
    the run after "Load this pair into the main view" was pressed, else ``None``.
    """
    loaded = st.session_state.pop("insight_loaded_pair", None)
    view = st.segmented_control("What did it learn?", VIEWS, key="insight_view", default=VIEWS[0], required=True)
    view = view or VIEWS[0]
    if view == "Carry probe":
        _probe_view(weights, trace, hidden_override)
    elif view == "State space":
        _state_space_view(weights, trace)
    elif view == "Extracted machine":
        _machine_view(weights, hidden_override)
    elif view == "Ablation":
        _ablation_view(weights, trace, hidden_override)
    elif view == "Correctness map":
        _correctness_view(weights, trace, hidden_override)
    elif view == "Any length":
        _length_view(weights, trace, hidden_override)
    else:
        _logit_view(weights, trace, int(np.clip(timestep, 0, trace.timesteps - 1)), hidden_override)
    return loaded
