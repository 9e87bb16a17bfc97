"""Plotly figures for one addition. Pure functions: data in, ``plotly.graph_objects.Figure`` out.

Every timestep axis runs right to left (t = 0 on the right), so a column of the figure sits exactly where
that column sits in a hand-written addition: the least significant bit is on the right, and time (and the
carry) moves left, as it does on paper.
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.analysis.probe import PROBE_CARRY_IN
from explainer.network import RNNWeights
from explainer.plot_style import (
    ACTIVATION_SCALE,
    CARRY,
    FONT,
    HIGHLIGHT,
    ONE_BIT_FILL,
    WEIGHT_SCALE,
    WRONG_FILL,
    timestep_labels,
)
from explainer.trace import AdditionTrace

# Rows of the unfolded addition, top to bottom, as written by hand plus what the network said.
ADDITION_ROWS = ("carry in", "a", "b", "a + b", "RNN P(1)", "RNN bit", "right?")


PROBABILITY_LABELS_FIT = 16


def labelled_columns(timesteps: int, keep: tuple[int, ...] = ()) -> np.ndarray:
    """The columns whose probability (and timestep tick) is written on a chart of ``timesteps`` columns.

    All of them up to ``PROBABILITY_LABELS_FIT``; beyond, every k-th from t = 0 so at most that many fit, plus
    the columns in ``keep``, whose neighbours closer than k columns give way so no two labels touch.
    """
    every = -(-timesteps // PROBABILITY_LABELS_FIT)  # ceiling division
    kept = {step for step in keep if 0 <= step < timesteps}
    regular = {step for step in range(0, timesteps, every) if all(abs(step - other) >= every for other in kept)}
    return np.array(sorted(kept | regular), dtype=int)


def _addition_cells(
    trace: AdditionTrace, probe_carry: np.ndarray | None, probability_format: str = ".2f"
) -> tuple[list[str], list, list]:
    """Row names, cell texts and cell shades for the unfolded addition (rows × T)."""
    rows = list(ADDITION_ROWS)
    texts = [
        [str(bit) for bit in trace.carry_in],
        [str(bit) for bit in trace.input_bits[:, 0]],
        [str(bit) for bit in trace.input_bits[:, 1]],
        [str(bit) for bit in trace.sum_bits],
        [f"{probability:{probability_format}}" for probability in trace.output_probability],
        [str(bit) for bit in trace.predicted_bits],
        ["✓" if right else "✗" for right in trace.correct],
    ]
    # Shades: 0 plain, 1 a "1" bit (light), 2 wrong (alarm). Bits are shaded so the pattern reads at a glance.
    bit_shade = [[1 if text == "1" else 0 for text in row] for row in texts[:4]]
    shades = [
        *bit_shade,
        [0] * trace.timesteps,
        [1 if bit else 0 for bit in trace.predicted_bits],
        [0 if right else 2 for right in trace.correct],
    ]
    if probe_carry is not None:
        probe = [int(bit) for bit in probe_carry]
        # The probe reads the carry *out* of column t from h_t; written under the carry row, it is shown
        # one column to the left, where that carry arrives, so it lines up with "carry in".
        shifted = [None, *probe[:-1]]
        truth = trace.carry_in.tolist()
        first_wrong = next((step for step in range(trace.timesteps) if shifted[step] not in (None, truth[step])), None)
        rows.insert(1, PROBE_CARRY_IN)  # read from h_{t−1}: see PROBE_CARRY_IN_LABEL
        texts.insert(1, ["·" if bit is None else str(bit) for bit in shifted])
        shades.insert(1, [2 if step == first_wrong else (1 if bit == 1 else 0) for step, bit in enumerate(shifted)])
    return rows, texts, shades


def unfolded_figure(
    trace: AdditionTrace,
    timestep: int | None = None,
    probe_carry: np.ndarray | None = None,
    highlighted_units: tuple[int, ...] = (),
    compact: bool = False,
) -> go.Figure:
    """The column addition, the hidden state and the output, stacked on one shared timestep axis.

    - Top: the addition as written by hand (rows ``ADDITION_ROWS``), one column per timestep.
    - Middle: ``trace.hidden`` as a units × timesteps heatmap, fixed range [0, 1].
    - Bottom: ``trace.output_probability`` as a one-row strip on the same scale.
    ``timestep`` outlines that column in all three; ``probe_carry`` (T,) is the carry out a linear probe
    reads from each h_t, written one column to the left as the probe's carry in (read from h_{t−1});
    ``highlighted_units`` marks those units' rows. ``compact`` suits half-width columns: smaller text and
    probabilities to one decimal, so neighbouring cells do not overlap.
    """
    probability_format = ".1f" if compact else ".2f"
    timesteps, units = trace.timesteps, trace.hidden_units
    steps = np.arange(timesteps)
    rows, texts, shades = _addition_cells(trace, probe_carry, probability_format)
    labelled = labelled_columns(timesteps, () if timestep is None else (timestep,))  # wrong ones show ✗ anyway
    probability_row = rows.index("RNN P(1)")
    shown_texts = [list(row) for row in texts]  # what is written in the cells; hover always has every value
    shown_texts[probability_row] = [
        text if step in labelled else "" for step, text in enumerate(texts[probability_row])
    ]
    output_texts = [
        f"{value:{probability_format}}" if step in labelled else ""
        for step, value in enumerate(trace.output_probability)
    ]
    # Hover data per cell: the input bits of that column, so a reader sees what the unit responded to.
    bits_text = [
        f"a={a_bit}, b={b_bit}, carry in={carry}"
        for (a_bit, b_bit), carry in zip(trace.input_bits, trace.carry_in, strict=True)
    ]
    traces = [
        {
            "type": "heatmap",
            "x": steps,
            "y": rows,
            "z": shades,
            "text": shown_texts,
            "customdata": texts,
            "texttemplate": "%{text}",
            "textfont": {"size": 11 if compact else 15},
            "colorscale": [[0, "#ffffff"], [0.5, ONE_BIT_FILL], [1, WRONG_FILL]],
            "zmin": 0,
            "zmax": 2,
            "showscale": False,
            "xgap": 2,
            "ygap": 2,
            "hovertemplate": "%{y} at t=%{x}: %{customdata}<extra></extra>",
            "name": "addition",
            "xaxis": "x",
            "yaxis": "y",
        },
        {
            "type": "heatmap",
            "x": steps,
            "y": [f"unit {unit}" for unit in range(units)],
            "z": trace.hidden.T,  # (H, T)
            "customdata": np.array([bits_text] * units),
            "coloraxis": "coloraxis",
            "xgap": 1,
            "ygap": 1,
            "hovertemplate": "%{y}, t=%{x}<br>h = %{z:.4f}<br>%{customdata}<extra></extra>",
            "name": "hidden state",
            "xaxis": "x2",
            "yaxis": "y2",
        },
        {
            "type": "heatmap",
            "x": steps,
            "y": ["P(bit = 1)"],
            "z": trace.output_probability[None, :],
            "text": [output_texts],
            "texttemplate": "%{text}",
            "coloraxis": "coloraxis",
            "xgap": 1,
            "hovertemplate": "t=%{x}: o = %{z:.4f}<extra></extra>",
            "name": "output",
            "xaxis": "x3",
            "yaxis": "y3",
        },
    ]
    frame = _unfolded_frame(len(rows), units, timesteps, tuple(int(step) for step in labelled))
    figure = figure_with_traces(frame, traces)
    if timestep is not None:
        _outline_column(figure, timestep)
    for unit in highlighted_units:
        figure.add_shape(
            type="rect",
            xref="x2 domain",
            yref="y2",
            x0=0,
            x1=1,
            y0=unit - 0.5,
            y1=unit + 0.5,
            line={"color": CARRY.hex, "width": 1.5, "dash": "dot"},
        )
    return figure


@functools.lru_cache(maxsize=64)
def _unfolded_frame(addition_rows: int, units: int, timesteps: int, labelled: tuple[int, ...]) -> dict:
    """Everything in the unfolded figure that depends only on its size (and on which columns get a tick label):
    panels, axes, colour axis, titles."""
    steps = np.arange(timesteps)
    figure = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.05,
        row_heights=[addition_rows, max(units, 4) * 0.9, 1.2],
        subplot_titles=("The addition, column by column", f"Hidden state h_t ({units} units)", "Output o_t"),
    )
    figure.update_layout(
        coloraxis={
            "colorscale": ACTIVATION_SCALE,
            "cmin": 0.0,
            "cmax": 1.0,
            "colorbar": {"title": "value", "len": 0.6, "y": 0.4},
        },
        height=260 + 22 * (addition_rows + units),
        margin={"l": 110, "r": 20, "t": 40, "b": 40},
        font=FONT,
        plot_bgcolor="white",
    )
    for row in (1, 2, 3):
        figure.update_yaxes(autorange="reversed", row=row, col=1, showgrid=False)
        # Reversed: t = 0 (the 2⁰ column) on the right, as in a written addition.
        figure.update_xaxes(autorange="reversed", row=row, col=1, showgrid=False, tickmode="array", tickvals=steps)
    figure.update_xaxes(
        tickvals=list(labelled),
        ticktext=[timestep_labels(timesteps)[step] for step in labelled],
        row=3,
        col=1,
        title_text="← time runs this way: the carry moves left, as on paper",
    )
    return figure_spec(figure)


def _outline_column(figure: go.Figure, timestep: int) -> None:
    for shape in column_outlines(timestep):
        figure.add_shape(**shape)


def column_outlines(timestep: int) -> list[dict]:
    """One rectangle per panel of the unfolded figure around column ``timestep``, so the chosen step stands out
    everywhere. As Plotly JSON shapes: the page adds them to a cached figure of the same trace on each click."""
    return [
        {
            "type": "rect",
            "xref": f"x{axis}",
            "yref": f"y{axis} domain",
            "x0": timestep - 0.5,
            "x1": timestep + 0.5,
            "y0": 0,
            "y1": 1,
            "line": {"color": HIGHLIGHT.hex, "width": 3},
            "fillcolor": "rgba(0,0,0,0)",
        }
        for axis in ("", "2", "3")
    ]


def figure_spec(figure: go.Figure) -> dict:
    """``figure`` as plain Plotly JSON (picklable, cacheable) that keeps its subplot grid, so
    ``add_trace(row=, col=)`` still works on a copy: the form Plotly itself uses to pickle a figure."""
    return figure.__reduce__()[1][0]


def figure_from_spec(spec: dict, private: bool = False) -> go.Figure:
    """A new figure on a copy of ``spec`` (from :func:`figure_spec`), or on ``spec`` itself if it is ``private``
    (e.g. just unpickled from a cache: nothing else holds it). ``spec`` was validated when its figure was built;
    Plotly would check every property again (make_subplots and update_layout alone cost ~10 ms per figure, on
    every click), so it is not re-validated. Traces added to the figure are validated as they are made."""
    return go.Figure(spec if private else copy.deepcopy(spec), _validate=False)


def figure_with_traces(frame: dict, traces: list[dict]) -> go.Figure:
    """A new figure on a copy of ``frame`` (from :func:`figure_spec`) with ``traces`` added as they are: plain Plotly
    JSON, each naming its axes (``"xaxis": "x2"`` for row 2 of a one-column grid), not validated. Validating them
    (building ``go.Heatmap``/``go.Bar`` objects) was a third of the server's work for a new pair; the tests validate
    each such figure once instead (``tests/test_figures.py``)."""
    spec = copy.deepcopy(frame)
    spec["data"] = [*spec["data"], *traces]
    return go.Figure(spec, _validate=False)


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
