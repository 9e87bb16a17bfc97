"""Plotly figures for "What did it learn?" about what the network writes: ablated bits, the correctness map,
accuracy by length and the logit split.

The same conventions as :mod:`explainer.figures.insight` (the views of the inside): pure functions of plain
arrays, colours from :mod:`explainer.figures.style`, and axis ranges fixed by the data's possible extent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from explainer.figures.style import (
    ABLATED,
    ACCURACY,
    CARRIED_CONTRIBUTION,
    COUNT_SCALE,
    EMPTY_FILL,
    HIGHLIGHT,
    INK,
    INPUT_CONTRIBUTION,
    LAYOUT,
    NEUTRAL,
    WRONG,
    as_vector,
    time_axis,
)
from explainer.model.accuracy import exact_share

# --------------------------------------------------------------------------------------------------
# 4. Ablation.
# --------------------------------------------------------------------------------------------------


def ablation_bits_figure(
    true_bits: Sequence[int], intact_bits: Sequence[int], ablated_bits: Sequence[int]
) -> go.Figure:
    """Three rows over timesteps (true sum, intact network, ablated network); flipped bits ringed."""
    rows = [
        as_vector(bits, name).astype(int) for bits, name in ((true_bits, "true_bits"), (intact_bits, "intact_bits"))
    ]
    rows.append(as_vector(ablated_bits, "ablated_bits").astype(int))
    if len({row.size for row in rows}) != 1:
        raise ValueError(f"the three bit rows must have the same length; got {[row.size for row in rows]}.")
    names = ["true sum", "intact network", "ablated network"]
    figure = go.Figure(
        go.Heatmap(
            z=np.vstack(rows),
            x=np.arange(rows[0].size),
            y=names,
            zmin=0,
            zmax=1,
            colorscale=[[0, EMPTY_FILL], [1, ACCURACY.hex]],
            showscale=False,
            text=np.vstack(rows).astype(str),
            texttemplate="%{text}",
            textfont={"size": 15},
            hovertemplate="%{y}, t=%{x}: %{z}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    time_axis(figure, rows[0].size)
    for step in np.flatnonzero(rows[1] != rows[2]):
        figure.add_shape(
            type="rect", x0=step - 0.5, x1=step + 0.5, y0=1.5, y1=2.5, line={"color": WRONG.hex, "width": 3}
        )
    figure.update_layout(**LAYOUT, title="Output bits before and after ablation (ringed: flipped)", height=260)
    figure.update_yaxes(autorange="reversed")
    return figure


# --------------------------------------------------------------------------------------------------
# 5. Correctness map.
# --------------------------------------------------------------------------------------------------


def correctness_map_figure(
    wrong_bits: np.ndarray, timesteps: int, current_pair: tuple[int, int] | None = None
) -> go.Figure:
    """Every pair as a cell, coloured by wrong output bits (0 … ``timesteps``); rows a, columns b.

    ``wrong_bits`` is ``(2**bits, 2**bits)`` indexed ``[a, b]``. ``current_pair`` is ringed if it is on the grid.
    """
    grid = np.asarray(wrong_bits)
    if grid.ndim != 2 or grid.shape[0] != grid.shape[1]:
        raise ValueError(f"wrong_bits must be a square (2**bits, 2**bits) grid; got shape {grid.shape}.")
    side = grid.shape[0]
    figure = go.Figure(
        go.Heatmap(
            z=grid,
            x=np.arange(side),
            y=np.arange(side),
            zmin=0,
            zmax=timesteps,
            colorscale=COUNT_SCALE,
            colorbar={"title": "wrong bits"},
            hovertemplate="a=%{y}, b=%{x}: %{z} wrong bits<extra></extra>",
        )
    )
    if current_pair is not None and all(0 <= value < side for value in current_pair):
        a_value, b_value = current_pair
        figure.add_shape(
            type="rect",
            x0=b_value - 1.5,
            x1=b_value + 1.5,
            y0=a_value - 1.5,
            y1=a_value + 1.5,
            line={"color": HIGHLIGHT.hex, "width": 2},
        )
    exact = exact_share(grid)
    figure.update_layout(**LAYOUT, title=f"Wrong bits for all {side}×{side} pairs ({exact:.2%} exact)", height=560)
    # constrain="domain": to keep the cells square the plot narrows, rather than the b axis running past the grid.
    figure.update_xaxes(range=[-0.5, side - 0.5], title="b", constrain="domain")
    figure.update_yaxes(range=[-0.5, side - 0.5], title="a", scaleanchor="x")
    return figure


# --------------------------------------------------------------------------------------------------
# 6. Any length.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LengthWords:
    """What :func:`length_accuracy_figure` says: its title, its x axis, the line's name and its hover text."""

    title: str
    x_title: str
    line_name: str
    hover: str  # a Plotly hovertemplate: %{x} is the length, %{y} the exact share


ADDITION_LENGTH_WORDS = LengthWords(
    title="Exact accuracy on random pairs, by length of the sum",
    x_title="bits in the sum (= timesteps run)",
    line_name="random pairs",
    hover="%{x}-bit sums: %{y:.1%} exact<extra></extra>",
)


