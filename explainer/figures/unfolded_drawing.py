"""The unfolded addition, drawn as SVG on the server: the sum as written by hand, the hidden state and the output.

A pure function: a trace in, an SVG string out (see :mod:`explainer.figures.svg` for why SVG). Like every figure on
the page it takes its colours from :mod:`explainer.figures.style`, and it runs right to left (t = 0 on the right), so
a column sits where it sits in a hand-written sum and the carry moves left. Every element a reader relies on carries
``class`` and ``data-*`` attributes naming what it shows, so tests read the drawing back as data
(``tests/test_figures.py``). The step's own drawing is :mod:`explainer.figures.step_drawing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np

from explainer.analysis.probe import PROBE_CARRY_IN
from explainer.figures.columns import COLUMN_STYLE, column_controls
from explainer.figures.columns import column_x as _column_x
from explainer.figures.style import (
    ACTIVATION_SCALE,
    CARRY,
    HIGHLIGHT,
    INK,
    ONE_BIT_FILL,
    WRONG_FILL,
    math_text,
    place_value,
    scale_colours,
    text_colour_on,
)
from explainer.figures.svg import document, element, panel_title, text
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
# Cell texts are centred in their cell and let the pointer through to the cell's tooltip.
CELL_TEXT = {"fill": INK, "text_anchor": "middle", "dominant_baseline": "central", "pointer_events": "none"}


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
    row_height: float  # of the addition's rows
    # What a step has not reached yet, as (top, height) bands: the carry rows (written one column to the left of
    # the column that makes the carry) and the rows the network writes (the answer, the hidden state, the output).
    carry_band: tuple[float, float]
    answer_bands: tuple[tuple[float, float], ...]
    sum_row_top: float  # the top of the "a + b" row, where a column's carry out comes from
    carry_out: tuple[int | str, ...]  # the true carry out of each column (the next column's carry in)
    state_called: str = "carry"  # what the arrow carries: addition's carry, or a rule's state (borrow, remainder…)
    place_values: bool = True  # each column's 2ᵗ under its tick (not for a bracket string: its columns are no bits)

    def column_x(self, step: int) -> float:
        return _column_x(self.left, self.column_width, self.timesteps, step)

    def chosen_column(self, timestep: int | None, unfold: bool = False) -> str:
        """The outline of column ``timestep`` in every panel, and the probability and tick labels, which depend
        on it: a long sum writes only every k-th column's, plus the chosen one (:func:`labelled_columns`).

        With ``unfold``, the sum is shown as far as step ``timestep`` has got: the columns after it are covered
        (:meth:`_future_covers`) except for the operands a and b, which are known from the start as on paper, and
        an arrow takes column ``timestep``'s carry out to the next column's carry in. The body stays the same for
        every step; these marks are a few hundred bytes more per step.
        """
        if timestep is not None and not 0 <= timestep < self.timesteps:
            raise ValueError(f"timestep must be between 0 and {self.timesteps - 1}; got {timestep}.")
        unfolding = unfold and timestep is not None
        parts = []
        for step in labelled_columns(self.timesteps, () if timestep is None else (timestep,)).tolist():
            x = self.column_x(step) + self.column_width / 2
            if not (unfolding and step > timestep):  # a probability not computed yet is not written
                size = self.font_size
                words = self.probability_texts[step]
                parts.append(_probability_label(x, self.probability_y, words, size, INK, step))
                parts.append(
                    _probability_label(x, self.output_y, words, size, text_colour_on(self.output_fills[step]), step)
                )
            parts.append(text(x, self.tick_y + 8, f"t={step}", font_size=11, fill=INK, class_="tick", data_t=step))
            if self.place_values:
                parts.append(text(x, self.tick_y + 23, place_value(step), font_size=11, fill=INK))
        if unfolding:
            parts.append(self._future_covers(timestep))
        if timestep is not None:
            parts.append(self._carry_arrow(timestep))
            parts.extend(
                f'<rect x="{self.column_x(timestep):g}" y="{top - 1:g}" width="{self.column_width:g}" '
                f'height="{height + 2:g}" fill="none" stroke="{HIGHLIGHT.hex}" stroke-width="3" class="outline"/>'
                for top, height in self.panels
            )
        return "".join(parts)

    def _future_covers(self, timestep: int) -> str:
        """Semi-opaque rectangles over what step ``timestep`` has not reached: the answer, hidden state and output
        of every column after it, and the carry rows from column ``timestep + 2`` on (the carry into column
        ``timestep + 1`` is made at this step). Each catches the pointer, so the covered cells' tooltips stay
        hidden too."""
        covers = []
        for band, first in [(self.carry_band, timestep + 2), *((band, timestep + 1) for band in self.answer_bands)]:
            if first >= self.timesteps:
                continue
            top, height = band
            right = self.column_x(first) + self.column_width
            covers.append(
                f'<rect x="{self.left - 1:g}" y="{top:g}" width="{right - self.left + 1:g}" height="{height:g}" '
                f'fill="#ffffff" fill-opacity="0.9" class="future" data-from-t="{first}">'
                f"<title>Not reached yet: step t={timestep} has read columns 0 to {timestep}.</title></rect>"
            )
        return "".join(covers)

    def _carry_arrow(self, timestep: int) -> str:
        """An arrow from column ``timestep``'s sum row to the next column's carry-in cell: the carry out of this
        column is the carry into the next one (none after the last column)."""
        if timestep + 1 >= self.timesteps:
            return ""
        carry_top, _ = self.carry_band
        start_x = self.column_x(timestep) + self.column_width * 0.3
        end_x = self.column_x(timestep + 1) + self.column_width * 0.7
        start_y, end_y = self.sum_row_top + 4, carry_top + self.row_height - 3
        bend_x = (start_x + end_x) / 2
        carry = self.carry_out[timestep]
        return (
            f'<g class="carry-arrow" data-t="{timestep}" data-carry="{carry}" stroke="{CARRY.hex}" '
            f'fill="none" stroke-width="2.5"><title>The {self.state_called} out of column t={timestep} is {carry}: '
            f"it is the {self.state_called} into column t={timestep + 1}.</title>"
            f'<path d="M{start_x:g},{start_y:g} Q{bend_x:g},{(start_y + end_y) / 2:g} {end_x:g},{end_y:g}"/>'
            f'<path d="M{end_x - 5:g},{end_y + 7:g} L{end_x:g},{end_y:g} L{end_x + 6:g},{end_y + 5:g}"/></g>'
        )

    def with_column(self, timestep: int | None, unfold: bool = False) -> str:
        """The whole figure, with column ``timestep`` outlined (``None``: none); ``unfold`` as in
        :meth:`chosen_column`."""
        marks = "" if timestep is None else f' data-t="{timestep}"'
        return self.body.replace(
            CHOSEN_PLACEHOLDER, f'<g class="chosen-column"{marks}>{self.chosen_column(timestep, unfold)}</g>'
        )


CHOSEN_PLACEHOLDER = '<g class="chosen-column"></g>'


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
    selectable: bool = True,
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
    probability labels that fit (:func:`labelled_columns`). ``selectable`` (for a drawing on the page whose columns
    choose the step): a button per column and the hover outline (:mod:`explainer.figures.columns`); without it the
    drawing is a plain image.
    """
    probability_format = ".1f" if compact else ".2f"
    rows, texts, shades = addition_cells(trace, probe_carry, probability_format)
    inputs = [
        f"a={a_bit}, b={b_bit}, carry in={carry}"
        for (a_bit, b_bit), carry in zip(trace.input_bits, trace.carry_in, strict=True)
    ]
    return written_form_drawing(
        WrittenForm(
            title="The addition, column by column",
            rows=rows,
            texts=texts,
            shades=shades,
            first_input_row="a",
            answer_row="a + b",
            hidden=trace.hidden,
            output_probability=trace.output_probability,
            hidden_tooltips=inputs,
            state_out=tuple(int(bit) for bit in trace.carry_out),
        ),
        highlighted_units,
        compact,
        label,
        selectable,
    )


