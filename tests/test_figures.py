"""Figure builders: pure functions of a trace, checked on what a reader relies on."""

from __future__ import annotations

import numpy as np
import pytest

from explainer import trace_addition
from explainer.figures import ADDITION_ROWS, step_figure, timestep_labels, unfolded_figure, weights_figure
from explainer.tables import step_table, trace_csv, trace_table


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
    row = list(addition.y).index("probe's carry")
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
