"""The step's equations: one timestep of the RNN with its real numbers (its drawing is in
:mod:`explainer.figures.step_drawing`).

Pure functions: an :class:`~explainer.model.trace.AdditionTrace` (or a rule's :class:`~explainer.model.trace.RuleTrace`,
whose step fields are the same) in, LaTeX lines out.
"""

from __future__ import annotations

import numpy as np

from explainer.figures.style import CARRIED_CONTRIBUTION, INPUT_CONTRIBUTION
from explainer.model.trace import AdditionTrace, RuleTrace
from explainer.wording import bits_phrase


def check_timestep(trace: AdditionTrace | RuleTrace, timestep: int) -> None:
    if not 0 <= timestep < trace.timesteps:
        raise ValueError(f"timestep must be between 0 and {trace.timesteps - 1}; got {timestep}.")


def _unit_list(units: np.ndarray) -> str:
    return f"unit{'s' if len(units) > 1 else ''} {', '.join(str(int(unit)) for unit in units)}"


def step_equations(trace: AdditionTrace | RuleTrace, timestep: int) -> list[str]:
    """The equations of step ``timestep`` with their real numbers, as LaTeX lines for the worked example.

    One computed unit is written out in full (:func:`written_unit`, which says why it is that one).
    Units an ablation holds are never written as σ(…): their value is set, not computed, and a line says so.
    """
    check_timestep(trace, timestep)
    bits = trace.input_bits[timestep]
    input_total, recurrent_total = trace.input_part[timestep], trace.recurrent_part[timestep]
    held = trace.held_units
    column = ", ".join(str(bit) for bit in bits)  # W bits: 2 for a sum, 1 to 3 for another rule
    lines = [rf"h_t = \sigma(x_t W_x + h_{{t-1}} W_h), \quad x_{{{timestep}}} = [{column}]"]
    chosen = written_unit(trace, timestep)
    if chosen is not None:
        unit = chosen[0]
        preactivation = trace.pre_activation[timestep, unit]
        # Two short lines rather than one long one: a phone's width holds each.
        lines.append(
            rf"\text{{unit {unit}: }} \underbrace{{{input_total[unit]:+.3f}}}_{{\text{{input}}}}"
            rf" \underbrace{{{recurrent_total[unit]:+.3f}}}_{{\text{{recurrent}}}} = {preactivation:+.3f}"
        )
        lines.append(rf"h_{{{timestep}}} = \sigma({preactivation:+.3f}) = {trace.hidden[timestep, unit]:.4f}")
    values = trace.hidden[timestep]
    for value in sorted({float(values[unit]) for unit in np.flatnonzero(held)}):
        units = np.flatnonzero(held & (values == value))
        lines.append(
            rf"\text{{{_unit_list(units)}: }} h_{{{timestep}}} = {value:g}"
            r"\quad\text{(held by the ablation: set, not computed)}"
        )
    logit, probability = float(trace.output_logit[timestep]), trace.output_probability[timestep]
    lines.append(rf"o_{{{timestep}}} = \sigma(h_{{{timestep}}} W_o) = \sigma({logit:+.3f}) = {probability:.4f}")
    lines.append(rf"\Rightarrow\; \text{{bit}} = {trace.predicted_bits[timestep]}")
    return lines


def written_unit(trace: AdditionTrace | RuleTrace, timestep: int) -> tuple[int, str] | None:
    """The computed unit the equations write out at ``timestep``, and why that one (a sentence).

    The one with the largest memory term |h_(t−1)·W_h| (the part the step adds to what the bits give); at t = 0,
    where every memory term is 0, the one with the largest input term; where those are all 0 too, the first unit.
    ``None`` when an ablation holds every unit.
    """
    check_timestep(trace, timestep)
    computed = np.flatnonzero(~trace.held_units)
    if not computed.size:
        return None
    recurrent, current = trace.recurrent_part[timestep], trace.input_part[timestep]
    if np.abs(recurrent[computed]).max() > 0:
        unit = int(computed[np.argmax(np.abs(recurrent[computed]))])
        return unit, f"Unit {unit} is written out because its memory term is the largest here ({recurrent[unit]:+.2f})."
    if np.abs(current[computed]).max() > 0:
        unit = int(computed[np.argmax(np.abs(current[computed]))])
        return unit, (
            f"Every memory term is 0 here, so unit {unit} is written out because its input term is the largest "
            f"({current[unit]:+.2f})."
        )
    unit = int(computed[0])
    return unit, f"Every unit's input and memory terms are 0 here, so each is σ(0) = 0.5; unit {unit} is written out."


def step_sentences(trace: AdditionTrace | RuleTrace, output_weights: np.ndarray, timestep: int) -> list[str]:
    """What the step drawing shows at ``timestep``, read off its numbers: which part is larger for how many units,
    the largest memory term, and which pushes on the output decide the bit. Plain text (no Markdown).

    ``output_weights`` is W_o as (H,). Only what the numbers show: a reading, not a claim about what a unit does.
    """
    check_timestep(trace, timestep)
    computed = ~trace.held_units
    current, recurrent = trace.input_part[timestep], trace.recurrent_part[timestep]
    bits = trace.input_bits[timestep]
    sentences = []
    if timestep == 0:
        sentences.append("At t = 0 there is no earlier state (h_(−1) = 0), so every memory term is exactly 0.")
    if not current[computed].any():
        sentences.append(f"{bits_phrase(bits).capitalize()}, so every input term is exactly 0 too.")
    if timestep > 0 and current[computed].any():
        more_memory = int((np.abs(recurrent) > np.abs(current))[computed].sum())
        sentences.append(
            f"{more_memory} of {int(computed.sum())} units get more from memory ({CARRIED_CONTRIBUTION.name}) "
            f"than from the bits ({INPUT_CONTRIBUTION.name}) at this step."
        )
    chosen = written_unit(trace, timestep)
    if chosen is not None:
        sentences.append(chosen[1])
    pushes = trace.hidden[timestep] * output_weights
    logit, bit = float(pushes.sum()), int(trace.predicted_bits[timestep])
    order = np.argsort(-np.abs(pushes))
    largest = int(order[0])
    rest = logit - pushes[largest]
    decides = (rest >= 0) != (logit >= 0)
    sentences.append(
        f"The pushes on the output add up to {logit:+.2f}, so the bit is {bit}. The largest is unit {largest}'s "
        f"({pushes[largest]:+.2f}); "
        + (
            f"without it the rest add up to {rest:+.2f}, which would give {1 - bit}."
            if decides
            else f"the rest add up to {rest:+.2f}, which alone would also give {bit}."
        )
    )
    return sentences
