"""One step inside the network, drawn as SVG on the server: each unit's pre-activation and its push on the output.

A pure function: a trace and the weights in, an SVG string out (see :mod:`explainer.figures.svg` for why SVG), in the
colours of :mod:`explainer.figures.style`. Bars carry ``class`` and ``data-*`` attributes naming the unit and value
they show, so tests read the drawing back as data (``tests/test_figures.py``). The whole sum's drawing is
:mod:`explainer.figures.unfolded_drawing`.
"""

from __future__ import annotations

import math

import numpy as np

from explainer.figures.step_equations import check_timestep
from explainer.figures.style import (
    AXIS_GRID,
    AXIS_ZERO,
    CARRIED_CONTRIBUTION,
    INK,
    INPUT_CONTRIBUTION,
    NEUTRAL,
    math_text,
)
from explainer.figures.svg import document, element, panel_title, text, tooltip
from explainer.model.network import RNNWeights, sigmoid
from explainer.model.trace import AdditionTrace, RuleTrace
from explainer.wording import bits_phrase

PUSH_TITLE = math_text("Push on the output: h_t × W_o")


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 × 10^k apart) covering [low, high], about ``count`` of them."""
    span = max(high - low, 1e-9)
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= raw)
    first = math.ceil(low / step - 1e-9)
    return [round(index * step, 10) for index in range(first, math.floor(high / step + 1e-9) + 1)]


class _Axis:
    """Data values → pixels across one panel of the step drawing, with a margin so no bar touches the edge."""

    def __init__(self, values: np.ndarray, left: float, width: float) -> None:
        low, high = min(float(values.min()), 0.0), max(float(values.max()), 0.0)
        if high - low < 1e-6:  # every value is 0 (e.g. t = 0 with bits 0 and 0): a readable axis, not ±5e-08
            low, high = -1.0, 1.0
        margin = 0.06 * max(high - low, 1e-6)
        self.low, self.high, self.left, self.width = low - margin, high + margin, left, width

    def __call__(self, value: float) -> float:
        return self.left + (value - self.low) / (self.high - self.low) * self.width

    def grid(self, top: float, height: float) -> str:
        """Grid lines at round values, the zero line darker, and their labels under the panel."""
        parts = []
        for value in nice_ticks(self.low, self.high):
            x = self(value)
            parts.append(
                element(
                    "line",
                    x1=x,
                    x2=x,
                    y1=top,
                    y2=top + height,
                    stroke=AXIS_ZERO if value == 0 else AXIS_GRID,
                    stroke_width=1.5 if value == 0 else 1,
                )
            )
            parts.append(text(x, top + height + 12, f"{value:g}", font_size=11, fill=INK))
        return "".join(parts)


def _bar(
    axis: _Axis, start: float, value: float, top: float, height: float, tip: str, fill: str, class_: str, unit: int
) -> str:
    """A horizontal bar of length |``value``| whose left end is at ``start`` on ``axis``; it carries its unit and
    exact value as data (the tests read them back)."""
    return element(
        "rect",
        tooltip(tip),
        x=axis(start),
        y=top,
        width=axis(start + abs(value)) - axis(start),
        height=height,
        fill=fill,
        class_=class_,
        data_unit=unit,
        data_value=repr(float(value)),
    )


def step_drawing(trace: AdditionTrace | RuleTrace, weights: RNNWeights, timestep: int) -> str:
    """What happens inside step ``timestep``, unit by unit.

    Above: each unit's pre-activation split into the input part ``x_t·W_x`` and the recurrent part
    ``h_{t-1}·W_h``, stacked as Plotly's relative bars are (positives rightwards from 0, negatives leftwards),
    with their sum marked; the sum's tooltip gives ``h_t`` = σ(sum), or for a unit an ablation holds, the value
    it is held at (its label says "(held)").
    Below: each unit's push on the output, ``h_t[unit] · W_o[unit]``; the pushes add up to the logit.
    """
    check_timestep(trace, timestep)
    held = trace.held_units
    units = trace.hidden_units
    input_part = trace.input_part[timestep]
    recurrent_part = trace.recurrent_part[timestep]
    hidden = trace.hidden[timestep]
    preactivation = trace.pre_activation[timestep]
    pushes = hidden * weights.output_weights[:, 0]
    # Where each stacked segment starts: on the positive or the negative stack.
    input_start = np.minimum(input_part, 0.0)
    recurrent_start = np.where(recurrent_part >= 0, np.maximum(input_part, 0.0), np.minimum(input_part, 0.0))
    recurrent_start = np.where(recurrent_part >= 0, recurrent_start, recurrent_start + recurrent_part)
    extents = np.concatenate(
        [
            input_start,
            input_start + np.abs(input_part),
            recurrent_start,
            recurrent_start + np.abs(recurrent_part),
            preactivation,
        ]
    )

    # The push panel sits under the split panel, not beside it: beside the unfolded addition the drawing has about
    # 600 px, and side by side the two panels would need 880 px at 11 px text (it would scroll, half hidden).
    left, top, row_height, panel_width = 112, 34, 22, 440
    panel_height = row_height * units
    push_top = top + panel_height + 56  # under the split panel's tick labels and the push panel's title
    split_axis = _Axis(extents, left, panel_width)
    push_axis = _Axis(pushes, left, panel_width)
    width = left + panel_width + 20
    parts = [
        panel_title(left, 14, "Pre-activation: input part + recurrent part", INK),
        panel_title(left, push_top - 20, f"{PUSH_TITLE} (sum {pushes.sum():+.2f})", INK),
        split_axis.grid(top, panel_height),
        push_axis.grid(push_top, panel_height),
    ]
    sum_name = math_text("sum → h_t = σ(sum)") + (" unless held" if held.any() else "")
    for unit in range(units):
        y = top + unit * row_height
        name = f"unit {unit} (held)" if held[unit] else f"unit {unit}"
        bar_y, bar_height = y + row_height * 0.2, row_height * 0.6
        push_y = push_top + unit * row_height
        for label_y in (y, push_y):
            parts.append(text(left - 8, label_y + row_height / 2, name, text_anchor="end", font_size=12, fill=INK))
        for start, value, class_, part_name, colour in (
            (
                input_start[unit],
                input_part[unit],
                "input-part",
                math_text("x_t·W_x (the bits now)"),
                INPUT_CONTRIBUTION.hex,
            ),
            (
                recurrent_start[unit],
                recurrent_part[unit],
                "recurrent-part",
                math_text("h_(t−1)·W_h (what it remembered)"),
                CARRIED_CONTRIBUTION.hex,
            ),
        ):
            parts.append(
                _bar(
                    split_axis,
                    start,
                    value,
                    bar_y,
                    bar_height,
                    f"{name}: {value:+.3f} ({part_name})",
                    colour,
                    class_,
                    unit,
                )
            )
        outcome = (
            f"held at {hidden[unit]:g} by the ablation (σ(sum) would be {sigmoid(preactivation[unit]):.4f})"
            if held[unit]
            else math_text("h_t = σ(sum) = ") + f"{hidden[unit]:.4f}"
        )
        x = split_axis(preactivation[unit])
        parts.append(
            element(
                "rect",
                tooltip(f"{name}: sum {preactivation[unit]:+.3f} → {outcome}"),
                x=x - 1.5,
                y=y + row_height * 0.1,
                width=3,
                height=row_height * 0.8,
                fill=INK,
                class_="sum-marker",
                data_unit=unit,
                data_value=repr(float(preactivation[unit])),
                data_outcome=outcome,
                data_label=name,
            )
        )
        push = pushes[unit]
        colour = INK if push >= 0 else NEUTRAL.hex
        tip = f"{name}: {push:+.3f} ({math_text('h_t × W_o')})"
        push_bar_y = push_y + row_height * 0.2
        parts.append(_bar(push_axis, min(push, 0.0), push, push_bar_y, bar_height, tip, colour, "push", unit))
    legend_y = push_top + panel_height + 34
    legend = []
    # Two rows of two, so the legend stays within the drawing's width (one row ran past it on a phone).
    for row, entries in enumerate(
        (
            (
                (INPUT_CONTRIBUTION.hex, math_text("x_t·W_x (the bits now)")),
                (CARRIED_CONTRIBUTION.hex, math_text("h_(t−1)·W_h (memory)")),
            ),
            ((INK, sum_name), (NEUTRAL.hex, math_text("h_t × W_o below zero"))),
        )
    ):
        y = legend_y + row * 22
        for column, (colour, words) in enumerate(entries):
            x = left + column * 300
            marker_width = 3 if words == sum_name else 14
            legend.append(element("rect", x=x, y=y - 7, width=marker_width, height=14, fill=colour))
            legend.append(text(x + marker_width + 6, y, words, text_anchor="start", font_size=12, fill=INK))
    if not extents.any():  # nothing to draw on the left: say why, in place of the bars
        # Short lines, so the note stays left of the zero line.
        lines = ["Every part is exactly 0:", bits_phrase(trace.input_bits[timestep])]
        if timestep == 0:
            lines[-1] += ","
            lines += ["and at t = 0 there is", math_text("no earlier state (h_(−1) = 0).")]
        for line, words in enumerate(lines):
            parts.append(
                text(
                    left + 8,
                    top + 16 + 16 * line,
                    words,
                    text_anchor="start",
                    font_size=12,
                    fill=INK,
                    class_="all-zero",
                )
            )
    parts.append(element("g", "".join(legend), class_="legend"))
    return document(
        width,
        legend_y + 38,
        "".join(parts),
        label="Per-unit input and recurrent contributions at the chosen step, and each unit's push on the output.",
        class_="step-drawing",
    )
