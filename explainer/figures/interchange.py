"""The interchange interventions' figures: IIA by column for each alignment (the random floor as a band), and one
pair's hidden states before and after a transplant with their difference.

A pure function of plain numbers (the table is :func:`explainer.analysis.alignment_search.interchange_table`); the
screen-reader table is :func:`explainer.figures.tables.iia_by_column_table`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.figures.style import (
    ACCURACY,
    ACTIVATION_SCALE,
    CARRY,
    HIGHLIGHT,
    INK,
    LAYOUT,
    NEUTRAL,
    WEIGHT_SCALE,
    as_vector,
    subplot_layout,
    time_axis,
)

# Line styles by alignment: the carry's colour for what the probe names, ink for the whole state.
_STYLES = {
    "whole state": {"color": INK, "dash": "solid"},
    "carry units together": {"color": CARRY.hex, "dash": "solid"},
    "probe's direction": {"color": CARRY.hex, "dash": "dot"},
    "learned direction": {"color": ACCURACY.hex, "dash": "solid"},
}


def iia_by_column_figure(
    lines: Sequence[tuple[str, Sequence[float]]],
    random_low: Sequence[float],
    random_mean: Sequence[float],
    random_high: Sequence[float],
) -> go.Figure:
    """IIA (0–1) against the column t the state was transplanted at, one line per ``(name, iia_by_column)``.

    The random directions' lowest-to-highest IIA at each column is a grey band with their mean as a dashed line.
    """
    mean = as_vector(random_mean, "random_mean")
    low, high = as_vector(random_low, "random_low"), as_vector(random_high, "random_high")
    if not (low.shape == mean.shape == high.shape):
        raise ValueError("random_low, random_mean and random_high must have one value per column.")
    columns = np.arange(mean.size)
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=np.concatenate([columns, columns[::-1]]),
            y=np.concatenate([high, low[::-1]]),
            fill="toself",
            fillcolor="rgba(153,153,153,0.25)",
            line={"width": 0},
            name="random directions (lowest–highest)",
            hoverinfo="skip",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=columns,
            y=mean,
            mode="lines",
            line={"color": NEUTRAL.hex, "dash": "dash"},
            name="random directions (mean)",
            hovertemplate="t = %{x}: %{y:.1%}<extra>random (mean)</extra>",
        )
    )
    for name, values in lines:
        values = as_vector(values, name)
        if values.shape != mean.shape:
            raise ValueError(f"{name!r} has {values.size} columns; expected {mean.size}.")
        style = _STYLES.get(name, {"color": NEUTRAL.hex, "dash": "solid"})
        figure.add_trace(
            go.Scatter(
                x=columns,
                y=values,
                mode="lines+markers",
                line=style,
                marker={"color": style["color"], "size": 7},
                name=name,
                hovertemplate=f"t = %{{x}}: %{{y:.1%}}<extra>{name}</extra>",
            )
        )
    figure.update_layout(**LAYOUT, title="Interchange intervention accuracy by column transplanted at", height=380)
    figure.update_xaxes(tickvals=columns, title="column t whose state was transplanted")
    figure.update_yaxes(range=[0, 1.05], tickformat=".0%", title="IIA (every later bit as predicted)")
    return figure


def transplant_heatmaps_figure(plain_hidden: np.ndarray, patched_hidden: np.ndarray, column: int) -> go.Figure:
    """Hidden units × timesteps before and after a transplant at ``column``, and their difference.

    ``plain_hidden`` and ``patched_hidden`` are (T, H) activations in [0, 1] (fixed Cividis range); the difference
    uses the diverging scale centred on zero, its range fixed at ±1. Timesteps run right to left, as on paper.
    """
    plain = as_vector(plain_hidden, "plain_hidden", 2)
    patched = as_vector(patched_hidden, "patched_hidden", 2)
    if plain.shape != patched.shape:
        raise ValueError(f"the two runs must have the same shape; got {plain.shape} and {patched.shape}.")
    timesteps, units = plain.shape
    if not 0 <= column < timesteps:
        raise ValueError(f"column must be 0–{timesteps - 1}; got {column}.")
    spec = copy.deepcopy(_heatmaps_frame(timesteps, units, column))
    for trace, values in zip(spec["data"], (plain, patched, patched - plain), strict=True):
        trace["z"] = values.T  # (H, T): a row per unit
    # Everything but the values came out of a figure Plotly validated (_heatmaps_frame), and the values are float
    # arrays of the frame's shape: skipping Plotly's validation, most of what building the figure cost, keeps a
    # transplant click cheap for the server (bench/bench_clicks.py --transplant).
    return go.Figure(spec, _validate=False)


@functools.lru_cache(maxsize=64)
def _heatmaps_frame(timesteps: int, units: int, column: int) -> dict:
    """The three heatmaps' figure for a (T, H) run transplanted at ``column``, with zeros for values, as Plotly's
    JSON-ready dict (copy it before changing it)."""
    titles = ("this pair's run", f"after the transplant at t = {column}", "difference (after − before)")
    figure = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.08, subplot_titles=titles)
    panels = (
        (ACTIVATION_SCALE, 0.0, 1.0, 0.84),
        (ACTIVATION_SCALE, 0.0, 1.0, None),
        (WEIGHT_SCALE, -1.0, 1.0, 0.16),
    )
    for row, (scale, low, high, bar_y) in enumerate(panels, start=1):
        figure.add_trace(
            go.Heatmap(
                z=np.zeros((units, timesteps)),
                x=np.arange(timesteps),
                y=np.arange(units),
                colorscale=scale,
                zmin=low,
                zmax=high,
                showscale=bar_y is not None,
                colorbar={"len": 0.3, "y": bar_y} if bar_y is not None else None,
                hovertemplate="t = %{x}, unit %{y}: %{z:.3f}<extra></extra>",
            ),
            row=row,
            col=1,
        )
        figure.add_vline(x=column, line={"color": HIGHLIGHT.hex, "width": 2}, row=row, col=1)
        figure.update_yaxes(title="unit", row=row, col=1, autorange="reversed")
    figure.update_layout(**subplot_layout(620))
    time_axis(figure, timesteps)
    return figure.to_plotly_json()
