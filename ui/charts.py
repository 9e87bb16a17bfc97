"""Every chart and table on the page is shown the same way: no Plotly toolbar, a key for tests, a text
alternative for each chart, no index column in tables."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

# The toolbar's zoom and pan only get in the way of figures whose ranges are fixed on purpose.
CHART_CONFIG = {"displayModeBar": False}


def show_chart(figure: go.Figure, key: str, *, alt: str) -> None:
    """Draw ``figure`` with the page's chart settings; ``alt`` (required) describes it to screen readers."""
    if not alt.strip():
        raise ValueError(f"chart {key!r} needs a text alternative (alt).")
    st.plotly_chart(figure, key=key, config=CHART_CONFIG, alt=alt)


def show_table(table, key: str) -> None:
    """Draw a table (a DataFrame or a dict of columns) without its index column."""
    st.dataframe(table, hide_index=True, key=key)
