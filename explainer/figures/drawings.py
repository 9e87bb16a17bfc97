"""The figures a step click changes, drawn as SVG on the server: the unfolded addition and one step inside.

Pure functions: a trace in, an SVG string out (see :mod:`explainer.figures.svg` for why SVG). Like every figure on the
page they take their colours from :mod:`explainer.figures.style`, and the unfolded addition runs right to left
(t = 0 on the right), so a column sits where it sits in a hand-written sum and the carry moves left.
Every element a reader relies on carries ``class`` and ``data-*`` attributes naming what it shows, so tests
read the drawing back as data (``tests/test_figures.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import numpy as np

from explainer.analysis.probe import PROBE_CARRY_IN
from explainer.figures.step_equations import check_timestep
from explainer.figures.style import (
    ACTIVATION_SCALE,
    AXIS_GRID,
    AXIS_ZERO,
    CARRIED_CONTRIBUTION,
    CARRY,
    HIGHLIGHT,
    INK,
    INPUT_CONTRIBUTION,
    NEUTRAL,
    ONE_BIT_FILL,
    WRONG_FILL,
    place_value,
    scale_colours,
    text_colour_on,
)
from explainer.figures.svg import document, element, text, tooltip
from explainer.model.network import RNNWeights, sigmoid
from explainer.model.trace import AdditionTrace

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


def addition_cells(
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


SHADE_FILLS = ("#ffffff", ONE_BIT_FILL, WRONG_FILL)  # an addition cell: plain, a 1 bit, wrong
TIME_AXIS_TITLE = "← time runs this way: the carry moves left, as on paper"
PUSH_TITLE = "Push on the output: h_t × W_o"
# Cell texts are centred in their cell and let the pointer through to the cell's tooltip.
CELL_TEXT = {"fill": INK, "text_anchor": "middle", "dominant_baseline": "central", "pointer_events": "none"}


def _title(x: float, y: float, words: str) -> str:
    return text(x, y, words, text_anchor="start", font_size=14, font_weight=600, fill=INK)


@dataclass(frozen=True)
class UnfoldedDrawing:
    """The unfolded addition as SVG without a chosen column (``body``), and what it takes to mark one.

    Split so that a step click sends only the chosen column's marks (:meth:`chosen_column`, 5–9 kB): the body
    of a 41-column sum is ~190 kB of SVG (~40 kB at 8 columns) that the page draws once per pair.
    :meth:`with_column` gives the whole figure.
    """

    body: str  # holds an empty <g class="chosen-column"> (CHOSEN_PLACEHOLDER) where the marks go
    timesteps: int
    left: float
    column_width: float
    panels: tuple[tuple[float, float], ...]  # (top, height) of each panel
    probability_y: float  # the middle of the addition's "RNN P(1)" row
    output_y: float  # the middle of the output strip
    tick_y: float  # the top of the time axis's labels
    probability_texts: tuple[str, ...]
    output_fills: tuple[str, ...]
    font_size: int  # of the probability labels

    def column_x(self, step: int) -> float:
        return _column_x(self.left, self.column_width, self.timesteps, step)

    def chosen_column(self, timestep: int | None) -> str:
        """The outline of column ``timestep`` in every panel, and the probability and tick labels, which depend
        on it: a long sum writes only every k-th column's, plus the chosen one (:func:`labelled_columns`)."""
        if timestep is not None and not 0 <= timestep < self.timesteps:
            raise ValueError(f"timestep must be between 0 and {self.timesteps - 1}; got {timestep}.")
        parts = []
        for step in labelled_columns(self.timesteps, () if timestep is None else (timestep,)).tolist():
            x = self.column_x(step) + self.column_width / 2
            size = self.font_size
            words = self.probability_texts[step]
            parts.append(_probability_label(x, self.probability_y, words, size, INK, step))
            parts.append(
                _probability_label(x, self.output_y, words, size, text_colour_on(self.output_fills[step]), step)
            )
            parts.append(text(x, self.tick_y + 8, f"t={step}", font_size=11, fill=INK, class_="tick", data_t=step))
            parts.append(text(x, self.tick_y + 23, place_value(step), font_size=11, fill=INK))
        if timestep is not None:
            parts.extend(
                f'<rect x="{self.column_x(timestep):g}" y="{top - 1:g}" width="{self.column_width:g}" '
                f'height="{height + 2:g}" fill="none" stroke="{HIGHLIGHT.hex}" stroke-width="3" class="outline"/>'
                for top, height in self.panels
            )
        return "".join(parts)

    def with_column(self, timestep: int | None) -> str:
        """The whole figure, with column ``timestep`` outlined (``None``: none)."""
        marks = "" if timestep is None else f' data-t="{timestep}"'
        return self.body.replace(
            CHOSEN_PLACEHOLDER, f'<g class="chosen-column"{marks}>{self.chosen_column(timestep)}</g>'
        )


