"""Every chart and table on the page is shown the same way: no Plotly toolbar, a key for tests, a text
alternative for each chart, no index column in tables; and the server-drawn SVG figures through one component."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

# The toolbar's zoom and pan only get in the way of figures whose ranges are fixed on purpose.
CHART_CONFIG = {"displayModeBar": False}

# Puts an SVG drawing (explainer.figures.unfolded_drawing, step_drawing) into the page as it is.
# st.html would strip the SVG (its sanitiser keeps
# HTML only) and st.markdown would run 200 KB through a Markdown parser on every step. The body is replaced only
# when it changed (a new pair), so a step click swaps just the few marks of the chosen column instead of the browser
# redrawing whole charts (bench/bench_clicks.py measures the click).
_DRAWING_SCRIPT = """
export default function ({ data, parentElement }) {
  const host = parentElement.querySelector('.drawing');
  if (host.drawnBody !== data.body) {
    host.innerHTML = data.body;
    host.drawnBody = data.body;
    host.drawnMarks = undefined;
  }
  const marks = host.querySelector('g.chosen-column');
  if (marks && host.drawnMarks !== data.marks) {
    marks.innerHTML = data.marks;
    host.drawnMarks = data.marks;
    if (data.column === null) marks.removeAttribute('data-t'); else marks.setAttribute('data-t', data.column);
    // On a phone the drawing scrolls sideways in its own region: keep the chosen column in sight.
    const outline = marks.querySelector('.outline');
    if (outline) requestAnimationFrame(() => {
      let region = host.parentElement;
      while (region && !/(auto|scroll)/.test(getComputedStyle(region).overflowX)) region = region.parentElement;
      if (!region || region.scrollWidth <= region.clientWidth) return;
      const box = outline.getBoundingClientRect();
      const view = region.getBoundingClientRect();
      if (box.left < view.left || box.right > view.right) {
        region.scrollLeft += box.left - view.left - (view.width - box.width) / 2;
      }
    });
  }
}
"""
_drawing = st.components.v2.component(
    "addition_unfolded.drawing",
    html='<div class="drawing"></div>',
    css=".drawing svg { display: block; }",
    js=_DRAWING_SCRIPT,
    isolate_styles=False,  # the page's own rules (a phone's sideways scrolling) reach the drawing
)


def show_chart(figure: go.Figure, key: str, *, alt: str) -> None:
    """Draw ``figure`` with the page's chart settings; ``alt`` (required) describes it to screen readers."""
    if not alt.strip():
        raise ValueError(f"chart {key!r} needs a text alternative (alt).")
    st.plotly_chart(figure, key=key, config=CHART_CONFIG, alt=alt)


def show_drawing(body: str, key: str, *, marks: str = "", column: int | None = None) -> None:
    """Draw an SVG figure from :mod:`explainer.figures.unfolded_drawing` or :mod:`explainer.figures.step_drawing`
    (its ``aria-label`` is its text alternative). ``marks`` goes into its ``<g class="chosen-column">``, the column
    ``column``'s outline and labels."""
    with st.container(key=key):
        _drawing(key=f"{key}_drawing", data={"body": body, "marks": marks, "column": column})


def show_table(table, key: str) -> None:
    """Draw a table (a DataFrame or a dict of columns) without its index column."""
    st.dataframe(table, hide_index=True, key=key)
