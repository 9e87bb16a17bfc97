"""The step's equations: one timestep of the RNN with its real numbers (its drawing is in
:mod:`explainer.figures.step_drawing`).

Pure functions: an :class:`~explainer.model.trace.AdditionTrace` in, LaTeX lines out.
"""

from __future__ import annotations

import numpy as np

from explainer.model.trace import AdditionTrace


def check_timestep(trace: AdditionTrace, timestep: int) -> None:
    if not 0 <= timestep < trace.timesteps:
        raise ValueError(f"timestep must be between 0 and {trace.timesteps - 1}; got {timestep}.")


def _unit_list(units: np.ndarray) -> str:
    return f"unit{'s' if len(units) > 1 else ''} {', '.join(str(int(unit)) for unit in units)}"


def step_equations(trace: AdditionTrace, timestep: int) -> list[str]:
    """The equations of step ``timestep`` with their real numbers, as LaTeX lines for the worked example.

    One computed unit is written out in full: the one that leans most on memory (at t = 0, on the bits).
    Units an ablation holds are never written as σ(…): their value is set, not computed, and a line says so.
    """
    check_timestep(trace, timestep)
    bits = trace.input_bits[timestep]
    input_total, recurrent_total = trace.input_part[timestep], trace.recurrent_part[timestep]
    held = trace.held_units
    lines = [rf"h_t = \sigma(x_t W_x + h_{{t-1}} W_h), \quad x_{{{timestep}}} = [{bits[0]}, {bits[1]}]"]
    computed = np.flatnonzero(~held)
    if computed.size:
        drive = np.abs(recurrent_total if timestep > 0 else input_total)
        unit = int(computed[np.argmax(drive[computed])])
        preactivation = trace.pre_activation[timestep, unit]
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
