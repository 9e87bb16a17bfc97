"""The page for another rule (?rule=NAME) through Streamlit's AppTest: the verdict, the state row, the inputs, the
link, junk in a link, the rule picker, and stepping. Addition's own page is tests/test_app.py's."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explainer.rules import RULES
from ui.rule_insight import RULE_VIEWS
from ui.state import RULE_INSIGHT_VIEW

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
TIMEOUT = 90  # importing the stack, loading the rule's network and fitting its probe


def start(query: dict[str, str]) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in query.items():
        app.query_params[name] = value
    return app.run()


def no_exception(app: AppTest) -> None:
    assert not app.exception, [exception.value for exception in app.exception]


def verdict(app: AppTest) -> str:
    (line,) = [markdown.value for markdown in app.markdown if markdown.value.startswith("## ")]
    return line


def notices(app: AppTest) -> list[str]:
    return [warning.value for warning in app.warning]


EXPECTED = {
    "subtraction": ({"a": "50", "b": "18"}, "The RNN says 50 − 18 = 32 ✓"),
    "three_numbers": ({"a": "5", "b": "6", "c": "7"}, "The RNN says 5 + 6 + 7 = 18 ✓"),
    "times_three": ({"a": "21"}, "The RNN says 3·21 = 63 ✓"),
    "divisible_by_three": ({"a": "20"}, "The RNN says 20 is not divisible by three ✓"),
    "brackets": ({"brackets": "(())"}, "balanced ✓"),
}


@pytest.mark.parametrize("name", [name for name in RULES if name != "addition"])
def test_each_rule_shows_its_verdict_state_and_link(name):
    inputs, expected = EXPECTED[name]
    app = start({"rule": name, **inputs})
    no_exception(app)
    assert expected in verdict(app)
    assert app.selectbox(key="rule").value == name
    # The state row and the probe's row are named in the caption under the drawing, with the probe's accuracy.
    caption = " ".join(caption.value for caption in app.caption)
    state = RULES[name].state_called
    assert f"'{state} in'" in caption and f"'probe's {state} in'" in caption and "held out" not in caption
    assert "columns it was not fitted on" in caption
    assert app.query_params["rule"] == name
    for parameter, value in inputs.items():
        assert app.query_params[parameter] == value
    assert "n" not in app.query_params  # a rule runs over the columns its inputs need
    if RULES[name].machine is None:
        assert "a" not in app.query_params and "b" not in app.query_params
    elif "c" not in inputs:
        assert "c" not in app.query_params


def test_subtraction_state_row_is_the_borrow():
    app = start({"rule": "subtraction", "a": "50", "b": "18"})
    no_exception(app)
    assert app.title[0].value == RULES["subtraction"].label


@pytest.mark.parametrize(
    "query, words",
    [
        ({"rule": "x"}, "rule=x cannot be shown"),
        ({"rule": "subtraction", "a": "3", "b": "5"}, "a ≥ b"),
        ({"rule": "brackets", "brackets": "(x)"}, "only ( and )"),
        ({"rule": "brackets", "brackets": "(" * 70}, "too long"),
        ({"rule": "three_numbers", "a": "5", "b": "6", "c": "seven"}, "c must"),
        ({"rule": "times_three", "a": "[x](javascript:alert(1))"}, "cannot be used"),
    ],
)
def test_junk_in_a_link_gets_a_notice_and_no_exception(query, words):
    app = start(query)
    no_exception(app)
    assert any(words in notice for notice in notices(app)), notices(app)
    assert " says " in verdict(app)
    # Echoed as text only: a link's markdown never becomes a link.
    assert all("](" not in notice or "`" in notice for notice in notices(app))


def test_addition_only_parameters_leave_a_rules_link():
    app = start({"rule": "times_three", "a": "21", "n": "20", "ablate": "3"})
    no_exception(app)
    assert verdict(app) == "## The RNN says 3·21 = 63 ✓"
    assert "n" not in app.query_params and "ablate" not in app.query_params


def test_a_junk_rule_falls_back_to_addition_and_drops_the_parameter():
    app = start({"rule": "x", "a": "50", "b": "18"})
    assert verdict(app) == "## The RNN says 50 + 18 = 68 ✓"
    assert "rule" not in app.query_params


def test_typing_bad_inputs_keeps_the_last_good_ones():
    app = start({"rule": "subtraction", "a": "50", "b": "18"})
    app.text_input(key="b_text").set_value("60").run()
    no_exception(app)
    assert any("a ≥ b" in error.value for error in app.error)
    assert verdict(app) == "## The RNN says 50 − 18 = 32 ✓"
    app.text_input(key="b_text").set_value("7").run()
    assert verdict(app) == "## The RNN says 50 − 7 = 43 ✓"
    assert not app.error


def test_the_picker_switches_the_rule_and_back_to_addition():
    app = start({})
    assert verdict(app) == "## The RNN says 50 + 18 = 68 ✓"
    assert "rule" not in app.query_params
    app.selectbox(key="rule").set_value("subtraction").run()
    no_exception(app)
    assert verdict(app) == "## The RNN says 50 − 18 = 32 ✓"
    assert app.query_params["rule"] == "subtraction"
    app.selectbox(key="rule").set_value("three_numbers").run()
    assert verdict(app) == "## The RNN says 50 + 18 + 7 = 75 ✓"
    assert app.query_params["c"] == "7"
    app.selectbox(key="rule").set_value("addition").run()
    no_exception(app)
    assert verdict(app) == "## The RNN says 50 + 18 = 68 ✓"
    assert "rule" not in app.query_params and "c" not in app.query_params


def test_stepping_a_rule_moves_the_timestep():
    app = start({"rule": "three_numbers", "a": "5", "b": "6", "c": "7"})
    assert app.slider(key="timestep").value == 0
    app.button(key="timestep_next").click().run()
    no_exception(app)
    assert app.slider(key="timestep").value == 1
    assert app.query_params["t"] == "1"
    # "Inside one step" follows the column: x_1 holds the three bits of column 1 (5, 6, 7 → 0, 1, 1).
    assert any("x_{1} = [0, 1, 1]" in latex.value for latex in app.latex)


def test_the_other_sections_draw_for_a_rule():
    app = start({"rule": "subtraction", "a": "50", "b": "18", "section": "compare-the-rules"})
    no_exception(app)
    (table,) = app.dataframe
    assert list(table.value["rule"]) == [rule.label for rule in RULES.values()]
    app = start({"rule": "brackets", "brackets": "(())", "section": "what-did-it-learn"})
    no_exception(app)
    assert tuple(app.segmented_control(key=RULE_INSIGHT_VIEW).options) == RULE_VIEWS


def test_what_did_it_learn_compares_the_extracted_machine():
    app = start(
        {"rule": "subtraction", "a": "50", "b": "18", "section": "what-did-it-learn", "view": "extracted-machine"}
    )
    no_exception(app)
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["States the rule needs"] == "2" and metrics["The network's machine has"] == "2"
    assert metrics["The same machine?"] == "yes"
    assert app.query_params["view"] == "extracted-machine" and app.query_params["rule"] == "subtraction"
