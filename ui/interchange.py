""" "Transplant the carry": the interchange interventions' table and IIA by column, for the network on the page.

The computing is :func:`explainer.analysis.alignment_search.interchange_table` (cached per network, shared by every
session); the figure is :mod:`explainer.figures.interchange`, the tables :mod:`explainer.figures.tables`.
"""

from __future__ import annotations

import streamlit as st

from explainer import AdditionTrace, RNNWeights
from explainer.analysis import Ablation, describe_ablation
from explainer.analysis.alignment_search import (
    CARRY_UNITS,
    LEARNED_DIRECTION,
    PROBE_DIRECTION,
    WHOLE_STATE,
    InterchangeTable,
    alignment_label,
    alignment_sentence,
    illusion_sentence,
    interchange_table,
)
from explainer.analysis.interchange import transplant_pair
from explainer.figures.interchange import iia_by_column_figure, transplant_heatmaps_figure
from explainer.figures.tables import iia_by_column_table, iia_table, pair_transplant_table, transplant_states_table
from ui.charts import show_chart, show_table

VIEW_NAME = "Transplant the carry"
# The rows drawn as lines and given a sentence; every unit's row is in the table.
_NAMED = (WHOLE_STATE, CARRY_UNITS, PROBE_DIRECTION, LEARNED_DIRECTION)


def interchange_view(weights: RNNWeights, trace: AdditionTrace, ablation: Ablation | None = None) -> None:
    """The IIA table and IIA by column for ``weights``, each row with the sentence its numbers license.

    The transplants run on the intact network: with an ``ablation`` on the page, a caption says so.
    """
    st.caption(
        "**What to look for:** a probe *reads* the carry from the state; a transplant tests whether the network "
        "*uses* it. Take h_t from another sum (the source), put part of it into this run at column t, and see "
        "whether every later bit is the one written addition gives with the source's carry. A row near 100% "
        "where the carries differ holds the carry the network uses; the grey band is what random directions reach."
    )
    with st.spinner("Transplanting states…"):
        table = interchange_table(weights)
    if ablation is not None:
        st.caption(
            f"These transplants run on the intact network; the ablation ({describe_ablation(ablation)}) is not applied."
        )
    st.caption(f"Population: {table.population}. Base and source carries differ in {table.share_carries_differ:.1%}.")
    present = [name for name in _NAMED if any(row.name == name for row in table.rows)]
    for name in present:
        st.write(alignment_sentence(table.row(name), table))
    st.write(illusion_sentence(table))
    lines = [(name, table.row(name).iia_by_column) for name in present]
    low = [min(row.iia_by_column[t] for row in table.random) for t in range(len(table.random_by_column))]
    high = [max(row.iia_by_column[t] for row in table.random) for t in range(len(table.random_by_column))]
    show_chart(
        iia_by_column_figure(lines, low, table.random_by_column, high),
        key="insight_interchange_chart",
        alt=(
            "Interchange intervention accuracy by the column the state was transplanted at, one line for each of "
            + ", ".join(alignment_label(table.row(name), table) for name in present)
            + ", over a grey band for random directions."
        ),
    )
    show_table(iia_table(table), key="insight_interchange_table")
    with st.expander("IIA by column as a table (for screen readers)"):
        show_table(iia_by_column_table(lines, table.random_by_column), key="insight_interchange_columns")
    _pair_transplant_ui(weights, trace, table)


def _pair_transplant_ui(weights: RNNWeights, trace: AdditionTrace, table: InterchangeTable) -> None:
    """Transplant the carry into this pair at one column, from the pair that carries the other way there."""
    st.subheader("Transplant the carry into this pair")
    present = [name for name in _NAMED if any(row.name == name for row in table.rows)]
    labels = {alignment_label(table.row(name), table): name for name in present}
    left, right = st.columns(2)
    with left:
        column = st.select_slider(
            "Column t to transplant at", options=list(range(trace.timesteps - 1)), key="interchange_column"
        )
    with right:
        chosen = st.selectbox("What to transplant", list(labels), key="interchange_alignment")
    row = table.row(labels[chosen])
    result = transplant_pair(weights, trace.a, trace.b, int(column), row.basis)
    verdict = "followed" if result.moved else "did not all follow"
    st.write(
        f"Source: {result.source_a} + {result.source_b}, the same columns except column {column}, so it carries "
        f"{result.source_carry} out of column {column} where {trace.a} + {trace.b} carries {result.base_carry}. "
        f"After transplanting {chosen} at column {column} from the source, the later bits {verdict} written "
        "addition with the source's carry."
    )
    show_table(pair_transplant_table(result), key="insight_interchange_pair")
    show_chart(
        transplant_heatmaps_figure(result.plain_hidden, result.patched_hidden, result.column),
        key="insight_interchange_heatmaps",
        alt=(
            f"Heatmaps of the {trace.hidden_units} hidden units over {trace.timesteps} columns for {trace.a} + "
            f"{trace.b}: before the transplant, after it at column {column}, and their difference, which is zero "
            f"before column {column}."
        ),
    )
    with st.expander("The hidden units before and after, as a table (for screen readers)"):
        show_table(transplant_states_table(result), key="insight_interchange_states")
