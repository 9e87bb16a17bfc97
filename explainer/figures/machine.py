"""The extracted machine as a state diagram: a pure function of its transition table (Plotly), like the other
"What did it learn?" figures (:mod:`explainer.figures.insight`), with colours from :mod:`explainer.figures.style`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explainer.analysis.mealy import symbol_bits
from explainer.figures.columns import step_points_meta
from explainer.figures.style import ACCURACY, HIGHLIGHT, INK, LAYOUT, NEUTRAL, text_colour_on

_RING_SIZE = 86  # px: a ring around a state's circle (70 px), for the chosen step and the hovered column


def _symbol_text(symbol: int, width: int) -> str:
    """One input column as its bits, first number first: ``"10"`` for symbol 2 of two bits (a = 1, b = 0)."""
    return "".join(str(bit) for bit in symbol_bits(symbol, width))


def _edge_labels(next_state: np.ndarray, output: np.ndarray) -> dict[tuple[int, int], list[str]]:
    width = max(1, (next_state.shape[1] - 1).bit_length())  # bits per column: 2 symbols → 1, 4 → 2, 8 → 3
    edges: dict[tuple[int, int], list[str]] = {}
    for state, symbol in np.ndindex(*next_state.shape):
        target = int(next_state[state, symbol])
        if target >= 0:
            edges.setdefault((state, target), []).append(f"{_symbol_text(symbol, width)}/{int(output[state, symbol])}")
    return edges


def machine_diagram_figure(
    state_names: Sequence[str],
    next_state: np.ndarray,
    output: np.ndarray,
    start: int = 0,
    current: int | None = None,
    current_step: int | None = None,
    step_states: Sequence[int] | None = None,
    input_names: Sequence[str] = ("a", "b"),
    fills: Sequence[str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """A state diagram: circles for states, arrows labelled ``ab/out`` (input bits a, b / bit written).

    ``next_state`` and ``output`` are ``(S, K)`` int arrays indexed by input symbol (K = 2 ** len(input_names):
    2·a + b for addition's two bits, the first number's bit most significant); −1 entries (never observed) are
    not drawn. ``fills`` colours each state's circle (default: the start grey, the others light blue);
    ``title`` replaces the default one, which names ``input_names``.
    ``current`` (a state number, with ``current_step`` t): the state the page's step leaves the network in, ringed
    in the colour of the chosen step. ``step_states`` (optional): the state after each step t of the page's sum
    (−1: none drawn), put in the layout's ``meta`` so that hovering column t rings its state in the browser
    (:func:`~explainer.figures.columns.step_points_meta`).
    """
    next_state = np.asarray(next_state, dtype=int)
    output = np.asarray(output, dtype=int)
    count, symbols = len(state_names), 2 ** len(input_names)
    if next_state.shape != (count, symbols) or output.shape != (count, symbols):
        raise ValueError(
            f"next_state and output must be ({count}, {symbols}); got {next_state.shape} and {output.shape}."
        )
    if not 0 <= start < count:
        raise ValueError(f"start must be a state number 0–{count - 1}; got {start}.")
    if current is not None and not 0 <= current < count:
        raise ValueError(f"current must be a state number 0–{count - 1}; got {current}.")
    if step_states is not None and any(not -1 <= int(state) < count for state in step_states):
        raise ValueError(f"step_states must be state numbers 0–{count - 1} or -1; got {list(step_states)}.")
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
    if fills is None:
        fills = [ACCURACY.hex if state != start else NEUTRAL.hex for state in range(count)]
    elif len(fills) != count:
        raise ValueError(f"give one fill per state ({count}); got {len(fills)}.")
    fills = list(fills)
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
    if current is not None:
        x, y = positions[current]
        after = "" if current_step is None else f"after step t={current_step}"
        figure.add_trace(
            go.Scatter(
                x=[x],
                y=[y],
                mode="markers",
                marker={"size": _RING_SIZE, "color": "rgba(0,0,0,0)", "line": {"color": HIGHLIGHT.hex, "width": 5}},
                hovertemplate=f"{state_names[current]}: {after}<extra></extra>",
                showlegend=False,
                meta="current step",
            )
        )
        if after:
            figure.add_annotation(
                x=x, y=y - 0.3, text=after, showarrow=False, font={"size": 12, "color": INK}, yanchor="top",
                bgcolor="rgba(255,255,255,0.85)", bordercolor=HIGHLIGHT.hex, borderwidth=2,
            )  # fmt: skip
    # The start arrow comes in from above, clear of the self-loops that point outwards.
    begin = positions[start]
    figure.add_annotation(
        x=begin[0], y=begin[1] + radius, ax=begin[0], ay=begin[1] + 0.6, xref="x", yref="y", axref="x", ayref="y",
        showarrow=True, arrowhead=3, arrowwidth=1.5, text="start",
    )  # fmt: skip
    figure.update_layout(
        **LAYOUT,
        title=title or f"The extracted machine (edge label: bits {' '.join(input_names)} / bit written)",
        height=360 if count <= 2 else 520,
        showlegend=False,
    )
    if step_states is not None:
        points = [positions[int(state)] if state >= 0 else None for state in step_states]
        figure.update_layout(meta=step_points_meta(points, _RING_SIZE))
    figure.update_xaxes(range=[-2.3, 2.3], visible=False)
    vertical = 1.0 if count <= 2 else 1.6  # two states sit on one line: no need for the full circle's height
    figure.update_yaxes(range=[-vertical, vertical], visible=False, scaleanchor="x")
    return figure
