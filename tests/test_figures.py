"""Figure builders: pure functions of a trace, checked on what a reader relies on."""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go
import pytest

from explainer import analysis, trace_addition
from explainer.figures import (
    ADDITION_ROWS,
    timestep_labels,
    unfolded_figure,
    weights_figure,
)
from explainer.step_figures import step_equations, step_figure
from explainer.tables import step_table, trace_csv, trace_table
from ui.addition import PRESETS


@pytest.fixture(scope="module")
def trace(shipped_weights):
    return trace_addition(shipped_weights, 255, 255)  # 9 timesteps, carries everywhere


def traces_by_name(figure):
    return {trace.name: trace for trace in figure.data}


def test_unfolded_figure_panels_share_one_timestep_axis(trace):
    figure = unfolded_figure(trace, timestep=3)
    panels = traces_by_name(figure)
    addition, hidden, output = panels["addition"], panels["hidden state"], panels["output"]
    for panel in (addition, hidden, output):
        assert list(panel.x) == list(range(trace.timesteps))  # every column is a timestep, in the same place
    assert np.array(hidden.z).shape == (trace.hidden_units, trace.timesteps)
    np.testing.assert_array_equal(np.array(hidden.z), trace.hidden.T)
    np.testing.assert_array_equal(np.array(output.z)[0], trace.output_probability)
    # One x axis for all three panels, reversed so that t = 0 sits on the right as in a written sum.
    assert (figure.layout.xaxis.matches, figure.layout.xaxis2.matches) == ("x3", "x3")
    for axis in (figure.layout.xaxis, figure.layout.xaxis2, figure.layout.xaxis3):
        assert axis.autorange == "reversed"
    assert list(figure.layout.xaxis3.ticktext) == timestep_labels(trace.timesteps)


def test_unfolded_figure_uses_a_fixed_colour_blind_safe_range(trace):
    coloraxis = unfolded_figure(trace).layout.coloraxis
    assert (coloraxis.cmin, coloraxis.cmax) == (0.0, 1.0)
    import plotly.express as px

    # Cividis, exactly: designed to read the same for red-green colour blindness and in greyscale.
    assert [colour for _, colour in coloraxis.colorscale] == px.colors.sequential.Cividis


def test_unfolded_figure_hover_names_value_unit_timestep_and_bits(trace):
    hidden = traces_by_name(unfolded_figure(trace))["hidden state"]
    assert (
        "h = %{z:.4f}" in hidden.hovertemplate and "%{y}" in hidden.hovertemplate and "t=%{x}" in hidden.hovertemplate
    )
    customdata = np.array(hidden.customdata)
    assert customdata.shape == (trace.hidden_units, trace.timesteps)
    assert customdata[0, 8] == "a=0, b=0, carry in=1"  # column 8 of 255 + 255: only the final carry
    assert customdata[5, 0] == "a=1, b=1, carry in=0"


def test_unfolded_figure_writes_the_addition_rows(trace):
    addition = traces_by_name(unfolded_figure(trace))["addition"]
    assert tuple(addition.y) == ADDITION_ROWS
    text = np.array(addition.text)
    assert text[ADDITION_ROWS.index("a + b")].tolist() == [str(bit) for bit in trace.sum_bits]
    assert text[ADDITION_ROWS.index("carry in")].tolist() == ["0"] + ["1"] * 8
    assert text[ADDITION_ROWS.index("right?")].tolist() == ["✓"] * 9


def test_the_chosen_timestep_is_outlined_in_every_panel(trace):
    figure = unfolded_figure(trace, timestep=4)
    outlines = [shape for shape in figure.layout.shapes if shape.type == "rect"]
    assert len(outlines) == 3
    assert {(shape.x0, shape.x1) for shape in outlines} == {(3.5, 4.5)}
    assert {shape.xref for shape in outlines} == {"x", "x2", "x3"}
    assert len(unfolded_figure(trace).layout.shapes) == 0


def test_the_probe_row_marks_its_first_disagreement(trace):
    probe = trace.carry_out.copy()
    probe[2] = 1 - probe[2]  # the probe misreads the carry out of column 2, i.e. into column 3
    addition = traces_by_name(unfolded_figure(trace, probe_carry=probe))["addition"]
    row = list(addition.y).index(analysis.PROBE_CARRY_IN)
    shades = np.array(addition.z)[row]
    assert shades[3] == 2 and (np.delete(shades, 3) != 2).all()
    assert np.array(addition.text)[row][0] == "·"  # nothing carries into column 0


def test_step_figure_splits_the_preactivation(trace, shipped_weights):
    figure = step_figure(trace, shipped_weights, 5)
    bars = [panel for panel in figure.data if panel.type == "bar"]
    input_bars, recurrent_bars, push_bars = bars
    np.testing.assert_allclose(input_bars.x, trace.input_part[5])
    np.testing.assert_allclose(recurrent_bars.x, trace.recurrent_part[5])
    np.testing.assert_allclose(push_bars.x, trace.hidden[5] * shipped_weights.output_weights[:, 0])
    with pytest.raises(ValueError, match="timestep must be between 0 and 8"):
        step_figure(trace, shipped_weights, 9)