CHOSEN_PLACEHOLDER = '<g class="chosen-column"></g>'


def _column_x(left: float, column_width: float, timesteps: int, step: int) -> float:
    """The left edge of column ``step``: t = 0 is the rightmost column, as on paper."""
    return left + (timesteps - 1 - step) * column_width


def _probability_label(x: float, y: float, words: str, size: int, colour: str, step: int) -> str:
    return text(
        x, y, words, font_size=size, fill=colour, class_="cell-text probability", data_t=step, pointer_events="none"
    )


def unfolded_drawing(
    trace: AdditionTrace,
    probe_carry: np.ndarray | None = None,
    highlighted_units: tuple[int, ...] = (),
    compact: bool = False,
    label: str = "Column addition with the hidden-state heatmap and output probability under each column.",
) -> UnfoldedDrawing:
    """The column addition, the hidden state and the output, stacked over one shared timestep axis.

    - Top: the addition as written by hand (``ADDITION_ROWS``), one column per timestep, bits shaded, wrong
      cells in the warning tint; with ``probe_carry`` (T,), the carry out a linear probe reads from each h_t,
      written one column to the left as the probe's carry in (read from h_{t−1}).
    - Middle: ``trace.hidden`` as a units × timesteps heatmap on Cividis over the fixed range [0, 1].
    - Bottom: ``trace.output_probability`` as a one-row strip on the same scale.
    ``highlighted_units`` outlines those units' rows; the chosen column is outlined by
    :meth:`UnfoldedDrawing.with_column`. ``compact`` suits half-width columns: smaller cells and text,
    probabilities to one decimal. Every value is in the tooltip of its cell; long sums write only the
    probability labels that fit (:func:`labelled_columns`).
    """
    probability_format = ".1f" if compact else ".2f"
    timesteps, units = trace.timesteps, trace.hidden_units
    rows, texts, shades = addition_cells(trace, probe_carry, probability_format)
    probability_row = rows.index("RNN P(1)")

    # Columns share a target width (less in a half-width column), within bounds that keep a digit legible.
    target, narrowest, widest = (420, 12, 30) if compact else (900, 16, 46)
    column_width = int(np.clip(round(target / timesteps), narrowest, widest))
    left, row_height, unit_height = (92, 20, 11) if compact else (118, 26, 16)
    cell_font, label_font, probability_font = (11, 9, 10) if compact else (15, 11, 12)
    grid_width = column_width * timesteps
    width = left + grid_width + 64

    def column_x(step: int) -> float:
        return _column_x(left, column_width, timesteps, step)

    parts: list[str] = []
    panels: list[tuple[float, float]] = []

    # The addition. Cells are written as plain f-strings (not element()): a 41-column sum has ~1,000 of them, and
    # a new pair's drawing is part of the server's cost of that change. Texts are escaped once per row.
    top = 26
    parts.append(_title(left, 12, "The addition, column by column"))
    cells = []
    for row_index, (row, row_texts, row_shades) in enumerate(zip(rows, texts, shades, strict=True)):
        y = top + row_index * row_height
        name = escape(row, quote=True)
        cells.append(text(left - 8, y + row_height / 2, row, text_anchor="end", font_size=13, fill=INK))
        written = row_index != probability_row  # probabilities are written with the chosen column (chosen_column)
        for step in range(timesteps):
            x = column_x(step)
            words = escape(row_texts[step], quote=False)
            cells.append(
                f'<rect x="{x + 1:g}" y="{y + 1:g}" width="{column_width - 2}" height="{row_height - 2}" '
                f'fill="{SHADE_FILLS[row_shades[step]]}" class="cell" data-row="{name}" data-t="{step}" '
                f'data-shade="{row_shades[step]}"><title>{name} at t={step}: {words}</title></rect>'
            )
            if written:
                cells.append(
                    f'<text x="{x + column_width / 2:g}" y="{y + row_height / 2:g}" class="cell-text" '
                    f'data-row="{name}" data-t="{step}">{words}</text>'
                )
    parts.append(element("g", "".join(cells), class_="panel addition", font_size=cell_font, **CELL_TEXT))
    panels.append((top, row_height * len(rows)))
    probability_y = top + (probability_row + 0.5) * row_height

    # The hidden state.
    top += row_height * len(rows) + 34
    parts.append(_title(left, top - 14, f"Hidden state h_t ({units} units)"))
    colours = scale_colours(trace.hidden, ACTIVATION_SCALE)
    inputs = [
        f"a={a_bit}, b={b_bit}, carry in={carry}"
        for (a_bit, b_bit), carry in zip(trace.input_bits, trace.carry_in, strict=True)
    ]
    cells = []
    for unit in range(units):
        y = top + unit * unit_height
        cells.append(
            text(left - 8, y + unit_height / 2, f"unit {unit}", text_anchor="end", font_size=label_font, fill=INK)
        )
        for step in range(timesteps):
            cells.append(
                f'<rect x="{column_x(step):g}" y="{y:g}" width="{column_width - 1}" height="{unit_height - 1}" '
                f'fill="{colours[step, unit]}" data-unit="{unit}" data-t="{step}">'
                f"<title>unit {unit}, t={step}: h = {trace.hidden[step, unit]:.4f} ({inputs[step]})</title></rect>"
            )
    for unit in highlighted_units:
        cells.append(
            element(
                "rect",
                x=left - 2,
                y=top + unit * unit_height - 1,
                width=grid_width + 3,
                height=unit_height + 1,
                fill="none",
                stroke=CARRY.hex,
                stroke_width=1.5,
                stroke_dasharray="2 2",
                class_="carry-unit",
                data_unit=unit,
            )
        )
    parts.append(element("g", "".join(cells), class_="panel hidden-state"))
    panels.append((top, unit_height * units))
    parts.append(_colour_bar(left + grid_width + 16, top, unit_height * units))

    # The output.
    top += unit_height * units + 34
    parts.append(_title(left, top - 14, "Output o_t"))
    output_fills = scale_colours(trace.output_probability, ACTIVATION_SCALE).tolist()
    cells = [text(left - 8, top + row_height / 2, "P(bit = 1)", text_anchor="end", font_size=13, fill=INK)]
    cells.extend(
        f'<rect x="{column_x(step):g}" y="{top:g}" width="{column_width - 1}" height="{row_height}" '
        f'fill="{output_fills[step]}" data-t="{step}"><title>t={step}: o = {probability:.4f}</title></rect>'
        for step, probability in enumerate(trace.output_probability)
    )
    parts.append(element("g", "".join(cells), class_="panel output"))
    panels.append((top, row_height))
    output_y = top + row_height / 2

    # The time axis (its labels are drawn with the chosen column), then which way time runs.
    top += row_height + 6
    parts.append(text(left + grid_width / 2, top + 46, TIME_AXIS_TITLE, font_size=13, fill=INK))
    parts.append(CHOSEN_PLACEHOLDER)  # drawn last: on top of every panel
    return UnfoldedDrawing(
        body=document(width, top + 60, "".join(parts), label=label, class_="unfolded-drawing"),
        timesteps=timesteps,
        left=left,
        column_width=column_width,
        panels=tuple(panels),
        probability_y=probability_y,
        output_y=output_y,
        tick_y=top,
        probability_texts=tuple(texts[probability_row]),
        output_fills=tuple(output_fills),
        font_size=probability_font,
    )