@dataclass(frozen=True)
class WrittenForm:
    """What :func:`written_form_drawing` draws: the written rows (names, cell texts and shades 0 plain / 1 a "1" /
    2 wrong, rows × T, with a "RNN P(1)" row), which rows hold the inputs and the answer, the hidden state and the
    output, each hidden column's tooltip words, and the state each column passes to the next (for the arrow)."""

    title: str
    rows: list[str]
    texts: list[list[str]]
    shades: list[list[int]]
    first_input_row: str  # rows above it are the state rows (made one column before: covered one step later)
    answer_row: str  # it and the rows below it are what the network writes
    hidden: np.ndarray  # (T, H)
    output_probability: np.ndarray  # (T,)
    hidden_tooltips: list[str]  # (T,) what column t read, for the hidden state's tooltips
    state_out: tuple[int | str, ...]  # (T,) the state out of column t
    state_called: str = "carry"
    time_axis_title: str = TIME_AXIS_TITLE
    label_margin: int | None = None  # px left of the grid for the row names; None: the layout's own (118, or 92)
    place_values: bool = True


def written_form_drawing(
    form: WrittenForm,
    highlighted_units: tuple[int, ...] = (),
    compact: bool = False,
    label: str = "Column addition with the hidden-state heatmap and output probability under each column.",
    selectable: bool = True,
) -> UnfoldedDrawing:
    """The written form, the hidden state and the output over one shared timestep axis (see :func:`unfolded_drawing`
    for addition's, whose layout every rule's shares)."""
    rows, texts, shades = form.rows, form.texts, form.shades
    timesteps, units = form.hidden.shape
    probability_row = rows.index("RNN P(1)")
    operand_row, answer_row = rows.index(form.first_input_row), rows.index(form.answer_row)

    # Columns share a target width (less in a half-width column), within bounds that keep a digit legible.
    target, narrowest, widest = (420, 12, 30) if compact else (900, 16, 46)
    column_width = int(np.clip(round(target / timesteps), narrowest, widest))
    left, row_height, unit_height = (92, 20, 12) if compact else (118, 26, 16)
    left = left if form.label_margin is None else form.label_margin
    cell_font, label_font, probability_font = (12, 11, 11) if compact else (15, 11, 12)
    grid_width = column_width * timesteps
    width = left + grid_width + 64

    def column_x(step: int) -> float:
        return _column_x(left, column_width, timesteps, step)

    parts: list[str] = []
    panels: list[tuple[float, float]] = []

    # The addition. Cells are written as plain f-strings (not element()): a 41-column sum has ~1,000 of them, and
    # a new pair's drawing is part of the server's cost of that change. Texts are escaped once per row.
    top = 26
    parts.append(panel_title(left, 12, form.title, INK))
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
    carry_band = (top, operand_row * row_height)  # "carry in" and the probe's reading of it
    sum_row_top = top + answer_row * row_height
    answer_bands = [(sum_row_top, (len(rows) - answer_row) * row_height)]  # a + b (on paper, written as you go)

    # The hidden state.
    top += row_height * len(rows) + 34
    parts.append(panel_title(left, top - 14, math_text(f"Hidden state h_t ({units} units)"), INK))
    colours = scale_colours(form.hidden, ACTIVATION_SCALE)
    inputs = form.hidden_tooltips
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
                f"<title>unit {unit}, t={step}: h = {form.hidden[step, unit]:.4f} ({inputs[step]})</title></rect>"
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
    answer_bands.append(panels[-1])
    parts.append(_colour_bar(left + grid_width + 16, top, unit_height * units))

    # The output.
    top += unit_height * units + 34
    parts.append(panel_title(left, top - 14, math_text("Output o_t"), INK))
    output_fills = scale_colours(form.output_probability, ACTIVATION_SCALE).tolist()
    cells = [text(left - 8, top + row_height / 2, "P(bit = 1)", text_anchor="end", font_size=13, fill=INK)]
    cells.extend(
        f'<rect x="{column_x(step):g}" y="{top:g}" width="{column_width - 1}" height="{row_height}" '
        f'fill="{output_fills[step]}" data-t="{step}"><title>t={step}: o = {probability:.4f}</title></rect>'
        for step, probability in enumerate(form.output_probability)
    )
    parts.append(element("g", "".join(cells), class_="panel output"))
    panels.append((top, row_height))
    answer_bands.append(panels[-1])
    output_y = top + row_height / 2

    # The time axis (its labels are drawn with the chosen column), then which way time runs.
    top += row_height + 6
    parts.append(text(left + grid_width / 2, top + 46, form.time_axis_title, font_size=13, fill=INK))
    parts.append(CHOSEN_PLACEHOLDER)  # drawn last: on top of every panel
    if selectable:
        # Screen readers get the drawing's label and the column buttons; its cells are in the table under it.
        picture = element("g", "".join(parts), aria_hidden="true")
        content, role = COLUMN_STYLE + picture + column_controls(left, column_width, timesteps, panels, top), "group"
    else:
        content, role = "".join(parts), "img"
    return UnfoldedDrawing(
        body=document(width, top + 60, content, label=label, class_="unfolded-drawing", role=role),
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
        row_height=row_height,
        carry_band=carry_band,
        answer_bands=tuple(answer_bands),
        sum_row_top=sum_row_top,
        carry_out=form.state_out,
        state_called=form.state_called,
        place_values=form.place_values,
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
