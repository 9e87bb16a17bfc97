"""The weights figure. A pure function: weights in, ``plotly.graph_objects.Figure`` out.

The figures of one addition, which change with every step, are drawn as SVG in
:mod:`explainer.figures.unfolded_drawing` and :mod:`explainer.figures.step_drawing`.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.figures.style import (
    FONT,
    WEIGHT_SCALE,
)
from explainer.model.network import RNNWeights


def weights_figure(weights: RNNWeights) -> go.Figure:
    """``W_x`` (2×H), ``W_h`` (H×H) and ``W_o`` (H×1) as heatmaps on one zero-centred diverging scale."""
    limit = float(
        max(
            np.abs(weights.input_weights).max(),
            np.abs(weights.recurrent_weights).max(),
            np.abs(weights.output_weights).max(),
        )
    )
    units = weights.hidden_units
    unit_names = [f"unit {unit}" for unit in range(units)]
    figure = make_subplots(
        rows=1,
        cols=3,
        column_widths=[units, units, 2],
        horizontal_spacing=0.06,
        subplot_titles=("W_x: input bit → unit", "W_h: unit at t−1 (row) → unit at t (column)", "W_o: unit → output"),
    )
    panels = [
        (weights.input_weights, ["a bit", "b bit"], unit_names, 1),
        (weights.recurrent_weights, unit_names, unit_names, 2),
        (weights.output_weights, unit_names, ["output"], 3),
    ]
    for matrix, row_names, column_names, column in panels:
        figure.add_trace(
            go.Heatmap(
                z=matrix,
                y=row_names,
                x=column_names,
                coloraxis="coloraxis",
                xgap=1,
                ygap=1,
                hovertemplate="from %{y} to %{x}: %{z:+.3f}<extra></extra>",
            ),
            row=1,
            col=column,
        )
    figure.update_layout(
        coloraxis={
            "colorscale": WEIGHT_SCALE,
            "cmin": -limit,
            "cmax": limit,
            "cmid": 0.0,
            "colorbar": {"title": "weight"},
        },
        height=240 + 20 * units,
        margin={"l": 70, "r": 20, "t": 50, "b": 70},
        font=FONT,
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(tickangle=-60)
    return figure