def _colour_bar(x: float, top: float, height: float) -> str:
    """The activation scale from 0 (bottom) to 1 (top), beside the heatmap it explains."""
    fractions = np.linspace(0.0, 1.0, 11)
    stops = "".join(
        element("stop", offset=f"{fraction:g}", stop_color=colour)
        for fraction, colour in zip(fractions, scale_colours(fractions, ACTIVATION_SCALE), strict=True)
    )
    gradient = element("linearGradient", stops, id="activation-scale", x1=0, y1=1, x2=0, y2=0)
    ticks = "".join(
        text(x + 18, top + (1 - value) * height, f"{value:g}", text_anchor="start", font_size=11, fill=INK)
        for value in (0.0, 0.5, 1.0)
    )
    return element(
        "g",
        element("defs", gradient)
        + element("rect", x=x, y=top, width=12, height=height, fill="url(#activation-scale)")
        + ticks
        + text(x, top - 16, "value", text_anchor="start", font_size=11, fill=INK),
        class_="colour-bar",
    )


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


def step_drawing(trace: AdditionTrace, weights: RNNWeights, timestep: int) -> str:
    """What happens inside step ``timestep``, unit by unit.

    Left: each unit's pre-activation split into the input part ``x_t·W_x`` and the recurrent part
    ``h_{t-1}·W_h``, stacked as Plotly's relative bars are (positives rightwards from 0, negatives leftwards),
    with their sum marked; the sum's tooltip gives ``h_t`` = σ(sum), or for a unit an ablation holds, the value
    it is held at (its label says "(held)").
    Right: each unit's push on the output, ``h_t[unit] · W_o[unit]``; the pushes add up to the logit.
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

    left, top, row_height = 112, 34, 22
    split_axis = _Axis(extents, left, 440)
    push_axis = _Axis(pushes, left + 470, 280)
    width = left + 470 + 280 + 20
    panel_height = row_height * units
    parts = [
        _title(left, 14, "Pre-activation: input part + recurrent part"),
        _title(left + 470, 14, f"{PUSH_TITLE} (sum {pushes.sum():+.2f})"),
        split_axis.grid(top, panel_height),
        push_axis.grid(top, panel_height),
    ]
    sum_name = "sum → h_t = σ(sum)" + (" unless held" if held.any() else "")
    for unit in range(units):
        y = top + unit * row_height
        name = f"unit {unit} (held)" if held[unit] else f"unit {unit}"
        bar_y, bar_height = y + row_height * 0.2, row_height * 0.6
        parts.append(text(left - 8, y + row_height / 2, name, text_anchor="end", font_size=12, fill=INK))
        for start, value, class_, part_name, colour in (
            (input_start[unit], input_part[unit], "input-part", "x_t·W_x (the bits now)", INPUT_CONTRIBUTION.hex),
            (
                recurrent_start[unit],
                recurrent_part[unit],
                "recurrent-part",
                "h_{t-1}·W_h (what it remembered)",
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
            else f"h_t = σ(sum) = {hidden[unit]:.4f}"
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
        tip = f"{name}: {push:+.3f} (h_t × W_o)"
        parts.append(_bar(push_axis, min(push, 0.0), push, bar_y, bar_height, tip, colour, "push", unit))
    legend_y = top + panel_height + 34
    legend = []
    x = left
    for colour, words in (
        (INPUT_CONTRIBUTION.hex, "x_t·W_x (the bits now)"),
        (CARRIED_CONTRIBUTION.hex, "h_{t-1}·W_h (what it remembered)"),
        (INK, sum_name),
        (NEUTRAL.hex, "h_t × W_o below zero"),
    ):
        marker_width = 3 if words == sum_name else 14
        legend.append(element("rect", x=x, y=legend_y - 7, width=marker_width, height=14, fill=colour))
        legend.append(text(x + marker_width + 6, legend_y, words, text_anchor="start", font_size=12, fill=INK))
        x += marker_width + 16 + 7.2 * len(words)
    parts.append(element("g", "".join(legend), class_="legend"))
    return document(
        max(width, x),
        legend_y + 16,
        "".join(parts),
        label="Per-unit input and recurrent contributions at the chosen step, and each unit's push on the output.",
        class_="step-drawing",
    )
