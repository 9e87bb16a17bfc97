"""Plotly figures for "What did it learn?": pure functions of plain arrays, one per view.

None of these touch a model: they take what :mod:`explainer.analysis` computed (arrays, lists, numbers)
and return a :class:`plotly.graph_objects.Figure`. Colours come from :mod:`explainer.plot_style`,
one per meaning (e.g. "from the input" versus "carried in").
Axis ranges are fixed by the data's possible extent, not by the current value, so stepping through
timesteps or pairs does not make the axes jump.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explainer.plot_style import (
    ABLATED,
    ACCURACY,
    CARRIED_CONTRIBUTION,
    CARRY,
    CARRY_COLOURS,
    COLUMN_SUM_COLOURS,
    COUNT_SCALE,
    EMPTY_FILL,
    HIGHLIGHT,
    INK,
    INPUT_CONTRIBUTION,
    LAYOUT,
    NEUTRAL,
    WRONG,
    time_axis,
)


def _vector(values: object, name: str, dimensions: int = 1) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != dimensions:
        raise ValueError(f"{name} must be a {dimensions}-D array; got shape {array.shape}.")
    return array


# --------------------------------------------------------------------------------------------------
# 1. Carry probe.
# --------------------------------------------------------------------------------------------------


def probe_accuracy_figure(accuracy_by_timestep: Sequence[float]) -> go.Figure:
    """Bar per timestep: how often the one linear probe reads the true carry out of ``h_t``. Range 0–1."""
    accuracy = _vector(accuracy_by_timestep, "accuracy_by_timestep")
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
    figure.update_yaxes(range=[0, 1.12], tickformat=".0%", title="accuracy")
    time_axis(figure, accuracy.size, title="timestep (t = 0, the 2⁰ column, on the right)")
    return figure


def probe_units_figure(unit_importance: Sequence[float], top_units: Sequence[int]) -> go.Figure:
    """Bar per hidden unit: how much it moves the probe (|weight| × the unit's spread); the top units in CARRY."""
    importance = _vector(unit_importance, "unit_importance")
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
    figure.update_layout(**LAYOUT, title=f"Which units hold the carry ({CARRY.name}: the most carry-tied)", height=300)
    figure.update_yaxes(range=[0, max(float(importance.max()), 1e-9) * 1.1], title="|probe weight| × spread")
    figure.update_xaxes(title="hidden unit")
    return figure


def carry_rows_figure(
    true_carry: Sequence[int], decoded_carry: Sequence[int], probe_score: Sequence[float] | None = None
) -> go.Figure:
    """Two rows of bits over timesteps: the true carry out and the probe's reading, first disagreement ringed.

    Both rows are the carry *out* of column t (what h_t holds after reading it). Time runs right to left.
    """
    truth = _vector(true_carry, "true_carry").astype(int)
    decoded = _vector(decoded_carry, "decoded_carry").astype(int)
    if truth.shape != decoded.shape:
        raise ValueError(f"true_carry and decoded_carry must have the same length; got {truth.size}, {decoded.size}.")
    rows = ["true carry out", "probe's carry"]
    text = [[str(bit) for bit in truth], [str(bit) for bit in decoded]]
    if probe_score is not None:
        score = _vector(probe_score, "probe_score")
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
    figure.update_layout(**LAYOUT, title="True carry vs the probe's reading", height=230)
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
    points = _vector(points, "points", 2)
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
                hovertemplate=f"{name}<br>PC1 %{{x:.2f}}, PC2 %{{y:.2f}}<extra></extra>",
            )
        )
    extent = points
    if path is not None:
        path = _vector(path, "path", 2)
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
    figure.update_xaxes(range=[low[0] - pad[0], high[0] + pad[0]], title=f"PC1 ({ratio[0]:.0%} of variance)")
    figure.update_yaxes(range=[low[1] - pad[1], high[1] + pad[1]], title=f"PC2 ({ratio[1]:.0%} of variance)")
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
    figure.add_trace(
        go.Scatter(
            x=positions[:, 0],
            y=positions[:, 1],
            mode="markers+text",
            text=list(state_names),
            textposition="middle center",
            marker={"size": 70, "color": [ACCURACY.hex if state != start else NEUTRAL.hex for state in range(count)]},
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


# --------------------------------------------------------------------------------------------------
# 4. Ablation.
# --------------------------------------------------------------------------------------------------


def ablation_bits_figure(
    true_bits: Sequence[int], intact_bits: Sequence[int], ablated_bits: Sequence[int]
) -> go.Figure:
    """Three rows over timesteps (true sum, intact network, ablated network); flipped bits ringed."""
    rows = [_vector(bits, name).astype(int) for bits, name in ((true_bits, "true_bits"), (intact_bits, "intact_bits"))]
    rows.append(_vector(ablated_bits, "ablated_bits").astype(int))
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
    exact = float((grid == 0).mean())
    figure.update_layout(**LAYOUT, title=f"Wrong bits for all {side}×{side} pairs ({exact:.2%} exact)", height=560)
    figure.update_xaxes(range=[-0.5, side - 0.5], title="b")
    figure.update_yaxes(range=[-0.5, side - 0.5], title="a", scaleanchor="x")
    return figure


# --------------------------------------------------------------------------------------------------
# 6. Any length.
# --------------------------------------------------------------------------------------------------


def length_accuracy_figure(
    sum_bits: Sequence[int], exact_accuracy: Sequence[float], trained_bits: int = 8, max_bits: int = 65
) -> go.Figure:
    """Exact accuracy (0–1) against the number of bits in the sum, the training length marked."""
    lengths = _vector(sum_bits, "sum_bits")
    accuracy = _vector(exact_accuracy, "exact_accuracy")
    if lengths.shape != accuracy.shape:
        raise ValueError(f"sum_bits and exact_accuracy must match; got {lengths.size} and {accuracy.size} values.")
    figure = go.Figure(
        go.Scatter(
            x=lengths,
            y=accuracy,
            mode="lines+markers",
            marker={"color": ACCURACY.hex, "size": 8},
            line={"color": ACCURACY.hex},
            hovertemplate="%{x}-bit sums: %{y:.1%} exact<extra></extra>",
        )
    )
    figure.add_vline(x=trained_bits, line={"dash": "dash", "color": NEUTRAL.hex}, annotation_text="trained length")
    figure.update_layout(**LAYOUT, title="Exact accuracy on random pairs, by length of the sum", height=360)
    figure.update_xaxes(range=[0, max_bits + 1], title="bits in the sum (= timesteps run)")
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
    from_input = _vector(unit_from_input, "unit_from_input")
    from_carried = _vector(unit_from_carried_state, "unit_from_carried_state")
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
        from_ablation = _vector(unit_from_ablation, "unit_from_ablation")
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
