"""The step figure and the step's equations: one timestep of the RNN with its real numbers.

Pure functions: an :class:`~explainer.trace.AdditionTrace` in, LaTeX lines or a Plotly figure out.
"""

from __future__ import annotations

import functools

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.figures import figure_spec, figure_with_traces
from explainer.network import RNNWeights, sigmoid
from explainer.plot_style import (
    AXIS_GRID,
    AXIS_ZERO,
    CARRIED_CONTRIBUTION,
    FONT,
    INK,
    INPUT_CONTRIBUTION,
    NEUTRAL,
)
from explainer.trace import AdditionTrace


def _check_timestep(trace: AdditionTrace, timestep: int) -> None:
    if not 0 <= timestep < trace.timesteps:
        raise ValueError(f"timestep must be between 0 and {trace.timesteps - 1}; got {timestep}.")


def _unit_list(units: np.ndarray) -> str:
    return f"unit{'s' if len(units) > 1 else ''} {', '.join(str(int(unit)) for unit in units)}"


def step_equations(trace: AdditionTrace, timestep: int) -> list[str]:
    """The equations of step ``timestep`` with their real numbers, as LaTeX lines for the worked example.

    One computed unit is written out in full: the one that leans most on memory (at t = 0, on the bits).
    Units an ablation holds are never written as σ(…): their value is set, not computed, and a line says so.
    """
    _check_timestep(trace, timestep)
    bits = trace.input_bits[timestep]
    input_total, recurrent_total = trace.input_part[timestep], trace.recurrent_part[timestep]
    held = trace.held_units
    lines = [rf"h_t = \sigma(x_t W_x + h_{{t-1}} W_h), \quad x_{{{timestep}}} = [{bits[0]}, {bits[1]}]"]
    computed = np.flatnonzero(~held)
    if computed.size:
        drive = np.abs(recurrent_total if timestep > 0 else input_total)
        unit = int(computed[np.argmax(drive[computed])])
        preactivation = input_total[unit] + recurrent_total[unit]
        lines.append(
            rf"\text{{unit {unit}: }} h_{{{timestep}}} = "
            rf"\sigma(\underbrace{{{input_total[unit]:+.3f}}}_{{\text{{input}}}}"
            rf" \underbrace{{{recurrent_total[unit]:+.3f}}}_{{\text{{recurrent}}}}) = \sigma({preactivation:+.3f})"
            rf" = {trace.hidden[timestep, unit]:.4f}"
        )
    values = trace.hidden[timestep]
    for value in sorted({float(values[unit]) for unit in np.flatnonzero(held)}):
        units = np.flatnonzero(held & (values == value))
        lines.append(
            rf"\text{{{_unit_list(units)}: }} h_{{{timestep}}} = {value:g}"
            r"\quad\text{(held by the ablation: set, not computed)}"
        )
    logit, probability = float(trace.output_logit[timestep]), trace.output_probability[timestep]
    lines.append(
        rf"o_{{{timestep}}} = \sigma(h_{{{timestep}}} W_o) = \sigma({logit:+.3f}) = {probability:.4f}"
        rf"\;\Rightarrow\; \text{{bit}} = {trace.predicted_bits[timestep]}"
    )
    return lines


def step_figure(trace: AdditionTrace, weights: RNNWeights, timestep: int) -> go.Figure:
    """What happens inside step ``timestep``, unit by unit.

    Left: each unit's pre-activation split into the input part ``x_t·W_x`` and the recurrent part
    ``h_{t-1}·W_h`` (stacked bars; their sum is marked, and ``h_t`` = σ(sum) is given in the hover, or for a
    unit an ablation holds, the value it is held at: labelled "(held)").
    Right: each unit's push on the output, ``h_t[unit] · W_o[unit]``; the pushes add up to the logit.
    """
    _check_timestep(trace, timestep)
    held = trace.held_units
    # A held unit's value is set by the ablation, not σ(sum): its label and hover say so.
    units = [f"unit {unit} (held)" if held[unit] else f"unit {unit}" for unit in range(trace.hidden_units)]
    input_part = trace.input_part[timestep]
    recurrent_part = trace.recurrent_part[timestep]
    hidden = trace.hidden[timestep]
    preactivation = input_part + recurrent_part
    outcome = [
        f"held at {hidden[unit]:g} by the ablation (σ(sum) would be {sigmoid(preactivation[unit]):.4f})"
        if held[unit]
        else f"h_t = σ(sum) = {hidden[unit]:.4f}"
        for unit in range(trace.hidden_units)
    ]
    pushes = hidden * weights.output_weights[:, 0]  # (H,)
    hover = "%{y}: %{x:+.3f}<extra>%{fullData.name}</extra>"
    bars = [
        {
            "type": "bar",
            "y": units,
            "x": part,
            "orientation": "h",
            "name": name,
            "marker": {"color": colour.hex},
            "hovertemplate": hover,
            "xaxis": "x",
            "yaxis": "y",
        }
        for part, name, colour in (
            (input_part, "x_t·W_x (the bits now)", INPUT_CONTRIBUTION),
            (recurrent_part, "h_{t-1}·W_h (what it remembered)", CARRIED_CONTRIBUTION),
        )
    ]
    markers = {
        "type": "scatter",
        "y": units,
        "x": preactivation,
        "mode": "markers",
        "marker": {"symbol": "line-ns", "size": 14, "line": {"width": 3, "color": INK}},
        "name": "sum → h_t = σ(sum)" + (" unless held" if held.any() else ""),
        "customdata": outcome,
        "hovertemplate": "%{y}: sum %{x:+.3f} → %{customdata}<extra></extra>",
        "xaxis": "x",
        "yaxis": "y",
    }
    push_bars = {
        "type": "bar",
        "y": units,
        "x": pushes,
        "orientation": "h",
        "name": "h_t × W_o",
        "marker": {"color": np.where(pushes >= 0, INK, NEUTRAL.hex).tolist()},
        "hovertemplate": hover,
        "xaxis": "x2",
        "yaxis": "y2",
    }
    figure = figure_with_traces(_step_frame(trace.hidden_units), [*bars, markers, push_bars])
    figure.layout.annotations[1].text = f"{PUSH_TITLE} (sum {pushes.sum():+.2f})"
    return figure


PUSH_TITLE = "Push on the output: h_t × W_o"


@functools.lru_cache(maxsize=16)
def _step_frame(units: int) -> dict:
    """Everything in the step figure that does not depend on the timestep: panels, axes, titles, legend."""
    figure = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=("Pre-activation: input part + recurrent part", PUSH_TITLE),
    )
    figure.update_layout(
        barmode="relative",
        height=170 + 24 * units,
        margin={"l": 70, "r": 20, "t": 50, "b": 30},
        font=FONT,
        legend={"orientation": "h", "y": -0.08},
        plot_bgcolor="white",
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(zeroline=True, zerolinecolor=AXIS_ZERO, gridcolor=AXIS_GRID)
    return figure_spec(figure)
