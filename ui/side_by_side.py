"""The shipped network and another one on the same pair, next to each other."""

from __future__ import annotations

import streamlit as st

from explainer import RNNWeights, trace_addition
from explainer.figures.tables import trace_table
from explainer.figures.unfolded_drawing import unfolded_drawing
from ui.charts import show_drawing
from ui.model_source import accuracy_over_all_pairs
from ui.session_networks import SOURCE_SHIPPED


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
            st.markdown(trace.verdict(f"**{label}**"))
            st.caption(
                f"H = {weights.hidden_units} · exact on {accuracy_over_all_pairs(weights):.1%} of all 16,384 pairs"
            )
            alt = f"{label}: column addition with its hidden-state heatmap and output probability under each column."
            drawing = unfolded_drawing(trace, compact=True, label=alt, selectable=False)  # no step to choose here
            show_drawing(drawing.body, key=f"side_by_side_{key}_chart", marks=drawing.chosen_column(None))
            with st.expander("As a table (for screen readers)"):
                st.dataframe(trace_table(trace), hide_index=True, key=f"side_by_side_{key}_table")
