""" "What did it learn?" for every rule and "Compare the rules" (explainer/analysis/rule_insight.py,
explainer/figures/rule_insight.py, ui/rule_insight.py): the analyses against the rules' own arithmetic and against
networks that cannot have learnt the rule, the figures, and the views through Streamlit's AppTest on every rule's
shipped network."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from explainer.analysis import DEFAULT_LENGTHS, accuracy_by_length
from explainer.analysis.mealy import CARRY_MACHINE
from explainer.analysis.rule_insight import (
    class_names,
    minimal_machine,
    outputs_from,
    random_inputs,
    rule_ablation,
    rule_correctness,
    rule_state_space,
    rule_states,
    rule_transplant,
    state_classes,
)
from explainer.figures.machine import machine_diagram_figure
from explainer.figures.output import length_accuracy_figure
from explainer.figures.rule_insight import (
    RULE_LENGTH_WORDS,
    compare_rules_figure,
    rule_length_figure,
    rule_state_space_figure,
)
from explainer.figures.style import CARRY_COLOURS, STATE_COLOURS, state_colour
from explainer.model.network import RNNWeights
from explainer.paths import PROJECT_ROOT
from explainer.rules import FINITE_RULES, RULES
from ui import rule_insight
from ui.rule_insight import RULE_VIEWS, shipped_rule_weights, shipped_verdict_text
from ui.state import slug

APP = str(PROJECT_ROOT / "tests" / "apps" / "rule_insight_app.py")
TIMEOUT = 300  # a view's first run computes its analysis on this shared 2-core machine


def _no_memory(weights: RNNWeights) -> RNNWeights:
    """The network with its recurrent weights zeroed: h_t no longer reaches the next column."""
    return RNNWeights(weights.input_weights, np.zeros_like(weights.recurrent_weights), weights.output_weights)


# --------------------------------------------------------------------------------------------------
# The machine drawing, generalised.
# --------------------------------------------------------------------------------------------------

# sha256 of the figures' JSON drawn by explainer/figures/machine.py before it took any number of symbols (0d664fd):
# addition's drawing must stay byte for byte what it was.
ADDITION_DRAWINGS = (
    "33d089c592ab033b587f5dd296816e827c9fbdacfe290585ec9c15e3935b8040",
    "a9be483e1eafe03a466d3bca94b095f0bf70d1ecd359ad23f5107ba4a54c9169",
    "d07506714aef5fa41e2aa9d8942c27cf992e0342645a13f2f1402ede61cc9c45",
)


def test_additions_machine_drawing_is_byte_for_byte_what_it_was():
    machine = CARRY_MACHINE
    figures = (
        machine_diagram_figure(machine.state_names, machine.next_state, machine.output),
        machine_diagram_figure(machine.state_names, machine.next_state, machine.output, current=1, current_step=3),
        machine_diagram_figure(
            ("S0", "S1", "S2"),
            np.array([[0, 1, -1, 2], [1, 1, 0, 2], [2, 0, 1, 1]]),
            np.array([[0, 1, 0, 1], [1, 0, 1, 0], [0, 0, 1, 1]]),
            start=1,
            current=2,
        ),
    )
    assert tuple(hashlib.sha256(figure.to_json().encode()).hexdigest() for figure in figures) == ADDITION_DRAWINGS


# sha256 of addition's "Any length" figure's JSON before it became one figure with the rules' (ed23ced): the shipped
# network's rows, then the same with a proved failure marked early and late (the label changes sides).
ADDITION_LENGTH_FIGURES = (
    "c6b43433ae0e15e5fb5192f6951c83072ddd2231cb54c151664c41a06e375279",
    "1d13b4805b32cb6d4287f4d42194f5b2847b79a89bb06df547a98c74c9f05bd5",
    "fa69656054eeea0d47861b4bdc20c5badbe46f3b7ddbb7038d40060cb7266904",
)


def test_additions_length_figure_is_byte_for_byte_what_it_was(shipped_weights):
    rows = accuracy_by_length(shipped_weights, DEFAULT_LENGTHS)
    lengths, exact = [row.sum_bits for row in rows], [row.exact_accuracy for row in rows]
    figures = (
        length_accuracy_figure(lengths, exact),
        length_accuracy_figure(lengths, exact, failure_columns=17, failure_label="wrong: 1 + 65534 (17 columns)"),
        length_accuracy_figure(lengths, exact, failure_columns=60),
    )
    assert tuple(hashlib.sha256(figure.to_json().encode()).hexdigest() for figure in figures) == ADDITION_LENGTH_FIGURES


def test_a_rules_length_figure_is_additions_in_the_rules_words():
    figure = rule_length_figure([8, 16, 64], [1.0, 0.75, 0.5], 10)
    addition = length_accuracy_figure([8, 16, 64], [1.0, 0.75, 0.5], 10, 65, words=RULE_LENGTH_WORDS)
    assert figure.to_json() == addition.to_json()
    assert figure.layout.xaxis.title.text == "columns (= timesteps run)" and figure.layout.xaxis.range == (0, 66)
    assert figure.data[0].hovertemplate.startswith("%{x} columns")
    assert [shape.x0 for shape in figure.layout.shapes] == [10]  # the training length, no failure line
    short = rule_length_figure([2, 4], [1.0, 1.0], 10)  # the axis reaches the training length when inputs are shorter
    assert short.layout.xaxis.range == (0, 12)
    with pytest.raises(ValueError, match="must match"):
        rule_length_figure([8, 16], [1.0], 10)


@pytest.mark.parametrize("name", ["three_numbers", "times_three"])
def test_the_machine_drawing_labels_every_column_of_a_rule(name):
    rule, machine = RULES[name], minimal_machine(name)
    figure = machine_diagram_figure(
        machine.state_names,
        machine.next_state,
        machine.output,
        input_names=rule.input_names,
        fills=[state_colour(state) for state in range(machine.state_count)],
    )
    labels = [label for annotation in figure.layout.annotations for label in annotation.text.split("<br>")]
    columns = sorted(label.split("/")[0] for label in labels if "/" in label)
    # Every (state, column) transition drawn once, each column written as one bit per number.
    assert len(columns) == machine.state_count * machine.symbol_count
    assert {len(column) for column in columns} == {rule.input_width}
    (states,) = [panel for panel in figure.data if panel.mode == "markers+text"]
    assert list(states.marker.color) == list(STATE_COLOURS[: machine.state_count])
    with pytest.raises(ValueError, match="must be"):
        machine_diagram_figure(machine.state_names, machine.next_state, machine.output)  # read as two bits


def test_a_rules_states_take_additions_carry_colours_first():
    assert STATE_COLOURS[:2] == CARRY_COLOURS
    assert len(set(STATE_COLOURS)) == len(STATE_COLOURS)
    assert state_colour(99) == STATE_COLOURS[-1]


# --------------------------------------------------------------------------------------------------
# The analyses.
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(RULES))
def test_the_states_write_the_rules_own_answers(name):
    """From the start, and from the state after any column, the states write what the rule's arithmetic does."""
    rule = RULES[name]
    inputs, targets = rule.training_set()
    targets = targets[..., 0].astype(np.int64)
    starts = np.zeros(len(inputs), dtype=np.int64)  # the start: carry 0, depth 0
    assert (outputs_from(rule, starts, inputs) == targets).all()
    states = rule_states(rule, inputs)
    for step in (0, inputs.shape[1] // 2):
        assert (outputs_from(rule, states[:, step], inputs[:, step + 1 :]) == targets[:, step + 1 :]).all()
    classes = state_classes(rule, states)
    assert classes.min() >= 0 and classes.max() < len(class_names(rule))


@pytest.mark.parametrize("name", list(RULES))
def test_long_random_inputs_are_answered_by_the_rules_arithmetic(name):
    """The targets of 64-column inputs (plain arithmetic on Python ints) agree with the rule's machine."""
    rule = RULES[name]
    inputs, targets = random_inputs(rule, 64, 50, np.random.default_rng(1))
    assert inputs.shape == (50, 64, rule.input_width)
    assert (outputs_from(rule, np.zeros(50, dtype=np.int64), inputs) == targets).all()


def test_divisibility_is_coloured_by_the_three_states_it_needs():
    assert minimal_machine("divisible_by_three").state_count == 3
    assert minimal_machine("divisible_by_three").state_names[0] == "remainder 0"
    assert minimal_machine("addition").state_names == CARRY_MACHINE.state_names


@pytest.mark.parametrize("name", list(RULES))
def test_the_transplant_moves_the_state_in_a_network_with_memory_and_not_without(name):
    weights = shipped_rule_weights(name)
    moved = rule_transplant(weights, name)
    assert moved.pairs > 0 and moved.changes > 0
    assert moved.follows_where_it_changes["whole state"] >= 0.99
    # Without recurrent weights nothing is carried: the later bits can only stay the base's own.
    amnesiac = rule_transplant(_no_memory(weights), name)
    assert amnesiac.follows_where_it_changes["whole state"] == 0.0
    assert amnesiac.stays["whole state"] == 1.0


@pytest.mark.parametrize("name", ["subtraction", "times_three"])
def test_ablation_finds_units_that_matter(name):
    weights = shipped_rule_weights(name)
    ablation = rule_ablation(weights, name)
    assert ablation.intact == 1.0
    assert ablation.units_that_matter()
    assert all(ablation.zeroed[unit] < ablation.intact - 0.01 for unit in ablation.units_that_matter())


def test_the_correctness_grid_leaves_out_what_the_rule_does_not_admit():
    grid = rule_correctness(shipped_rule_weights("subtraction"), "subtraction").wrong
    a_values, b_values = np.indices(grid.shape)
    assert np.isnan(grid[a_values < b_values]).all()
    assert (grid[a_values >= b_values] == 0).all()
    broken = shipped_rule_weights("subtraction")
    broken = RNNWeights(broken.input_weights, broken.recurrent_weights, -broken.output_weights)
    assert rule_correctness(broken, "subtraction").exact < 0.5


def test_the_correctness_grids_of_one_and_three_numbers():
    one = rule_correctness(shipped_rule_weights("times_three"), "times_three")
    assert one.wrong.shape == (256, 256) and one.checked == 2**16 and one.exact == 1.0
    three = rule_correctness(shipped_rule_weights("three_numbers"), "three_numbers")
    assert three.wrong.shape == (64, 64, 64) and three.exact == 1.0


def test_the_state_space_figure_colours_each_state_as_everywhere():
    space = rule_state_space(shipped_rule_weights("three_numbers"), "three_numbers")
    figure = rule_state_space_figure(
        space.points, space.point_class, class_names(RULES["three_numbers"]), space.explained_variance_ratio, "t"
    )
    assert [panel.name for panel in figure.data] == ["carry 0", "carry 1", "carry 2"]
    assert [panel.marker.color for panel in figure.data] == list(STATE_COLOURS[:3])
    with pytest.raises(ValueError, match="index"):
        rule_state_space_figure(space.points, space.point_class, ("carry 0",), (0.5, 0.2), "t")


def test_the_comparison_figure_draws_each_finite_rule_and_the_nesting():
    figure = compare_rules_figure(["A", "B"], [2, 3], [2, 4], (True, True, False), "Brackets")
    bars = [panel for panel in figure.data if panel.type == "bar"]
    assert [list(bar.y) for bar in bars] == [[2, 3], [2, 4]]
    (nesting,) = [panel for panel in figure.data if panel.type == "scatter"]
    assert list(nesting.y) == [1, 1, 0]


# --------------------------------------------------------------------------------------------------
# Compare the rules: the proved column.
# --------------------------------------------------------------------------------------------------


def test_the_proved_column_reads_the_shipped_verdicts(monkeypatch):
    addition = json.loads((PROJECT_ROOT / "assets" / "model.verdict.json").read_text())
    assert shipped_verdict_text("addition") == f"wrong at {addition['counterexample']['columns']} columns"
    for name in FINITE_RULES[1:]:
        record = json.loads((PROJECT_ROOT / "assets" / "rules" / f"{name}.verdict.json").read_text())
        text = shipped_verdict_text(name)
        if record["verdict"] == "counterexample":
            assert text == f"wrong at {record['counterexample']['columns']} columns"
        elif record["verdict"] == "proved":
            assert text == "every length"
        else:
            assert text == f"right below {record['no_counterexample_below']} columns, not settled"
    # No verdict for these weights (none shipped, a stale one, a certificate the checker refuses): not checked.
    monkeypatch.setattr(rule_insight, "shipped_rule_verdict", lambda name: None)
    assert shipped_verdict_text("subtraction") == "not checked yet"


# --------------------------------------------------------------------------------------------------
# The views, through AppTest, on every rule's shipped network.
# --------------------------------------------------------------------------------------------------

CHARTS = {
    "State space": 1,
    "Extracted machine": 2,
    "Ablation": 1,
    "Correctness map": 1,
    "Any length": 1,
    "Proof at every length": 0,
    "Transplant the state": 1,
}
BRACKET_CHARTS = {**CHARTS, "Extracted machine": 2, "Correctness map": 2}  # by depth: the nesting and the bars


@pytest.mark.parametrize("name", list(RULES))
def test_every_view_of_every_rule_draws(name):
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.query_params["rule"] = name
    app.run()
    assert not app.exception
    control = app.segmented_control(key="rule_insight_view")
    assert tuple(control.options) == RULE_VIEWS
    for view in RULE_VIEWS:
        control = app.segmented_control(key="rule_insight_view")
        control.set_value(view).run()
        assert not app.exception, (view, [error.value for error in app.exception])
        expected = (CHARTS if name in FINITE_RULES else BRACKET_CHARTS)[view]
        assert len(app.get("plotly_chart")) == expected, view
        assert app.query_params["view"] == slug(view)
    if name == "three_numbers":  # its map is a slice at a chosen c
        app.segmented_control(key="rule_insight_view").set_value("Correctness map").run()
        app.slider(key="rule_correctness_c").set_value(5).run()
        assert not app.exception
        assert any("c = 5" in str(chart.proto.spec) for chart in app.get("plotly_chart"))


@pytest.mark.parametrize(
    ("name", "colour"), [("subtraction", "borrow"), ("divisible_by_three", "minimal-machine state")]
)
def test_the_state_space_names_what_its_colours_are(name, colour):
    # Divisibility's minimal machine merges remainders (1 before a column worth 2 with 2 before one worth 1): its
    # colours are those states, so the view must not call them the remainder.
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.query_params.update({"rule": name, "view": "state-space"})
    app.run()
    assert not app.exception
    (readout, _units) = app.metric
    assert readout.label == f"A straight-line readout names the {colour}"
    merged = any(" or " in state for state in minimal_machine(name).state_names)
    assert merged == (name == "divisible_by_three")
    assert any("not the remainder itself" in text.value for text in app.caption) == merged


def test_a_link_opens_its_view_and_a_junk_view_gets_a_notice_as_text():
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.query_params.update({"rule": "brackets", "view": "any-length"})
    app.run()
    assert app.segmented_control(key="rule_insight_view").value == "Any length"
    junk = AppTest.from_file(APP, default_timeout=TIMEOUT)
    junk.query_params.update({"rule": "brackets", "view": "[x](http://example.com)"})
    junk.run()
    assert junk.segmented_control(key="rule_insight_view").value == RULE_VIEWS[0]
    (notice,) = [warning.value for warning in junk.warning if "view=" in warning.value]
    assert "`" in notice  # the link's text is quoted as code, never rendered as a link


def test_compare_the_rules_shows_every_rule():
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.query_params["rule"] = "compare"
    app.run()
    assert not app.exception
    (table,) = app.dataframe
    assert list(table.value["rule"]) == [rule.label for rule in RULES.values()]
    finite = table.value[table.value["rule"] != RULES["brackets"].label]
    assert list(finite["states the rule needs"]) == [str(minimal_machine(name).state_count) for name in FINITE_RULES]
    assert len(app.get("plotly_chart")) == 1
