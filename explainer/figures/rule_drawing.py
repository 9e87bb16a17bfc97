"""A rule's unfolded written form (:mod:`explainer.rules`): addition's drawing with the rule's rows.

A pure function of a :class:`~explainer.model.trace.RuleTrace` and the probe's reading, drawn by
:func:`explainer.figures.unfolded_drawing.written_form_drawing`, so every rule shares addition's layout, colours,
covers for the columns not reached yet, and the arrow taking the state to the next column.

Rows, top to bottom: the rule's state coming into each column (named as the written form names it: "borrow in",
"carry in", "remainder in", "depth in"), the probe's reading of it from h_{t−1} (if given), one row per number the
rule reads (or the brackets), the rule's answer, then what the network wrote (P(1), its bit, right?).
"""

from __future__ import annotations

import numpy as np

from explainer.figures.unfolded_drawing import UnfoldedDrawing, WrittenForm, written_form_drawing
from explainer.model.trace import BROKEN, RuleTrace
from explainer.rules import Rule

BRACKET_TEXT = {1: "(", 0: ")"}


def state_text(value: int) -> str:
    """A state's value as a cell shows it: the number, or "—" for brackets gone below depth 0 (``BROKEN``)."""
    return "—" if value == BROKEN else str(int(value))


def answer_row_name(rule: Rule) -> str:
    """The row of the rule's answer, as written under the numbers: the label's formula ("a − b", "3·a"), or for a
    yes/no rule its question ("divisible so far", "balanced so far")."""
    if ", " in rule.label:
        return rule.label.split(", ", 1)[1].split(" (")[0]
    return f"{rule.label.split()[0].lower()} so far"


def state_row_names(rule: Rule) -> tuple[str, str]:
    """(the true state's row, the probe's row): "borrow in", "probe's borrow in"."""
    return f"{rule.state_called} in", f"probe's {rule.state_called} in"


def input_row_names(rule: Rule) -> tuple[str, ...]:
    return ("bracket",) if rule.machine is None else rule.input_names


def rule_cells(
    trace: RuleTrace, probe_state: np.ndarray | None, probability_format: str = ".2f"
) -> tuple[list[str], list[list[str]], list[list[int]]]:
    """Row names, cell texts and shades (0 plain, 1 a "1" or a state other than 0, 2 wrong) of the written form.

    ``probe_state`` (T,) is the state the probe reads from each h_t; it is written one column to the left (read
    from h_{t−1}, the state coming into column t), "·" at t = 0, where there is no state yet.
    """
    rule = trace.rule
    state_row, probe_row = state_row_names(rule)
    rows = [state_row]
    texts = [[state_text(value) for value in trace.state_in]]
    shades = [[0 if value == 0 else 1 for value in trace.state_in]]
    if probe_state is not None:
        shifted = [None, *(int(value) for value in probe_state[:-1])]
        truth = trace.state_in.tolist()
        first_wrong = next((step for step, read in enumerate(shifted) if read not in (None, truth[step])), None)
        rows.append(probe_row)
        texts.append(["·" if read is None else state_text(read) for read in shifted])
        shades.append(
            [2 if step == first_wrong else (0 if read in (None, 0) else 1) for step, read in enumerate(shifted)]
        )
    for index, name in enumerate(input_row_names(rule)):
        column = trace.input_bits[:, index]
        rows.append(name)
        if rule.machine is None:  # a bracket string: "(" and ")", unshaded
            texts.append([BRACKET_TEXT[int(bit)] for bit in column])
            shades.append([0] * trace.timesteps)
        else:
            texts.append([str(bit) for bit in column])
            shades.append([int(bit) for bit in column])
    rows += [answer_row_name(rule), "RNN P(1)", "RNN bit", "right?"]
    texts += [
        [str(bit) for bit in trace.target_bits],
        [f"{probability:{probability_format}}" for probability in trace.output_probability],
        [str(bit) for bit in trace.predicted_bits],
        ["✓" if right else "✗" for right in trace.correct],
    ]
    shades += [
        [int(bit) for bit in trace.target_bits],
        [0] * trace.timesteps,
        [1 if bit else 0 for bit in trace.predicted_bits],
        [0 if right else 2 for right in trace.correct],
    ]
    return rows, texts, shades


def rule_unfolded_drawing(
    trace: RuleTrace, probe_state: np.ndarray | None = None, compact: bool = False, selectable: bool = True
) -> UnfoldedDrawing:
    """The rule's written form, the hidden state and the output over one timestep axis (see :func:`rule_cells`)."""
    rule = trace.rule
    rows, texts, shades = rule_cells(trace, probe_state, ".1f" if compact else ".2f")
    names = input_row_names(rule)
    tooltips = [
        ", ".join(
            [f"{name}={text[step]}" for name, text in zip(names, texts[rows.index(names[0]) :], strict=False)]
            + [f"{rule.state_called} in={texts[0][step]}"]
        )
        for step in range(trace.timesteps)
    ]
    return written_form_drawing(
        WrittenForm(
            title=f"{rule.label}, column by column",
            rows=rows,
            texts=texts,
            shades=shades,
            first_input_row=names[0],
            answer_row=answer_row_name(rule),
            hidden=trace.hidden,
            output_probability=trace.output_probability,
            hidden_tooltips=tooltips,
            state_out=tuple(state_text(value) for value in trace.state_out),
            state_called=rule.state_called,
            time_axis_title=f"← time runs this way: the {rule.state_called} moves left",
            # Row names at 13 px take about 7 px a character: "probe's remainder in" needs more than addition's 118.
            label_margin=None if compact else max(118, 7 * max(len(row) for row in rows) + 22),
            place_values=rule.machine is not None,  # a bracket string's columns are not the bits of a number
        ),
        compact=compact,
        label=f"{rule.label} written out column by column, with the hidden-state heatmap and output probability "
        "under each column.",
        selectable=selectable,
    )
