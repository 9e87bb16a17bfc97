"""Figure builders: pure functions of a trace, checked on what a reader relies on."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import numpy as np
import pytest

from explainer import analysis, trace_addition
from explainer.figures.step_drawing import step_drawing
from explainer.figures.step_equations import step_equations
from explainer.figures.style import ACTIVATION_SCALE, HIGHLIGHT, WRONG_FILL, scale_colours
from explainer.figures.tables import step_table, trace_csv, trace_table
from explainer.figures.unfolded_drawing import ADDITION_ROWS, unfolded_drawing
from explainer.figures.weights import weights_figure
from ui.pair import PRESETS


@pytest.fixture(scope="module")
def trace(shipped_weights):
    return trace_addition(shipped_weights, 255, 255)  # 9 timesteps, carries everywhere


SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    """The drawing as XML: it must be well-formed, or the browser would show nothing."""
    return ElementTree.fromstring(svg)


def panel(root: ElementTree.Element, name: str) -> ElementTree.Element:
    (found,) = [group for group in root.iter(f"{SVG}g") if group.get("class") == f"panel {name}"]
    return found


def cells(root: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [element for element in panel(root, name).iter(f"{SVG}rect") if element.get("data-t") is not None]


def column_left(root: ElementTree.Element, name: str, step: int) -> set[float]:
    return {float(cell.get("x")) for cell in cells(root, name) if cell.get("data-t") == str(step)}


def test_unfolded_drawing_panels_share_one_timestep_axis(trace):
    root = parse(unfolded_drawing(trace).with_column(3))
    hidden = cells(root, "hidden-state")
    assert len(hidden) == trace.hidden_units * trace.timesteps
    for cell in hidden:  # every value is in its cell's tooltip
        unit, step = int(cell.get("data-unit")), int(cell.get("data-t"))
        assert f"h = {trace.hidden[step, unit]:.4f}" in cell.find(f"{SVG}title").text
    for step in range(trace.timesteps):
        # One column per timestep, at the same place in all three panels (within the addition's 1 px inset) ...
        lefts = column_left(root, "hidden-state", step) | column_left(root, "output", step)
        assert len(lefts) == 1 and column_left(root, "addition", step) == {lefts.pop() + 1}
    # ... and t = 0 on the right, as in a written sum.
    assert column_left(root, "hidden-state", 0).pop() > column_left(root, "hidden-state", 1).pop()
    ticks = [element.text for element in root.iter(f"{SVG}text") if element.get("class") == "tick"]
    assert ticks == [f"t={step}" for step in range(trace.timesteps)]


def test_unfolded_drawing_uses_a_fixed_colour_blind_safe_range(trace, shipped_weights):
    import plotly.express as px

    # Cividis, exactly: designed to read the same for red-green colour blindness and in greyscale; 0 and 1 are
    # its two ends whatever the pair, so a colour means the same value in every drawing.
    cividis = px.colors.sequential.Cividis
    assert list(scale_colours([0.0, 1.0], ACTIVATION_SCALE)) == [cividis[0], cividis[-1]]
    root = parse(unfolded_drawing(trace).with_column(None))
    fills = {
        (int(cell.get("data-unit")), int(cell.get("data-t"))): cell.get("fill") for cell in cells(root, "hidden-state")
    }
    np.testing.assert_array_equal(
        np.array([[fills[unit, step] for step in range(trace.timesteps)] for unit in range(16)]),
        scale_colours(trace.hidden.T, ACTIVATION_SCALE),
    )
    assert scale_colours([-0.5], ACTIVATION_SCALE)[0] == cividis[0]  # out of range is clipped, not extrapolated


def test_unfolded_drawing_tooltips_name_value_unit_timestep_and_bits(trace):
    root = parse(unfolded_drawing(trace).with_column(None))
    tips = {
        (cell.get("data-unit"), cell.get("data-t")): cell.find(f"{SVG}title").text
        for cell in cells(root, "hidden-state")
    }
    assert tips["0", "8"].startswith("unit 0, t=8: h = ") and "a=0, b=0, carry in=1" in tips["0", "8"]
    assert "a=1, b=1, carry in=0" in tips["5", "0"]


def addition_texts(root: ElementTree.Element) -> dict[str, list[str]]:
    rows: dict[str, dict[int, str]] = {}
    for element in panel(root, "addition").iter(f"{SVG}text"):
        if element.get("class") == "cell-text":
            rows.setdefault(element.get("data-row"), {})[int(element.get("data-t"))] = element.text
    return {row: [texts[step] for step in sorted(texts)] for row, texts in rows.items()}


def test_unfolded_drawing_writes_the_addition_rows(trace):
    root = parse(unfolded_drawing(trace).with_column(None))
    rows = [cell.get("data-row") for cell in cells(root, "addition") if cell.get("data-t") == "0"]
    assert tuple(rows) == ADDITION_ROWS
    texts = addition_texts(root)
    assert texts["a + b"] == [str(bit) for bit in trace.sum_bits]
    assert texts["carry in"] == ["0"] + ["1"] * 8
    assert texts["right?"] == ["✓"] * 9


def test_the_chosen_timestep_is_outlined_in_every_panel(trace):
    drawing = unfolded_drawing(trace)
    root = parse(drawing.with_column(4))
    (chosen,) = [group for group in root.iter(f"{SVG}g") if group.get("class") == "chosen-column"]
    assert chosen.get("data-t") == "4"
    outlines = [element for element in chosen.iter(f"{SVG}rect") if element.get("class") == "outline"]
    assert len(outlines) == 3
    assert {float(outline.get("x")) for outline in outlines} == column_left(root, "hidden-state", 4)
    unmarked = parse(drawing.with_column(None))
    assert not [element for element in unmarked.iter(f"{SVG}rect") if element.get("class") == "outline"]
    with pytest.raises(ValueError, match="timestep must be between 0 and 8"):
        drawing.chosen_column(9)


def test_every_column_is_a_button_and_the_hover_outline_spans_every_panel(trace):
    """Issue 22 item 7: a column answers the pointer and the keyboard. One named button per column (a single tab
    stop: t = 0's), the grid's geometry for the page's script, and a hidden hover outline per panel at t = T − 1."""
    drawing = unfolded_drawing(trace)
    root = parse(drawing.with_column(2))
    (grid,) = [group for group in root.iter(f"{SVG}g") if group.get("class") == "columns"]
    buttons = list(grid.iter(f"{SVG}rect"))
    assert [button.get("data-t") for button in buttons] == [str(step) for step in range(trace.timesteps)]
    assert all(button.get("role") == "button" and button.get("aria-label") for button in buttons)
    assert buttons[3].get("aria-label") == "Show step t=3 (the 2³ column)"
    assert [button.get("tabindex") for button in buttons] == ["0"] + ["-1"] * (trace.timesteps - 1)
    for step in (0, 5):  # each button sits under its own column
        assert {float(buttons[step].get("x"))} == column_left(root, "hidden-state", step)
    assert float(grid.get("data-left")) == drawing.left and float(grid.get("data-width")) == drawing.column_width
    assert int(grid.get("data-timesteps")) == trace.timesteps
    (hover,) = [group for group in root.iter(f"{SVG}g") if group.get("class") == "hover-column"]
    assert hover.get("visibility") == "hidden" and hover.get("stroke") == HIGHLIGHT.hex
    outlines = list(hover.iter(f"{SVG}rect"))
    assert len(outlines) == 3  # the addition, the hidden state, the output
    assert {float(outline.get("x")) for outline in outlines} == column_left(root, "hidden-state", trace.timesteps - 1)
    # Screen readers get the label and the buttons, not a thousand cells (the table under the drawing has them).
    hidden = [group for group in root if group.get("aria-hidden") == "true"]
    assert hidden and any(group.get("class") == "panel addition" for group in hidden[0].iter(f"{SVG}g"))
    # A drawing with no step to choose ("Side by side") is a plain image: no buttons, no outline, no pointer style.
    plain = parse(unfolded_drawing(trace, compact=True, selectable=False).with_column(None))
    assert plain.get("role") == "img"
    assert not [group for group in plain.iter(f"{SVG}g") if group.get("class") in ("columns", "hover-column")]
    assert not list(plain.iter(f"{SVG}style"))


def test_the_probe_row_marks_its_first_disagreement(trace):
    probe = trace.carry_out.copy()
    probe[2] = 1 - probe[2]  # the probe misreads the carry out of column 2, i.e. into column 3
    root = parse(unfolded_drawing(trace, probe_carry=probe).with_column(None))
    row = [cell for cell in cells(root, "addition") if cell.get("data-row") == analysis.PROBE_CARRY_IN]
    shades = {int(cell.get("data-t")): int(cell.get("data-shade")) for cell in row}
    assert shades[3] == 2 and all(shade != 2 for step, shade in shades.items() if step != 3)
    assert {cell.get("fill") for cell in row if cell.get("data-t") == "3"} == {WRONG_FILL}
    assert addition_texts(root)[analysis.PROBE_CARRY_IN][0] == "·"  # nothing carries into column 0


def step_bars(svg: str, kind: str) -> dict[int, ElementTree.Element]:
    return {int(bar.get("data-unit")): bar for bar in parse(svg).iter(f"{SVG}rect") if bar.get("class") == kind}


def test_step_drawing_splits_the_preactivation(trace, shipped_weights):
    svg = step_drawing(trace, shipped_weights, 5)
    values = {
        kind: [float(step_bars(svg, kind)[unit].get("data-value")) for unit in range(16)]
        for kind in ("input-part", "recurrent-part", "push", "sum-marker")
    }
    np.testing.assert_allclose(values["input-part"], trace.input_part[5])
    np.testing.assert_allclose(values["recurrent-part"], trace.recurrent_part[5])
    np.testing.assert_allclose(values["sum-marker"], trace.input_part[5] + trace.recurrent_part[5])
    np.testing.assert_allclose(values["push"], trace.hidden[5] * shipped_weights.output_weights[:, 0])
    with pytest.raises(ValueError, match="timestep must be between 0 and 8"):
        step_drawing(trace, shipped_weights, 9)


def test_step_drawing_stacks_the_two_parts_as_relative_bars(trace, shipped_weights):
    """Positive parts stack rightwards from zero and negative ones leftwards, so each bar's length is its value
    and a marker at the sum sits where the stack says."""
    for timestep in range(trace.timesteps):
        svg = step_drawing(trace, shipped_weights, timestep)
        inputs, recurrents = step_bars(svg, "input-part"), step_bars(svg, "recurrent-part")
        markers = step_bars(svg, "sum-marker")
        for unit in range(16):
            x_in, w_in = float(inputs[unit].get("x")), float(inputs[unit].get("width"))
            x_rec, w_rec = float(recurrents[unit].get("x")), float(recurrents[unit].get("width"))
            assert w_in >= 0 and w_rec >= 0
            input_value = float(inputs[unit].get("data-value"))
            recurrent_value = float(recurrents[unit].get("data-value"))
            zero = x_in if input_value >= 0 else x_in + w_in
            if (input_value >= 0) == (recurrent_value >= 0):  # same side: the second starts where the first ends
                assert x_rec == pytest.approx(x_in + w_in if input_value >= 0 else x_in - w_rec)
            else:  # opposite sides: both start at zero
                assert (x_rec if recurrent_value >= 0 else x_rec + w_rec) == pytest.approx(zero)
            scale = w_in / abs(input_value) if input_value else w_rec / abs(recurrent_value)
            marker_x = float(markers[unit].get("x")) + float(markers[unit].get("width")) / 2
            assert marker_x == pytest.approx(zero + scale * (input_value + recurrent_value), abs=1e-6)


@pytest.mark.parametrize("timestep", [None, 0, 8])
def test_the_drawings_are_well_formed_svg(shipped_weights, trace, timestep):
    """Every drawing the page shows parses as XML (the browser would drop a malformed one silently), names itself
    for screen readers, and keeps its text escaped."""
    ablated = trace_addition(shipped_weights, 255, 255, ablation=analysis.make_ablation(16, _CARRY_UNITS_ZEROED))
    probe = analysis.carry_probe(shipped_weights)
    drawings = [
        unfolded_drawing(trace, probe.decode(trace.hidden), probe.top_carry_units).with_column(timestep),
        unfolded_drawing(ablated, compact=True, label='A <b>"label"</b> & more').with_column(timestep),
        step_drawing(trace, shipped_weights, timestep or 0),
        step_drawing(ablated, shipped_weights, timestep or 0),
    ]
    for svg, role in zip(drawings, ("group", "group", "img", "img"), strict=True):
        root = parse(svg)  # the unfolded drawing holds its column buttons: a group, not an image
        assert root.get("role") == role and root.get("aria-label")
    assert parse(drawings[1]).get("aria-label") == 'A <b>"label"</b> & more'
    carry_units = [element for element in parse(drawings[0]).iter(f"{SVG}rect") if element.get("class") == "carry-unit"]
    assert sorted(int(element.get("data-unit")) for element in carry_units) == sorted(probe.top_carry_units)


def test_weights_figure_is_zero_centred(shipped_weights):
    figure = weights_figure(shipped_weights)
    coloraxis = figure.layout.coloraxis
    assert coloraxis.cmid == 0 and coloraxis.cmin == -coloraxis.cmax
    largest = max(np.abs(matrix).max() for matrix in (shipped_weights.input_weights, shipped_weights.recurrent_weights))
    assert coloraxis.cmax >= largest
    assert [np.array(panel.z).shape for panel in figure.data] == [(2, 16), (16, 16), (1, 16)]


def test_weights_figure_shares_one_column_per_unit_and_outlines_the_diagonal(shipped_weights):
    figure = weights_figure(shipped_weights)
    # W_o is drawn as a row: its cells are the output weights, in unit order, under the same columns.
    assert np.allclose(np.array(figure.data[2].z)[0], shipped_weights.output_weights[:, 0])
    assert all(list(panel.x) == list(range(16)) for panel in figure.data)
    # W_h's unit labels are W_h's own (its y axis), not beside another panel.
    assert list(figure.layout.yaxis2.ticktext) == [str(unit) for unit in range(16)]
    assert list(figure.layout.yaxis.ticktext) == ["a bit", "b bit"]
    outlines = [shape for shape in figure.layout.shapes if shape.type == "rect"]
    assert [(shape.x0 + 0.5, shape.y0 + 0.5) for shape in outlines] == [(unit, unit) for unit in range(16)]
    assert {shape.yref for shape in outlines} == {"y2"}
    # The titles do not overlap: each sits above its own panel, in its own band of the figure.
    titles = sorted(figure.layout.annotations, key=lambda note: -note.y)
    domains = [figure.layout.yaxis.domain, figure.layout.yaxis2.domain, figure.layout.yaxis3.domain]
    for note, domain, lower in zip(titles, domains, [*domains[1:], None], strict=True):
        assert note.y >= domain[1] and (lower is None or note.y > lower[1])


def test_tables_and_csv(trace):
    table = trace_table(trace)
    assert len(table) == trace.timesteps and table["true sum bit"].tolist() == trace.sum_bits.tolist()
    assert [column for column in table.columns if column.startswith("h unit")] == [
        f"h unit {unit}" for unit in range(16)
    ]
    csv = trace_csv(trace)
    assert csv.splitlines()[0].startswith("timestep,place value,a bit,b bit,carry in")
    assert len(csv.splitlines()) == trace.timesteps + 1
    assert len(step_table(trace, 3)) == 16


def test_compact_mode_shortens_the_text_for_half_width_columns(trace):
    def probabilities(root):
        return [element.text for element in root.iter(f"{SVG}text") if element.get("class") == "cell-text probability"]

    full, compact = unfolded_drawing(trace), unfolded_drawing(trace, compact=True)
    full_texts = probabilities(parse(full.with_column(None)))
    compact_texts = probabilities(parse(compact.with_column(None)))
    assert full_texts and all(len(text) == 4 for text in full_texts)  # "0.97"
    assert compact_texts and all(len(text) == 3 for text in compact_texts)  # "1.0"
    assert compact.column_width < full.column_width and compact.font_size < full.font_size


# --------------------------------------------------------------------------------------------------
# An ablated unit is shown as held, never as h = σ(pre-activation) (issue 15).
# --------------------------------------------------------------------------------------------------

# "σ(x) = y" as the worked example writes it (LaTeX), and "σ(sum) = y" as the step drawing's tooltip does.
_LATEX_SIGMA = re.compile(r"\\sigma\(([+-][0-9.]+)\) = ([0-9.]+)")
_CARRY_UNITS_ZEROED = {3, 10, 7, 11}


def sigma(value: float) -> float:
    return 1.0 / (1.0 + np.exp(-value))


def assert_every_sigma_equation_holds(lines: list[str]) -> int:
    """Each written σ(x) = y must hold (to the printed rounding); returns how many were checked."""
    checked = 0
    for line in lines:
        for argument, value in _LATEX_SIGMA.findall(line):
            assert abs(sigma(float(argument)) - float(value)) < 2e-4, line
            checked += 1
    return checked


@pytest.mark.parametrize("preset", list(PRESETS))
def test_no_step_shows_a_held_unit_as_computed(shipped_weights, preset):
    (a, b), _ = PRESETS[preset]
    ablation = analysis.make_ablation(16, _CARRY_UNITS_ZEROED)
    trace = trace_addition(shipped_weights, a, b, ablation=ablation)
    for timestep in range(trace.timesteps):
        lines = step_equations(trace, timestep)
        assert assert_every_sigma_equation_holds(lines) == 2, lines  # the worked unit and the output
        held_line = next(line for line in lines if "held by the ablation" in line)
        assert all(str(unit) in held_line for unit in _CARRY_UNITS_ZEROED)
        table = step_table(trace, timestep)
        computed = table["hₜ is"] == "σ(pre-activation)"
        assert computed.sum() == 12 and (table.loc[~computed, "unit"].isin(_CARRY_UNITS_ZEROED)).all()
        np.testing.assert_allclose(table.loc[computed, "hₜ"], sigma(table.loc[computed, "pre-activation"]), atol=2e-4)
        svg = step_drawing(trace, shipped_weights, timestep)
        assert "sum → hₜ = σ(sum) unless held" in svg  # the legend says some are held
        for marker in step_bars(svg, "sum-marker").values():
            label, total, outcome = (
                marker.get("data-label"),
                float(marker.get("data-value")),
                marker.get("data-outcome"),
            )
            unit = int(label.split()[1])
            if unit in _CARRY_UNITS_ZEROED:
                assert label.endswith("(held)") and outcome.startswith("held at 0 by the ablation")
            else:
                assert float(outcome.rsplit("= ", 1)[1]) == pytest.approx(sigma(total), abs=1e-4)


def test_the_worked_example_of_50_plus_18_at_t1_with_the_carry_units_zeroed(shipped_weights):
    trace = trace_addition(shipped_weights, 50, 18, ablation=analysis.make_ablation(16, _CARRY_UNITS_ZEROED))
    lines = step_equations(trace, 1)
    assert not any(r"\text{unit 10: }" in line for line in lines)  # unit 10 is held: it is not the worked example
    assert any(r"\text{units 3, 7, 10, 11: } h_{1} = 0" in line for line in lines)


# --------------------------------------------------------------------------------------------------
# "probe's carry" means one thing: carry in (read from h_{t−1}) or carry out (read from h_t) (issue 15).
# --------------------------------------------------------------------------------------------------


def test_the_two_probe_readings_have_two_names_everywhere(shipped_weights, trace):
    from pathlib import Path

    from explainer.figures.insight import carry_rows_figure
    from explainer.figures.tables import probe_pair_table

    probe = analysis.carry_probe(shipped_weights)
    carry_out = probe.decode(trace.hidden)
    rows = addition_texts(parse(unfolded_drawing(trace, probe_carry=carry_out).with_column(None)))
    assert analysis.PROBE_CARRY_IN in rows and analysis.PROBE_CARRY_OUT not in rows
    assert list(carry_rows_figure(trace.carry_out, carry_out).data[0].y) == ["true carry out", analysis.PROBE_CARRY_OUT]
    assert analysis.PROBE_CARRY_OUT_LABEL in probe_pair_table(trace, probe).columns
    # No label anywhere says just "probe's carry" without saying which one.
    root = Path(__file__).resolve().parent.parent
    for path in [*root.glob("ui/*.py"), *root.glob("explainer/**/*.py"), root / "streamlit_app.py"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"probe's carry(?! (in|out|bits))", text), path


def test_the_csv_has_both_probe_readings_and_says_whether_the_run_was_ablated(shipped_weights):
    probe = analysis.carry_probe(shipped_weights)
    ablation = analysis.make_ablation(16, {3, 7})
    for run_with, expected in ((None, "no ablation"), (ablation, "units 3, 7 zeroed")):
        trace = trace_addition(shipped_weights, 50, 18, ablation=run_with)
        carry_out = probe.decode(trace.hidden)
        table = trace_table(trace, carry_out)
        assert table[analysis.PROBE_CARRY_OUT_LABEL].tolist() == carry_out.tolist()  # the last state's reading too
        carry_in = table[analysis.PROBE_CARRY_IN_LABEL]
        assert carry_in.isna().tolist() == [True] + [False] * (trace.timesteps - 1)
        assert carry_in[1:].tolist() == carry_out[:-1].tolist()
        assert (table["ablation"] == expected).all()
        header = trace_csv(trace, carry_out).splitlines()[0].split(",")
        assert header.index(analysis.PROBE_CARRY_IN_LABEL) == header.index("carry in") + 1
        assert header.index(analysis.PROBE_CARRY_OUT_LABEL) == header.index("carry out") + 1
        assert "ablation" in header


# --------------------------------------------------------------------------------------------------
# Captions that every reader can use (issue 14): alt text on every chart, readable state labels.
# --------------------------------------------------------------------------------------------------


def test_every_chart_on_the_page_has_a_text_alternative():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    calls = drawings = 0
    for path in [*root.glob("ui/*.py"), root / "streamlit_app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "plotly_chart":
                assert path.name == "charts.py", f"{path.name}:{node.lineno} draws a chart without show_chart"
            if name == "show_chart":
                calls += 1
                assert "alt" in [keyword.arg for keyword in node.keywords], f"{path.name}:{node.lineno} has no alt"
            drawings += name == "show_drawing"
    # The SVG drawings (show_drawing) carry their text alternative as aria-label:
    # explainer.figures.svg.document requires
    # one, and test_the_drawings_are_well_formed_svg checks it.
    assert calls >= 12 and drawings >= 3


def test_the_machine_diagrams_state_labels_are_readable_on_their_circles(shipped_weights):
    from explainer.figures.machine import machine_diagram_figure
    from explainer.figures.style import contrast_ratio

    machine = analysis.extract_machine(shipped_weights).minimal
    figure = machine_diagram_figure(machine.state_names, machine.next_state, machine.output, machine.start)
    (states,) = [panel for panel in figure.data if panel.mode == "markers+text"]
    assert list(states.text) == list(machine.state_names)
    for text_colour, fill in zip(states.textfont.color, states.marker.color, strict=True):
        assert contrast_ratio(text_colour, fill) >= 4.5, (text_colour, fill)
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)


def test_a_long_sum_writes_only_the_probability_labels_that_fit():
    """At 65 columns every probability label would overlap its neighbours: only a spaced subset is written,
    always including the chosen column, and every value is still in the tooltips."""
    import itertools

    from explainer import load_weights, trace_addition
    from explainer.figures.unfolded_drawing import PROBABILITY_LABELS_FIT, labelled_columns
    from explainer.files.keras_file import page_model_path

    trace = trace_addition(load_weights(str(page_model_path())), 2**64 - 1, 2**64 - 1)
    assert trace.timesteps == 65
    root = parse(unfolded_drawing(trace).with_column(40))
    labels = [element for element in root.iter(f"{SVG}text") if element.get("class") == "cell-text probability"]
    written = sorted({int(element.get("data-t")) for element in labels})
    assert 40 in written and len(written) <= PROBABILITY_LABELS_FIT + 1
    assert len(labels) == 2 * len(written)  # in the addition's probability row and on the output strip
    assert min(b - a for a, b in itertools.pairwise(written)) >= 65 // PROBABILITY_LABELS_FIT
    probability_cells = [cell for cell in cells(root, "addition") if cell.get("data-row") == "RNN P(1)"]
    assert len(probability_cells) == 65 and all(cell.find(f"{SVG}title").text for cell in probability_cells)
    assert list(labelled_columns(8)) == list(range(8))  # a short sum keeps every label


def test_the_correctness_map_ends_at_its_grid_and_the_accuracy_title_clears_the_100_percent_line(shipped_weights):
    from explainer.analysis import correctness_grid
    from explainer.figures.output import correctness_map_figure
    from explainer.figures.training import training_curves_figure

    figure = correctness_map_figure(correctness_grid(shipped_weights, 8), 9, (50, 18))
    # Square cells by narrowing the plot, not by running the b axis past 255 (it showed −50 to 320).
    assert figure.layout.xaxis.constrain == "domain" and figure.layout.xaxis.range == (-0.5, 255.5)
    curves = training_curves_figure([0, 1000, 2000], [float("nan"), 0.5, 0.1], [0.0, 0.5, 1.0], [0.6, 0.9, 1.0])
    top = curves.layout.yaxis2.range[1]
    assert top >= 1.08  # a solved run's line at 100% sits below the top edge, where the panel title is
    title = next(note for note in curves.layout.annotations if note.text.startswith("Accuracy"))
    assert title.y - curves.layout.yaxis2.domain[1] >= 0


def test_the_step_heading_and_the_trace_table_write_place_values_without_markup(trace):
    table = trace_table(trace)
    assert table["place value"].tolist()[:3] == ["2⁰", "2¹", "2²"]


# Issue 22 item 1: time unfolds. At step t the drawing shows the sum only as far as t has got.
def _covers(root: ElementTree.Element) -> list[tuple[float, float, float, float]]:
    return [
        tuple(float(cover.get(name)) for name in ("x", "y", "width", "height"))
        for cover in root.iter(f"{SVG}rect")
        if cover.get("class") == "future"
    ]


def _probability_columns(root: ElementTree.Element) -> set[int]:
    return {int(label.get("data-t")) for label in root.iter(f"{SVG}text") if "probability" in label.get("class", "")}


def _covered(cell: ElementTree.Element, covers) -> bool:
    """Whether ``cell``'s box lies inside one of the covering rectangles."""
    x, y = float(cell.get("x")), float(cell.get("y"))
    width, height = float(cell.get("width")), float(cell.get("height"))
    return any(
        left <= x and x + width <= left + span and top <= y and y + height <= top + tall
        for left, top, span, tall in covers
    )


@pytest.mark.parametrize("timestep", [0, 3, 6])
def test_at_step_t_the_later_columns_answer_carry_and_hidden_state_are_covered(shipped_weights, timestep):
    trace = trace_addition(shipped_weights, 50, 18)
    probe = trace.carry_out  # a stand-in reading, so the probe's row is drawn and checked too
    root = parse(unfolded_drawing(trace, probe_carry=probe).with_column(timestep, unfold=True))
    covers = _covers(root)
    assert covers
    for cell in cells(root, "addition"):
        step, row = int(cell.get("data-t")), cell.get("data-row")
        if row in ("a", "b"):  # the operands are known from the start, as on paper
            expected = False
        elif row in ("carry in", analysis.PROBE_CARRY_IN):  # the carry into t + 1 is made at step t
            expected = step > timestep + 1
        else:
            expected = step > timestep
        assert _covered(cell, covers) == expected, (row, step)
    for name in ("hidden-state", "output"):
        for cell in cells(root, name):
            assert _covered(cell, covers) == (int(cell.get("data-t")) > timestep), (name, cell.get("data-t"))
    # No probability of a later column is written, and the carry leaves column t for column t + 1.
    assert _probability_columns(root) == set(range(timestep + 1))
    (arrow,) = [group for group in root.iter(f"{SVG}g") if group.get("class") == "carry-arrow"]
    assert arrow.get("data-t") == str(timestep) and arrow.get("data-carry") == str(trace.carry_out[timestep])
    end_x = float(arrow.find(f"{SVG}path").get("d").split()[-1].split(",")[0])
    (next_carry,) = [
        cell
        for cell in cells(root, "addition")
        if cell.get("data-row") == "carry in" and cell.get("data-t") == str(timestep + 1)
    ]
    assert float(next_carry.get("x")) <= end_x <= float(next_carry.get("x")) + float(next_carry.get("width"))


def test_at_the_last_step_or_with_the_whole_sum_nothing_is_covered(shipped_weights):
    trace = trace_addition(shipped_weights, 50, 18)
    drawing = unfolded_drawing(trace)
    last = trace.timesteps - 1
    for svg in (drawing.with_column(last, unfold=True), drawing.with_column(0), drawing.with_column(None, unfold=True)):
        root = parse(svg)
        assert not _covers(root)
        assert _probability_columns(root) == set(range(trace.timesteps))
    assert not [g for g in parse(drawing.with_column(last)).iter(f"{SVG}g") if g.get("class") == "carry-arrow"]


def test_unfolding_keeps_a_step_click_small(shipped_weights):
    """The body is the same at every step; what changes per step is the chosen column's marks, a few kB."""
    trace = trace_addition(shipped_weights, 50, 18)
    drawing = unfolded_drawing(trace)
    sizes = [len(drawing.chosen_column(step, unfold=True).encode()) for step in range(trace.timesteps)]
    assert max(sizes) < 6_000, sizes


# Issue 22 item 5: "Inside one step" says what its chart shows.
def test_the_step_at_t0_of_50_plus_18_says_every_part_is_zero_on_a_readable_axis(shipped_weights):
    from explainer.figures.step_equations import step_sentences

    trace = trace_addition(shipped_weights, 50, 18)  # t = 0: bits 0 and 0, no earlier state
    root = parse(step_drawing(trace, shipped_weights, 0))
    labels = [float(label.text) for label in root.iter(f"{SVG}text") if re.fullmatch(r"-?[\d.e-]+", label.text or "")]
    assert min(labels) <= -1 and max(labels) >= 1 and all(abs(value) >= 0.1 or value == 0 for value in labels)
    notes = " ".join(label.text for label in root.iter(f"{SVG}text") if label.get("class") == "all-zero")
    assert "exactly 0" in notes and "h₋₁ = 0" in notes
    words = " ".join(step_sentences(trace, shipped_weights.output_weights[:, 0], 0))
    assert "every memory term is exactly 0" in words and "every input term is exactly 0" in words
    assert "everything comes from the current bits" not in words


@pytest.mark.parametrize(("a", "b", "timestep"), [(127, 1, 1), (50, 18, 3), (255, 255, 4), (127, 1, 0)])
def test_the_step_sentences_are_read_off_the_numbers_drawn(shipped_weights, a, b, timestep):
    from explainer.figures.step_equations import step_equations, step_sentences, written_unit

    trace = trace_addition(shipped_weights, a, b)
    output_weights = shipped_weights.output_weights[:, 0]
    words = " ".join(step_sentences(trace, output_weights, timestep))
    root = parse(step_drawing(trace, shipped_weights, timestep))
    pushes = {
        int(bar.get("data-unit")): float(bar.get("data-value"))
        for bar in root.iter(f"{SVG}rect")
        if bar.get("class") == "push"
    }
    logit = sum(pushes.values())
    bit = int(logit >= 0)
    assert f"add up to {logit:+.2f}, so the bit is {bit}" in words and bit == trace.predicted_bits[timestep]
    largest = max(pushes, key=lambda unit: abs(pushes[unit]))
    rest = logit - pushes[largest]
    assert f"unit {largest}'s ({pushes[largest]:+.2f})" in words
    assert (f"which would give {1 - bit}" in words) == ((rest >= 0) != (logit >= 0))
    # The unit the equations write out is named with its reason, and it is the one the reason picks.
    unit, reason = written_unit(trace, timestep)
    assert reason in words and f"unit {unit}" in step_equations(trace, timestep)[1]
    parts = trace.recurrent_part[timestep] if timestep > 0 else trace.input_part[timestep]
    assert unit == int(np.argmax(np.abs(parts)))
    if timestep > 0 and trace.input_part[timestep].any():
        more = int((np.abs(trace.recurrent_part[timestep]) > np.abs(trace.input_part[timestep])).sum())
        assert f"{more} of 16 units get more from memory" in words


@pytest.mark.parametrize("columns", [8, 41, 128])
def test_no_drawing_shows_its_words_under_11_px_however_narrow_the_column(shipped_weights, columns):
    # Each drawing may shrink to fit only down to the width where its smallest words are 11 px (its min-width);
    # past that it scrolls. Checked over the body, the chosen column's marks and the step drawing.
    from explainer.figures.svg import MIN_TEXT_PX, smallest_font

    trace = trace_addition(shipped_weights, 2**columns - 2 if columns < 64 else 5, 1, columns)
    drawings = []
    for compact in (False, True):
        drawing = unfolded_drawing(trace, compact=compact)
        drawings.append((drawing.body, drawing.chosen_column(0)))
    drawings.append((step_drawing(trace, shipped_weights, 1), ""))
    for body, marks in drawings:
        root = ElementTree.fromstring(body)
        width = float(root.get("width"))
        min_width = float(re.search(r"min-width:([0-9.]+)px", root.get("style")).group(1))
        sizes = [float(size) for size in re.findall(r'font-size="([0-9.]+)"', body + marks)]
        assert min(sizes) >= MIN_TEXT_PX, sorted(set(sizes))
        assert min_width * min(sizes) / width >= MIN_TEXT_PX - 0.5  # shown at its narrowest, still 11 px
        assert smallest_font(body) == min(float(size) for size in re.findall(r'font-size="([0-9.]+)"', body))


def test_a_drawing_with_words_under_11_px_is_refused():
    from explainer.figures.svg import document, text

    with pytest.raises(ValueError, match="at least 11 px"):
        document(100, 50, text(10, 10, "tiny", font_size=9), label="x", class_="y")


def test_maths_names_in_the_drawings_are_printed_not_typed(shipped_weights):
    # "h_t × W_o" is how the names are typed; a student reads hₜ × Wₒ. No drawing's words keep an underscore.
    from explainer.figures.style import math_text

    assert math_text("h_t × W_o") == "hₜ × Wₒ"
    assert math_text("h_(t−1)·W_h") == "hₜ₋₁·Wₕ"
    assert math_text("x_t·W_x, unit_count, h_(−1)") == "xₜ·Wₓ, unit_count, h₋₁"
    trace = trace_addition(shipped_weights, 50, 18)
    for svg in (step_drawing(trace, shipped_weights, 0), step_drawing(trace, shipped_weights, 3)):
        words = [node.text or "" for node in ElementTree.fromstring(svg).iter() if node.tag.endswith(("text", "title"))]
        assert words and not [word for word in words if re.search(r"[A-Za-z]_[({a-z0-9]", word)]
        assert "hₜ × Wₒ" in svg
    body = unfolded_drawing(trace).body
    assert "Hidden state hₜ" in body and "_t" not in "".join(ElementTree.fromstring(body).itertext())


def test_the_any_length_labels_sit_at_different_heights_so_close_lines_do_not_overlap():
    # At 390 px the trained length (8) and the proved failure (17) are ~35 px apart: both labels at the bottom ran
    # into each other ("traineWrongth 1 + 65534").
    from explainer.figures.output import length_accuracy_figure

    figure = length_accuracy_figure([8, 16, 32], [1.0, 1.0, 1.0], failure_columns=17, failure_label="wrong: 1 + 65534")
    trained, failure = (
        next(note for note in figure.layout.annotations if note.text == words)
        for words in ("trained length", "wrong: 1 + 65534")
    )
    assert trained.y != failure.y or trained.yanchor != failure.yanchor