def length_accuracy_figure(
    lengths: Sequence[int],
    exact_accuracy: Sequence[float],
    trained_length: int = 8,
    max_length: int = 65,
    failure_columns: int | None = None,
    failure_label: str = "",
    words: LengthWords = ADDITION_LENGTH_WORDS,
) -> go.Figure:
    """Exact accuracy (0–1) against the length of the input, the training length marked; the x axis runs to
    ``max_length + 1``. ``words`` say what a length is: bits in the sum for addition (the default), columns for a
    rule (:func:`explainer.figures.rule_insight.rule_length_figure`).

    ``failure_columns`` marks a proved failure (the verifier's counterexample, at its column count) with a
    vertical line in the wrong-answer colour labelled ``failure_label``: random pairs rarely hit it, so the
    sampled line alone would hide it.
    """
    lengths = as_vector(lengths, "lengths")
    accuracy = as_vector(exact_accuracy, "exact_accuracy")
    if lengths.shape != accuracy.shape:
        raise ValueError(f"lengths and exact_accuracy must match; got {lengths.size} and {accuracy.size} values.")
    figure = go.Figure(
        go.Scatter(
            x=lengths,
            y=accuracy,
            mode="lines+markers",
            marker={"color": ACCURACY.hex, "size": 8},
            line={"color": ACCURACY.hex},
            name=words.line_name,
            hovertemplate=words.hover,
        )
    )
    # Labels below the accuracy line, which runs along the top, near 100%.
    figure.add_vline(
        x=trained_length,
        line={"dash": "dash", "color": NEUTRAL.hex},
        annotation_text="trained length",
        annotation_position="bottom right",
    )
    if failure_columns is not None:
        figure.add_vline(
            x=failure_columns,
            line={"color": WRONG.hex, "width": 2},
            annotation_text=failure_label or f"proved wrong at {failure_columns} columns",
            # Half-way up: at the bottom it ran into "trained length" when the two lines are close on a phone.
            annotation_position="right" if failure_columns < max_length * 0.6 else "left",
            annotation_font={"color": WRONG.hex},
        )
    figure.update_layout(
        **{**LAYOUT, "margin": {**LAYOUT["margin"], "t": 70}},
        title=words.title,
        height=360,
        showlegend=False,
    )
    figure.update_xaxes(range=[0, max_length + 1], title=words.x_title)
    figure.update_yaxes(range=[0, 1.05], tickformat=".0%", title="exact accuracy")
    return figure


# --------------------------------------------------------------------------------------------------
# 7. Logit split.
# --------------------------------------------------------------------------------------------------


def logit_split_figure(
    baseline: float,
    from_input: float,
    from_carried_state: float,
    from_ablation: float = 0.0,
    value_range: float | None = None,
) -> go.Figure:
    """Floating bars from the baseline logit to z_t: + current bits, + carried-in state (+ ablated units).

    Above 0 the network writes 1. ``value_range`` fixes the axis to ±value_range (pass the largest over all
    timesteps so the axis stays put while stepping through time).
    """
    parts = [
        ("baseline σ(0)·W_o", baseline, NEUTRAL.hex),
        ("current bits", from_input, INPUT_CONTRIBUTION.hex),
        ("carried-in state", from_carried_state, CARRIED_CONTRIBUTION.hex),
    ]
    if from_ablation:
        parts.append(("ablated units", from_ablation, ABLATED.hex))
    logit = sum(value for _, value, _ in parts)
    # Floating bars rather than go.Waterfall: a waterfall colours by sign, and here colour means source
    # (the bits in front of the network against its memory), as in the per-unit chart.
    starts = np.concatenate([[0.0], np.cumsum([value for _, value, _ in parts])[:-1]])
    figure = go.Figure(
        go.Bar(
            x=[name for name, _, _ in parts] + ["output logit z_t"],
            y=[value for _, value, _ in parts] + [logit],
            base=[*starts, 0.0],
            marker_color=[colour for _, _, colour in parts] + [INK],
            text=[f"{value:+.2f}" for _, value, _ in parts] + [f"{logit:+.2f}"],
            textposition="outside",
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    figure.add_hline(y=0, line={"color": INK, "width": 1})
    extent = value_range
    if extent is None:
        running = np.cumsum([value for _, value, _ in parts])
        extent = float(np.abs(np.append(running, logit)).max())
    extent = max(float(extent), 1.0) * 1.2
    figure.update_layout(**LAYOUT, title="Where the output comes from (above 0: writes 1)", height=380)
    figure.update_yaxes(range=[-extent, extent], title="contribution to the logit")
    return figure


def logit_units_figure(
    unit_from_input: Sequence[float],
    unit_from_carried_state: Sequence[float],
    unit_from_ablation: Sequence[float] | None = None,
    value_range: float | None = None,
) -> go.Figure:
    """Per hidden unit, its share of the logit from the current bits and from the carried-in state."""
    from_input = as_vector(unit_from_input, "unit_from_input")
    from_carried = as_vector(unit_from_carried_state, "unit_from_carried_state")
    if from_input.shape != from_carried.shape:
        raise ValueError("unit_from_input and unit_from_carried_state must have one value per unit each.")
    units = [f"h{unit}" for unit in range(from_input.size)]
    figure = go.Figure(
        [
            go.Bar(x=units, y=from_input, name="current bits", marker_color=INPUT_CONTRIBUTION.hex),
            go.Bar(x=units, y=from_carried, name="carried-in state", marker_color=CARRIED_CONTRIBUTION.hex),
        ]
    )
    stacks = [from_input, from_carried]
    if unit_from_ablation is not None and np.any(unit_from_ablation):
        from_ablation = as_vector(unit_from_ablation, "unit_from_ablation")
        figure.add_trace(go.Bar(x=units, y=from_ablation, name="ablated (fixed)", marker_color=ABLATED.hex))
        stacks.append(from_ablation)
    extent = value_range
    if extent is None:
        extent = float(np.abs(np.vstack(stacks)).max())
    extent = max(float(extent), 0.5) * 1.1
    figure.update_layout(**LAYOUT, barmode="group", title="Each unit's share of the logit", height=340)
    figure.update_yaxes(range=[-extent, extent], title="contribution")
    figure.update_xaxes(title="hidden unit")
    return figure
