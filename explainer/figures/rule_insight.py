""" "What did it learn?" for any rule, and "Compare the rules": pure functions of plain arrays (Plotly), in the
page's one look (:mod:`explainer.figures.style`). A rule's states take :func:`~explainer.figures.style.state_colour`
in every figure, so "carry 1" is the same green in the state space, the machines and the comparison."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.figures.output import LengthWords, length_accuracy_figure
from explainer.figures.style import (
    ACCURACY,
    COUNT_SCALE,
    INK,
    LAYOUT,
    NEUTRAL,
    WRONG,
    as_vector,
    state_colour,
    subplot_layout,
)


def rule_state_space_figure(
    points: np.ndarray,
    point_class: Sequence[int],
    class_names: Sequence[str],
    explained_variance_ratio: Sequence[float],
    title: str,
) -> go.Figure:
    """Every hidden state ``points (P, 2)`` as a dot coloured by its state ``point_class (P,)`` (an index into
    ``class_names``), one legend entry per state that occurs."""
    points = as_vector(points, "points", 2)
    classes = np.asarray(point_class, dtype=int)
    if points.shape[1] != 2 or classes.shape != (points.shape[0],):
        raise ValueError(f"points must be (P, 2) and point_class (P,); got {points.shape} and {classes.shape}.")
    if classes.size and not 0 <= classes.min() <= classes.max() < len(class_names):
        raise ValueError(f"point_class must index class_names (0–{len(class_names) - 1}).")
    figure = go.Figure()
    for value, name in enumerate(class_names):
        chosen = classes == value
        if not chosen.any():
            continue
        figure.add_trace(
            go.Scattergl(
                x=points[chosen, 0],
                y=points[chosen, 1],
                mode="markers",
                name=name,
                marker={"color": state_colour(value), "size": 7, "opacity": 0.7},
                hovertemplate=f"{name}<br>direction 1: %{{x:.2f}}, direction 2: %{{y:.2f}}<extra></extra>",
            )
        )
    first, second = (float(ratio) for ratio in explained_variance_ratio[:2])
    figure.update_layout(
        **LAYOUT,
        title=title,
        height=520,
        legend={"orientation": "h", "yanchor": "top", "y": -0.15},
    )
    figure.update_xaxes(title=f"direction 1 ({first:.0%} of the spread)")
    figure.update_yaxes(title=f"direction 2 ({second:.0%} of the spread)")
    return figure


def unit_ablation_figure(zeroed_accuracy: Sequence[float], intact_accuracy: float, what: str) -> go.Figure:
    """One bar per unit: exact accuracy on ``what`` with that unit alone zeroed; the intact network's as a line.
    Bars more than one point below the intact accuracy are in the wrong-answer colour."""
    accuracy = as_vector(zeroed_accuracy, "zeroed_accuracy")
    units = np.arange(accuracy.size)
    matters = accuracy < intact_accuracy - 0.01
    figure = go.Figure(
        go.Bar(
            x=units,
            y=accuracy,
            marker={"color": [WRONG.hex if flag else NEUTRAL.hex for flag in matters]},
            hovertemplate="unit %{x} zeroed: %{y:.1%} exact<extra></extra>",
        )
    )
    figure.add_hline(
        y=intact_accuracy,
        line={"dash": "dash", "color": INK},
        annotation_text=f"nothing zeroed: {intact_accuracy:.1%}",
        annotation_position="top right",
    )
    figure.update_layout(**LAYOUT, title=f"Exact on {what}, one unit zeroed at a time", height=360, showlegend=False)
    figure.update_xaxes(title="unit zeroed", tickmode="array", tickvals=units)
    figure.update_yaxes(range=[0, 1.15], tickformat=".0%", title="exact accuracy", tickvals=[0, 0.25, 0.5, 0.75, 1])
    return figure


def wrong_grid_figure(
    wrong_bits: np.ndarray,
    timesteps: int,
    row_title: str,
    column_title: str,
    title: str,
    hover: str,
    row_values: Sequence[int] | None = None,
) -> go.Figure:
    """A grid of inputs ``(R, C)`` coloured by wrong output bits (0 … ``timesteps``); NaN cells (outside the rule's
    domain) stay blank. ``hover`` is the tooltip's text before ": N wrong bits", with %{y} and %{x} in it;
    ``row_values`` relabels the rows (a strip over a wrapped into rows: the first a of each row)."""
    grid = np.asarray(wrong_bits, dtype=np.float64)
    if grid.ndim != 2:
        raise ValueError(f"wrong_bits must be a 2-D grid; got shape {grid.shape}.")
    rows, columns = grid.shape
    figure = go.Figure(
        go.Heatmap(
            z=grid,
            x=np.arange(columns),
            y=np.arange(rows) if row_values is None else np.asarray(row_values),
            zmin=0,
            zmax=timesteps,
            colorscale=COUNT_SCALE,
            colorbar={"title": "wrong bits"},
            hovertemplate=f"{hover}: %{{z}} wrong bits<extra></extra>",
        )
    )
    figure.update_layout(**LAYOUT, title=title, height=560)
    figure.update_xaxes(title=column_title, constrain="domain")
    figure.update_yaxes(title=row_title, autorange="reversed" if row_values is not None else True)
    if row_values is None:
        figure.update_yaxes(scaleanchor="x")
    return figure


def depth_accuracy_figure(by_depth: dict[int, float], columns: int) -> go.Figure:
    """Balanced brackets: the exact share of the strings of ``columns`` brackets at each deepest nesting (bars in
    the wrong-answer colour where some are answered wrong)."""
    depth = np.array(sorted(by_depth))
    share = np.array([by_depth[value] for value in depth])
    figure = go.Figure(
        go.Bar(
            x=depth,
            y=share,
            marker={"color": [ACCURACY.hex if value == 1.0 else WRONG.hex for value in share]},
            text=[f"{value:.2%}" for value in share],
            textposition="outside",
            textangle=-90,
            hovertemplate="deepest nesting %{x}: %{y:.1%} exact<extra></extra>",
        )
    )
    figure.update_layout(
        **LAYOUT,
        title=f"Exact on every string of {columns} brackets, by how deep it nests",
        height=380,
        showlegend=False,
    )
    figure.update_xaxes(title="deepest nesting", tickmode="linear", dtick=1)
    figure.update_yaxes(range=[0, 1.2], tickformat=".0%", title="exact accuracy", tickvals=[0, 0.25, 0.5, 0.75, 1])
    return figure


def _nesting_trace(nested_right: Sequence[bool]) -> go.Scatter:
    right = np.asarray(nested_right, dtype=bool)
    nesting = np.arange(1, right.size + 1)
    return go.Scatter(
        x=nesting,
        y=np.where(right, 1, 0),
        mode="markers",
        name="“(” × d then “)” × d",
        marker={"color": [ACCURACY.hex if flag else WRONG.hex for flag in right], "size": 10, "symbol": "square"},
        text=["right" if flag else "wrong" for flag in right],
        hovertemplate="“(” × %{x} then “)” × %{x}: %{text}<extra></extra>",
    )


def nesting_figure(nested_right: Sequence[bool]) -> go.Figure:
    """Balanced brackets: is "(" × d then ")" × d answered right under every bracket, for d = 1, 2, …?"""
    figure = go.Figure(_nesting_trace(nested_right))
    figure.update_layout(**LAYOUT, title="“(” × d then “)” × d, for each nesting d", height=240, showlegend=False)
    figure.update_xaxes(title="nesting d", tickmode="linear", dtick=2 if len(nested_right) > 20 else 1)
    figure.update_yaxes(range=[-0.5, 1.5], tickvals=[0, 1], ticktext=["wrong", "right"])
    return figure


RULE_LENGTH_WORDS = LengthWords(
    title="Exact accuracy on random inputs, by length",
    x_title="columns (= timesteps run)",
    line_name="random inputs",
    hover="%{x} columns: %{y:.1%} exact<extra></extra>",
)


def rule_length_figure(columns: Sequence[int], exact_accuracy: Sequence[float], trained_columns: int) -> go.Figure:
    """Exact accuracy on random inputs against their number of columns, the training length dashed: addition's
    :func:`~explainer.figures.output.length_accuracy_figure` in a rule's words, its x axis two columns past the
    longest of them."""
    longest = max(int(as_vector(columns, "columns").max(initial=0)), trained_columns)
    return length_accuracy_figure(columns, exact_accuracy, trained_columns, longest + 1, words=RULE_LENGTH_WORDS)


def transplant_figure(follows: dict[str, float], stays: dict[str, float], state_called: str) -> go.Figure:
    """For each part transplanted, the share of interventions whose later bits follow the source's state and the
    share whose later bits stay the base's own (grouped horizontal bars)."""
    names = list(follows)
    figure = go.Figure()
    for label, values, colour in (
        (f"follow the source's {state_called}", [follows[name] for name in names], ACCURACY.hex),
        ("stay the base's own", [stays[name] for name in names], NEUTRAL.hex),
    ):
        figure.add_trace(
            go.Bar(
                y=names,
                x=values,
                orientation="h",
                name=label,
                marker={"color": colour},
                text=[f"{value:.1%}" for value in values],
                textposition="auto",  # inside a bar too long for its label to fit after it (a phone)
                hovertemplate=f"%{{y}}: %{{x:.1%}} {label}<extra></extra>",
            )
        )
    figure.update_layout(
        **LAYOUT,
        title="Later bits after the transplant",
        height=300,
        barmode="group",
        legend={"orientation": "h", "yanchor": "top", "y": -0.25},
    )
    figure.update_xaxes(range=[0, 1.15], tickformat=".0%", title="share of interventions")
    figure.update_yaxes(autorange="reversed")
    return figure


