"""Plotly figures for "What did it learn?" about the inside: the carry probe and the state space (the extracted
machine is :mod:`explainer.figures.machine`).

Pure functions of plain arrays, one per view (the views about what the network writes are in
:mod:`explainer.figures.output`).

None of these touch a model: they take what :mod:`explainer.analysis` computed (arrays, lists, numbers)
and return a :class:`plotly.graph_objects.Figure`. Colours come from :mod:`explainer.figures.style`,
one per meaning (e.g. "from the input" versus "carried in").
Axis ranges are fixed by the data's possible extent, not by the current value, so stepping through
timesteps or pairs does not make the axes jump.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explainer.analysis.probe import PROBE_CARRY_OUT, PROBE_CARRY_OUT_LABEL
from explainer.figures.columns import step_points_meta
from explainer.figures.style import (
    ACCURACY,
    CARRY,
    CARRY_COLOURS,
    COLUMN_SUM_COLOURS,
    EMPTY_FILL,
    HIGHLIGHT,
    INK,
    LAYOUT,
    NEUTRAL,
    WRONG,
    as_vector,
    time_axis,
)

# --------------------------------------------------------------------------------------------------
# 1. Carry probe.
# --------------------------------------------------------------------------------------------------


def probe_accuracy_figure(accuracy_by_timestep: Sequence[float]) -> go.Figure:
    """Bar per timestep: how often the one linear probe reads the true carry out of ``h_t``. Range 0–1."""
    accuracy = as_vector(accuracy_by_timestep, "accuracy_by_timestep")
    figure = go.Figure(
        go.Bar(
            x=np.arange(accuracy.size),
            y=accuracy,
            marker_color=ACCURACY.hex,
            text=[f"{value:.1%}" for value in accuracy],
            textposition="outside",
            hovertemplate="t=%{x}: probe right on %{y:.2%} of pairs<extra></extra>",
        )
    )
    figure.update_layout(**LAYOUT, title="Carry probe accuracy at each timestep (all 16,384 pairs)", height=320)
    figure.update_layout(uniformtext={"minsize": 11, "mode": "hide"})  # too narrow for 11 px: hover gives them
    figure.update_yaxes(range=[0, 1.12], tickformat=".0%", title="accuracy")
    time_axis(figure, accuracy.size, title="timestep (t = 0, the 2⁰ column, on the right)")
    return figure


def probe_units_figure(unit_importance: Sequence[float], top_units: Sequence[int]) -> go.Figure:
    """Bar per hidden unit: how much it moves the probe (|weight| × the unit's spread); the top units in CARRY."""
    importance = as_vector(unit_importance, "unit_importance")
    top = {int(unit) for unit in top_units}
    if any(not 0 <= unit < importance.size for unit in top):
        raise ValueError(f"top_units must be unit numbers 0–{importance.size - 1}; got {sorted(top)}.")
    figure = go.Figure(
        go.Bar(
            x=[f"h{unit}" for unit in range(importance.size)],
            y=importance,
            marker_color=[CARRY.hex if unit in top else NEUTRAL.hex for unit in range(importance.size)],
            hovertemplate="unit %{x}: %{y:.3f}<extra></extra>",
        )
    )
    figure.update_layout(
        **LAYOUT, title=f"Which units the probe reads the carry from ({CARRY.name}: the carry units)", height=300
    )
    figure.update_yaxes(range=[0, max(float(importance.max()), 1e-9) * 1.1], title="probe weight × spread")
    figure.update_xaxes(title="hidden unit")
    return figure


def carry_rows_figure(
    true_carry: Sequence[int],
    decoded_carry: Sequence[int],
    probe_score: Sequence[float] | None = None,
    current_step: int | None = None,
) -> go.Figure:
    """Two rows of bits over timesteps: the true carry out and the probe's reading, first disagreement ringed.

    Both rows are the carry *out* of column t (what h_t holds after reading it). Time runs right to left.
    ``current_step``: the page's step, its column outlined in the colour of the chosen step.
    """
    truth = as_vector(true_carry, "true_carry").astype(int)
    decoded = as_vector(decoded_carry, "decoded_carry").astype(int)
    if truth.shape != decoded.shape:
        raise ValueError(f"true_carry and decoded_carry must have the same length; got {truth.size}, {decoded.size}.")
    rows = ["true carry out", PROBE_CARRY_OUT]
    text = [[str(bit) for bit in truth], [str(bit) for bit in decoded]]
    if probe_score is not None:
        score = as_vector(probe_score, "probe_score")
        text[1] = [f"{bit}<br>({value:.2f})" for bit, value in zip(decoded, score, strict=True)]
    figure = go.Figure(
        go.Heatmap(
            z=np.vstack([truth, decoded]),
            x=np.arange(truth.size),
            y=rows,
            zmin=0,
            zmax=1,
            colorscale=[[0, EMPTY_FILL], [1, CARRY.hex]],
            showscale=False,
            text=text,
            texttemplate="%{text}",
            textfont={"size": 15},
            hovertemplate="%{y}, t=%{x}: %{z}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    time_axis(figure, truth.size)
    differ = np.flatnonzero(truth != decoded)
    if differ.size:
        first = int(differ[0])
        figure.add_shape(
            type="rect", x0=first - 0.5, x1=first + 0.5, y0=-0.5, y1=1.5, line={"color": WRONG.hex, "width": 3}
        )
        figure.add_annotation(x=first, y=1.5, text="first disagreement", showarrow=False, yshift=12)
    if current_step is not None:
        if not 0 <= current_step < truth.size:
            raise ValueError(f"current_step must be a step 0–{truth.size - 1}; got {current_step}.")
        figure.add_shape(
            type="rect",
            x0=current_step - 0.5,
            x1=current_step + 0.5,
            y0=-0.5,
            y1=1.5,
            line={"color": HIGHLIGHT.hex, "width": 3},
            name="current step",
        )
    figure.update_layout(**LAYOUT, title=f"True carry out vs the {PROBE_CARRY_OUT_LABEL}", height=230)
    figure.update_yaxes(autorange="reversed")
    return figure


# --------------------------------------------------------------------------------------------------
# 2. State space.
# --------------------------------------------------------------------------------------------------


_CURRENT_RING_SIZE = 20  # px: the ring around h_t, and the hovered column's ring


def state_space_figure(
    points: np.ndarray,
    colour_values: Sequence[int],
    colour_by: str = "carry",
    path: np.ndarray | None = None,
    path_labels: Sequence[str] = (),
    explained_variance_ratio: Sequence[float] = (np.nan, np.nan),
    current_step: int | None = None,
) -> go.Figure:
    """Every hidden state projected to 2-D, coloured by carry (0/1) or column sum (0–3), with one path.

    ``points`` is ``(P, 2)``; ``colour_values`` ``(P,)``; ``path`` ``(T + 1, 2)`` starts at h_{-1} and is
    drawn as arrows, arrow i labelled ``path_labels[i]`` (e.g. the input bits "1+0"). ``current_step`` (with a
    path): the page's step t, whose arrow is drawn and whose point h_t is ringed in the colour of the chosen step.
    With a path, the layout's ``meta`` gives the point of each step (:func:`step_points_meta`).
    """
    points = as_vector(points, "points", 2)
    colours = np.asarray(colour_values, dtype=int)
    if points.shape[1] != 2 or colours.shape != (points.shape[0],):
        raise ValueError(f"points must be (P, 2) and colour_values (P,); got {points.shape} and {colours.shape}.")
    if colour_by == "carry":
        palette, names = CARRY_COLOURS, ("carry 0", "carry 1")
    elif colour_by == "column sum":
        palette, names = COLUMN_SUM_COLOURS, tuple(f"column sum {value}" for value in range(4))
    else:
        raise ValueError(f"colour_by must be 'carry' or 'column sum'; got {colour_by!r}.")
    figure = go.Figure()
    for value, (colour, name) in enumerate(zip(palette, names, strict=True)):
        chosen = colours == value
        figure.add_trace(
            go.Scattergl(
                x=points[chosen, 0],
                y=points[chosen, 1],
                mode="markers",
                name=name,
                marker={"color": colour, "size": 6, "opacity": 0.6},
                hovertemplate=f"{name}<br>direction 1: %{{x:.2f}}, direction 2: %{{y:.2f}}<extra></extra>",
            )
        )
    extent = points
    if path is not None:
        path = as_vector(path, "path", 2)
        if path.shape[1] != 2 or len(path_labels) not in (0, path.shape[0] - 1):
            raise ValueError(f"path must be (T + 1, 2) with T labels; got {path.shape} and {len(path_labels)} labels.")
        if current_step is not None and not 0 <= current_step < path.shape[0] - 1:
            raise ValueError(f"current_step must be a step 0–{path.shape[0] - 2}; got {current_step}.")
        extent = np.vstack([points, path])
        figure.add_trace(
            go.Scatter(
                x=path[:, 0],
                y=path[:, 1],
                mode="markers",
                name="this addition",
                marker={"color": INK, "size": 8, "symbol": "circle-open", "line": {"width": 2}},
                text=["h₋₁ = 0", *(f"h{step}" for step in range(path.shape[0] - 1))],
                hovertemplate="%{text}<extra></extra>",
            )
        )
        steps = [step for step in range(path.shape[0] - 1) if step != current_step]
        # The chosen step last: its arrow and label on top of the others.
        for step in steps if current_step is None else [*steps, current_step]:
            (x0, y0), (x1, y1) = path[step], path[step + 1]
            colour, width = (HIGHLIGHT.hex, 3) if step == current_step else (INK, 1.8)
            figure.add_annotation(
                x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                showarrow=True, arrowhead=3, arrowsize=1.2, arrowwidth=width, arrowcolor=colour, text="",
            )  # fmt: skip
        if path_labels:
            middles = (path[:-1] + path[1:]) / 2
            span = np.ptp(np.vstack([points, path]), axis=0)
            for group in _label_groups(middles, list(path_labels), steps, 0.04 * np.maximum(span, 1e-9)):
                figure.add_annotation(
                    x=middles[group[0], 0],
                    y=middles[group[0], 1],
                    text=f"t={_steps_text(group)}: {path_labels[group[0]]}",
                    showarrow=False,
                    font={"size": 11, "color": INK},
                    bgcolor="rgba(255,255,255,0.8)",
                )
            if current_step is not None:
                figure.add_annotation(
                    x=middles[current_step, 0],
                    y=middles[current_step, 1],
                    text=f"t={current_step}: {path_labels[current_step]}",
                    showarrow=False,
                    font={"size": 11, "color": INK},
                    bgcolor="rgba(255,255,255,0.9)",
                    bordercolor=HIGHLIGHT.hex,
                    borderwidth=2,
                )
        if current_step is not None:
            x, y = path[current_step + 1]
            figure.add_trace(
                go.Scatter(
                    x=[x],
                    y=[y],
                    mode="markers",
                    name=f"h{current_step}: after step t={current_step}",
                    marker={
                        "color": HIGHLIGHT.hex,
                        "size": _CURRENT_RING_SIZE,
                        "symbol": "circle-open",
                        "line": {"width": 4},
                    },
                    hovertemplate=f"h{current_step}, after step t={current_step}<extra></extra>",
                    meta="current step",
                )
            )
    if path is not None:
        figure.update_layout(meta=step_points_meta(path[1:], _CURRENT_RING_SIZE))
    low, high = extent.min(0), extent.max(0)
    pad = 0.08 * np.maximum(high - low, 1e-6)
    ratio = np.asarray(explained_variance_ratio, dtype=float)
    figure.update_layout(**LAYOUT, title="Every hidden state, on its two main directions", height=520)
    # The legend under the plot, in rows: beside it, it would take a third of a phone's width.
    figure.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.14, "x": 0}, margin={**LAYOUT["margin"], "b": 90}
    )
    figure.update_xaxes(range=[low[0] - pad[0], high[0] + pad[0]], title=f"direction 1 ({ratio[0]:.0%} of the spread)")
    figure.update_yaxes(range=[low[1] - pad[1], high[1] + pad[1]], title=f"direction 2 ({ratio[1]:.0%} of the spread)")
    return figure


def _label_groups(places: np.ndarray, labels: list[str], steps: list[int], near: np.ndarray) -> list[list[int]]:
    """``steps`` grouped so that steps with the same label at nearly the same place (closer than ``near`` on both
    axes) share one label: a path that stays in one region would otherwise pile its labels on top of each other."""
    groups: list[list[int]] = []
    for step in steps:
        for group in groups:
            first = group[0]
            if labels[first] == labels[step] and np.all(np.abs(places[first] - places[step]) < near):
                group.append(step)
                break
        else:
            groups.append([step])
    return groups


def _steps_text(steps: list[int]) -> str:
    """Steps as a label writes them: runs of consecutive steps as "2–6", the rest separated by commas."""
    runs: list[list[int]] = []
    for step in steps:
        if runs and step == runs[-1][-1] + 1:
            runs[-1].append(step)
        else:
            runs.append([step])
    return ", ".join(f"{run[0]}–{run[-1]}" if len(run) > 2 else ", ".join(map(str, run)) for run in runs)
