"""The weights figure. A pure function: weights in, ``plotly.graph_objects.Figure`` out.

The figures of one addition, which change with every step, are drawn as SVG in
:mod:`explainer.figures.unfolded_drawing` and :mod:`explainer.figures.step_drawing`.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.figures.style import FONT, INK, WEIGHT_SCALE
from explainer.model.network import RNNWeights

CELL = 26  # px per row of cells: every panel's rows the same height, so no matrix is stretched
# Short enough for a phone's width (~350 px of plot).
PANEL_TITLES = ("W_x: input bit → unit", "W_h: unit at t−1 (row) → unit at t (column)", "W_o: unit → output")


def weights_figure(weights: RNNWeights) -> go.Figure:
    """``W_x`` (2×H), ``W_h`` (H×H) and ``W_o`` (H×1, drawn as one row) on one zero-centred diverging scale.

    The three panels are stacked and share their columns, one per hidden unit at step t: down a column is what
    comes into that unit from the bits (W_x), what comes in from every unit's previous value (W_h), and what
    it sends to the output (W_o). W_h's diagonal (each unit to itself) is outlined.
    """
    limit = float(
        max(
            np.abs(weights.input_weights).max(),
            np.abs(weights.recurrent_weights).max(),
            np.abs(weights.output_weights).max(),
        )
    )
    units = weights.hidden_units
    unit_numbers = list(range(units))
    gap_rows = 2.2  # room for a panel's title between panels, in rows
    rows = [2, units, 1]
    total = sum(rows) + 2 * gap_rows
    figure = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        row_heights=rows,
        vertical_spacing=gap_rows / total,
        subplot_titles=PANEL_TITLES,
    )
    panels = [
        (weights.input_weights, [0, 1], ["a bit", "b bit"], "from the %{y} to unit %{x}: %{z:+.3f}"),
        (weights.recurrent_weights, unit_numbers, [str(unit) for unit in unit_numbers], None),
        (weights.output_weights.T, [0], ["output"], "from unit %{x} to the output: %{z:+.3f}"),
    ]
    for row, (matrix, positions, names, hover) in enumerate(panels, start=1):
        figure.add_trace(
            go.Heatmap(
                z=matrix,
                x=unit_numbers,
                y=positions,
                coloraxis="coloraxis",
                xgap=1,
                ygap=1,
                hovertemplate=(hover or "from unit %{y} (one step earlier) to unit %{x}: %{z:+.3f}")
                + "<extra></extra>",
            ),
            row=row,
            col=1,
        )
        figure.update_yaxes(
            tickvals=positions, ticktext=names, autorange="reversed", showgrid=False, zeroline=False, row=row, col=1
        )
    # W_h's diagonal: each unit's weight onto its own next value.
    for unit in unit_numbers:
        figure.add_shape(
            type="rect",
            x0=unit - 0.5,
            x1=unit + 0.5,
            y0=unit - 0.5,
            y1=unit + 0.5,
            line={"color": INK, "width": 1.5},
            row=2,
            col=1,
        )
    figure.update_xaxes(
        tickvals=unit_numbers,
        ticktext=[str(unit) for unit in unit_numbers],
        showgrid=False,
        zeroline=False,
        showticklabels=True,
        tickfont={"size": 11},
    )
    figure.update_yaxes(title={"text": "unit at t−1", "standoff": 4}, row=2, col=1)
    figure.update_xaxes(title={"text": "hidden unit (at step t)", "standoff": 6}, row=3, col=1)
    figure.update_annotations(font={"size": 13}, xanchor="left", x=0)
    figure.update_layout(
        coloraxis={
            "colorscale": WEIGHT_SCALE,
            "cmin": -limit,
            "cmax": limit,
            "cmid": 0.0,
            # Under the panels, across: beside them it would take a third of a phone's width.
            "colorbar": {
                "title": {"text": "weight", "side": "top"},
                "orientation": "h",
                "x": 0.5,
                "y": -60 / (CELL * total),
                "yanchor": "top",
                "len": 0.8,
                "thickness": 14,
            },
        },
        height=int(CELL * total + 190),
        margin={"l": 70, "r": 20, "t": 40, "b": 130},
        font=FONT,
    )
    return figure
