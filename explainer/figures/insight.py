"""Plotly figures for "What did it learn?" about the inside: the carry probe, the state space, the machine.

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
from explainer.figures.style import (
    ACCURACY,
    CARRY,
    CARRY_COLOURS,
    COLUMN_SUM_COLOURS,
    EMPTY_FILL,
    INK,
    LAYOUT,
    NEUTRAL,
    WRONG,
    as_vector,
    text_colour_on,
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
    true_carry: Sequence[int], decoded_carry: Sequence[int], probe_score: Sequence[float] | None = None
) -> go.Figure:
    """Two rows of bits over timesteps: the true carry out and the probe's reading, first disagreement ringed.

    Both rows are the carry *out* of column t (what h_t holds after reading it). Time runs right to left.
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
    figure.update_layout(**LAYOUT, title=f"True carry out vs the {PROBE_CARRY_OUT_LABEL}", height=230)
    figure.update_yaxes(autorange="reversed")
    return figure


# --------------------------------------------------------------------------------------------------
# 2. State space.
# --------------------------------------------------------------------------------------------------


def state_space_figure(
    points: np.ndarray,
    colour_values: Sequence[int],
    colour_by: str = "carry",
    path: np.ndarray | None = None,
    path_labels: Sequence[str] = (),
    explained_variance_ratio: Sequence[float] = (np.nan, np.nan),
) -> go.Figure:
    """Every hidden state projected to 2-D, coloured by carry (0/1) or column sum (0–3), with one path.

    ``points`` is ``(P, 2)``; ``colour_values`` ``(P,)``; ``path`` ``(T + 1, 2)`` starts at h_{-1} and is
    drawn as arrows, arrow i labelled ``path_labels[i]`` (e.g. the input bits "1+0").
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
        for step in range(path.shape[0] - 1):
            (x0, y0), (x1, y1) = path[step], path[step + 1]
            figure.add_annotation(
                x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                showarrow=True, arrowhead=3, arrowsize=1.2, arrowwidth=1.8, arrowcolor=INK, text="",
            )  # fmt: skip
            if path_labels:
                figure.add_annotation(
                    x=(x0 + x1) / 2,
                    y=(y0 + y1) / 2,
                    text=f"t={step}: {path_labels[step]}",
                    showarrow=False,
                    font={"size": 11},
                    bgcolor="rgba(255,255,255,0.8)",
                )
    low, high = extent.min(0), extent.max(0)
    pad = 0.08 * np.maximum(high - low, 1e-6)
    ratio = np.asarray(explained_variance_ratio, dtype=float)
    figure.update_layout(**LAYOUT, title="Every hidden state, projected onto its two main directions", height=480)
    figure.update_xaxes(range=[low[0] - pad[0], high[0] + pad[0]], title=f"direction 1 ({ratio[0]:.0%} of the spread)")
    figure.update_yaxes(range=[low[1] - pad[1], high[1] + pad[1]], title=f"direction 2 ({ratio[1]:.0%} of the spread)")
    return figure


# --------------------------------------------------------------------------------------------------
# 3. The extracted machine.
# --------------------------------------------------------------------------------------------------

_SYMBOL_TEXT = ("00", "01", "10", "11")  # bit of a, bit of b


def _edge_labels(next_state: np.ndarray, output: np.ndarray) -> dict[tuple[int, int], list[str]]:
    edges: dict[tuple[int, int], list[str]] = {}
    for state, symbol in np.ndindex(*next_state.shape):
        target = int(next_state[state, symbol])
        if target >= 0:
            edges.setdefault((state, target), []).append(f"{_SYMBOL_TEXT[symbol]}/{int(output[state, symbol])}")
    return edges


def machine_diagram_figure(
    state_names: Sequence[str], next_state: np.ndarray, output: np.ndarray, start: int = 0
) -> go.Figure:
    """A state diagram: circles for states, arrows labelled ``ab/out`` (input bits a, b / bit written).

    ``next_state`` and ``output`` are ``(S, 4)`` int arrays indexed by input symbol 2·a + b; −1 entries
    (never observed) are not drawn.
    """
    next_state = np.asarray(next_state, dtype=int)
    output = np.asarray(output, dtype=int)
    count = len(state_names)
    if next_state.shape != (count, 4) or output.shape != (count, 4):
        raise ValueError(f"next_state and output must be ({count}, 4); got {next_state.shape} and {output.shape}.")
    if not 0 <= start < count:
        raise ValueError(f"start must be a state number 0–{count - 1}; got {start}.")
    angles = np.pi - 2 * np.pi * np.arange(count) / max(count, 1)  # the start state on the left
    positions = np.column_stack([np.cos(angles), np.sin(angles)]) if count > 1 else np.zeros((1, 2))
    figure = go.Figure()
    radius = 0.16  # node radius in data units; arrows stop at the rim
    for (source, target), labels in _edge_labels(next_state, output).items():
        text = "<br>".join(labels)
        if source == target:
            # A self-loop: a teardrop outward from the centre of the diagram.
            centre = positions[source]
            outward = centre / (np.linalg.norm(centre) or 1.0) if count > 1 else np.array([0.0, 1.0])
            side = np.array([-outward[1], outward[0]])
            start_point, end_point = centre + radius * (outward + side) / 1.4, centre + radius * (outward - side) / 1.4
            control_one, control_two = centre + 0.8 * outward + 0.4 * side, centre + 0.8 * outward - 0.4 * side
            figure.add_shape(
                type="path",
                path=f"M {start_point[0]},{start_point[1]} C {control_one[0]},{control_one[1]} "
                f"{control_two[0]},{control_two[1]} {end_point[0]},{end_point[1]}",
                line={"color": INK, "width": 1.5},
            )
            tail = end_point + 0.08 * (control_two - end_point) / np.linalg.norm(control_two - end_point)
            label_at = centre + 0.95 * outward
        else:
            begin, finish = positions[source], positions[target]
            direction = (finish - begin) / np.linalg.norm(finish - begin)
            normal = np.array([-direction[1], direction[0]])
            # Bend every edge to its left so that A→B and B→A do not overlap.
            control = (begin + finish) / 2 + 0.25 * normal
            start_point = begin + radius * (control - begin) / np.linalg.norm(control - begin)
            end_point = finish + radius * (control - finish) / np.linalg.norm(control - finish)
            figure.add_shape(
                type="path",
                path=f"M {start_point[0]},{start_point[1]} Q {control[0]},{control[1]} {end_point[0]},{end_point[1]}",
                line={"color": INK, "width": 1.5},
            )
            tail = end_point + 0.08 * (control - end_point) / np.linalg.norm(control - end_point)
            label_at = (begin + finish) / 2 + 0.16 * normal
        figure.add_annotation(
            x=end_point[0], y=end_point[1], ax=tail[0], ay=tail[1], xref="x", yref="y", axref="x", ayref="y",
            showarrow=True, arrowhead=3, arrowsize=1.4, arrowwidth=1.5, arrowcolor=INK, text="",
        )  # fmt: skip
        figure.add_annotation(
            x=label_at[0],
            y=label_at[1],
            text=text,
            showarrow=False,
            font={"size": 12},
            bgcolor="rgba(255,255,255,0.85)",
        )
    fills = [ACCURACY.hex if state != start else NEUTRAL.hex for state in range(count)]
    figure.add_trace(
        go.Scatter(
            x=positions[:, 0],
            y=positions[:, 1],
            mode="markers+text",
            text=list(state_names),
            textposition="middle center",
            # Each label in black or white, whichever contrasts more with its circle (WCAG: at least 4.5:1).
            textfont={"color": [text_colour_on(fill) for fill in fills], "size": 13},
            marker={"size": 70, "color": fills},
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )
    )
    # The start arrow comes in from above, clear of the self-loops that point outwards.
    begin = positions[start]
    figure.add_annotation(
        x=begin[0], y=begin[1] + radius, ax=begin[0], ay=begin[1] + 0.6, xref="x", yref="y", axref="x", ayref="y",
        showarrow=True, arrowhead=3, arrowwidth=1.5, text="start",
    )  # fmt: skip
    figure.update_layout(
        **LAYOUT,
        title="The extracted machine (edge label: bits a b / bit written)",
        height=360 if count <= 2 else 520,
        showlegend=False,
    )
    figure.update_xaxes(range=[-2.3, 2.3], visible=False)
    vertical = 1.0 if count <= 2 else 1.6  # two states sit on one line: no need for the full circle's height
    figure.update_yaxes(range=[-vertical, vertical], visible=False, scaleanchor="x")
    return figure