@pytest.mark.parametrize("timestep", [None, 0, 8])
def test_the_unvalidated_traces_are_valid_plotly(shipped_weights, trace, timestep):
    """The unfolded and step figures add their traces as plain JSON, unchecked (``figure_with_traces``): Plotly's
    own validation, run here, must accept every property, or a misspelt one would silently draw nothing."""
    ablated = trace_addition(shipped_weights, 255, 255, ablation=analysis.make_ablation(16, _CARRY_UNITS_ZEROED))
    probe = analysis.carry_probe(shipped_weights)
    figures = [
        unfolded_figure(trace, timestep, probe.decode(trace.hidden), probe.top_carry_units),
        unfolded_figure(ablated, timestep, compact=True),
        step_figure(trace, shipped_weights, timestep or 0),
        step_figure(ablated, shipped_weights, timestep or 0),
    ]
    for figure in figures:
        validated = go.Figure(figure.to_dict())  # raises ValueError on any invalid property or value
        assert [panel.type for panel in validated.data] == [panel["type"] for panel in figure.to_dict()["data"]]


def test_weights_figure_is_zero_centred(shipped_weights):
    figure = weights_figure(shipped_weights)
    coloraxis = figure.layout.coloraxis
    assert coloraxis.cmid == 0 and coloraxis.cmin == -coloraxis.cmax
    largest = max(np.abs(matrix).max() for matrix in (shipped_weights.input_weights, shipped_weights.recurrent_weights))
    assert coloraxis.cmax >= largest
    assert [np.array(panel.z).shape for panel in figure.data] == [(2, 16), (16, 16), (16, 1)]


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
    full = traces_by_name(unfolded_figure(trace))["addition"]
    compact = traces_by_name(unfolded_figure(trace, compact=True))["addition"]
    row = ADDITION_ROWS.index("RNN P(1)")
    assert all(len(text) == 4 for text in np.array(full.text)[row])  # "0.97"
    assert all(len(text) == 3 for text in np.array(compact.text)[row])  # "1.0"
    assert compact.textfont.size < full.textfont.size


# --------------------------------------------------------------------------------------------------
# An ablated unit is shown as held, never as h = σ(pre-activation) (issue 15).
# --------------------------------------------------------------------------------------------------

# "σ(x) = y" as the worked example writes it (LaTeX), and "σ(sum) = y" as the step figure's hover does.
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
        computed = table["h_t is"] == "σ(pre-activation)"
        assert computed.sum() == 12 and (table.loc[~computed, "unit"].isin(_CARRY_UNITS_ZEROED)).all()
        np.testing.assert_allclose(table.loc[computed, "h_t"], sigma(table.loc[computed, "pre-activation"]), atol=2e-4)
        markers = traces_by_name(step_figure(trace, shipped_weights, timestep))["sum → h_t = σ(sum) unless held"]
        for label, total, outcome in zip(markers.y, markers.x, markers.customdata, strict=True):
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

    from explainer.insight_figures import carry_rows_figure
    from explainer.tables import probe_pair_table

    probe = analysis.carry_probe(shipped_weights)
    carry_out = probe.decode(trace.hidden)
    addition = traces_by_name(unfolded_figure(trace, probe_carry=carry_out))["addition"]
    assert analysis.PROBE_CARRY_IN in list(addition.y) and analysis.PROBE_CARRY_OUT not in list(addition.y)
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
    calls = 0
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
    assert calls >= 15


def test_the_machine_diagrams_state_labels_are_readable_on_their_circles(shipped_weights):
    from explainer.insight_figures import machine_diagram_figure
    from explainer.plot_style import contrast_ratio

    machine = analysis.extract_machine(shipped_weights).minimal
    figure = machine_diagram_figure(machine.state_names, machine.next_state, machine.output, machine.start)
    (states,) = [panel for panel in figure.data if panel.mode == "markers+text"]
    assert list(states.text) == list(machine.state_names)
    for text_colour, fill in zip(states.textfont.color, states.marker.color, strict=True):
        assert contrast_ratio(text_colour, fill) >= 4.5, (text_colour, fill)
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)


def test_a_long_sum_writes_only_the_probability_labels_that_fit():
    """At 65 columns every probability label would overlap its neighbours: only a spaced subset is written,
    always including the chosen column, and every value is still in the hover data."""
    import itertools

    from explainer import load_weights, trace_addition
    from explainer.figures import PROBABILITY_LABELS_FIT, labelled_columns, unfolded_figure
    from explainer.storage import page_model_path

    trace = trace_addition(load_weights(str(page_model_path())), 2**64 - 1, 2**64 - 1)
    assert trace.timesteps == 65
    figure = unfolded_figure(trace, timestep=40)
    addition, output = figure.data[0], figure.data[2]
    row = list(addition.y).index("RNN P(1)")
    written = [step for step, text in enumerate(addition.text[row]) if text]
    assert 40 in written and len(written) <= PROBABILITY_LABELS_FIT + 1
    assert min(b - a for a, b in itertools.pairwise(written)) >= 65 // PROBABILITY_LABELS_FIT
    assert all(addition.customdata[row])  # the hover has every value
    assert [step for step, text in enumerate(output.text[0]) if text] == written
    assert list(labelled_columns(8)) == list(range(8))  # a short sum keeps every label