def compare_rules_figure(
    labels: Sequence[str],
    states_needed: Sequence[int],
    states_found: Sequence[int],
    nested_right: Sequence[bool],
    depth_rule_label: str,
) -> go.Figure:
    """The lesson in one picture. Left: for each finite rule, the states its minimal machine needs beside the
    states of the machine extracted from its network. Right: the rule with unbounded memory (balanced brackets),
    whether its network answers "(" × d then ")" × d right, for each nesting d."""
    figure = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.6, 0.4],
        subplot_titles=("States: the rule needs / the network has", f"{depth_rule_label}: no finite machine"),
        horizontal_spacing=0.12,
    )
    for name, values, colour in (
        ("states the rule needs", states_needed, NEUTRAL.hex),
        ("states in the network's machine", states_found, ACCURACY.hex),
    ):
        figure.add_trace(
            go.Bar(
                x=list(labels),
                y=list(values),
                name=name,
                marker={"color": colour},
                text=[str(value) for value in values],
                textposition="outside",
                hovertemplate=f"%{{x}}: %{{y}} {name}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    figure.add_trace(_nesting_trace(nested_right), row=1, col=2)
    figure.update_layout(**subplot_layout(440, legend_y=-0.25), barmode="group", template="plotly_white")
    figure.update_yaxes(title="states", rangemode="tozero", dtick=1, row=1, col=1)
    figure.update_yaxes(range=[-0.5, 1.5], tickvals=[0, 1], ticktext=["wrong", "right"], row=1, col=2)
    figure.update_xaxes(title="nesting d of “(” × d then “)” × d", dtick=4, row=1, col=2)
    return figure
