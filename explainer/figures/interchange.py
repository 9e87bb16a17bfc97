"""The interchange interventions' figure: IIA by column for each alignment, the random floor as a band.

A pure function of plain numbers (the table is :func:`explainer.analysis.interchange.interchange_table`); the
screen-reader table is :func:`explainer.figures.tables.iia_by_column_table`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explainer.figures.style import ACCURACY, CARRY, INK, LAYOUT, NEUTRAL, as_vector

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
