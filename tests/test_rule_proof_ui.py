"""``ui/rule_proof.py``: a rule's "Proof at every length" view, through Streamlit's AppTest on a small script that
calls :func:`ui.rule_proof.rule_proof_ui` (the lead wires it into the page), and its tables."""

from __future__ import annotations

import json

import numpy as np
from streamlit.testing.v1 import AppTest

from explainer.analysis.rule_accuracy import accuracy_by_depth
from explainer.figures.rule_proof import counterexample_bits_table, depth_table, written_bits
from explainer.files.keras_file import load_weights
from explainer.model.network import RNNWeights
from explainer.rules import RULES
from explainer.verify.verdict import CHILD_FAILED, PAGE_TIME_LIMIT, rule_model_path, shipped_rule_verdict

TIMEOUT = 120


def script(rule_name: str, noise: float) -> None:
    """The AppTest script: the rule's shipped network, or a copy with ``noise`` added to one recurrent weight."""
    from explainer.files.keras_file import load_weights
    from explainer.model.network import RNNWeights
    from explainer.rules import RULES
    from explainer.verify.verdict import rule_model_path
    from ui.rule_proof import rule_proof_ui

    rule = RULES[rule_name]
    weights = load_weights(rule_model_path(rule_name), input_width=rule.input_width)
    if noise:
        recurrent = weights.recurrent_weights.copy()
        recurrent[0, 0] += noise
        weights = RNNWeights(weights.input_weights, recurrent, weights.output_weights)
    rule_proof_ui(rule, weights)


def run(rule_name: str, noise: float = 0.0) -> AppTest:
    app = AppTest.from_function(script, args=(rule_name, noise), default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, [exception.value for exception in app.exception]
    return app


def texts(app: AppTest) -> str:
    parts = [element.value for kind in ("markdown", "caption", "code") for element in getattr(app, kind)]
    parts += [element.body for kind in ("success", "error", "warning", "info") for element in getattr(app, kind)]
    return "\n".join(str(part) for part in parts)


def test_the_shipped_verdict_is_shown_without_running_anything():
    for name in ("subtraction", "three_numbers", "times_three"):
        verdict = shipped_rule_verdict(name)
        app = run(name)
        assert not app.button, "a shipped network's verdict needs no button"
        shown = texts(app)
        assert "precomputed" in shown
        if verdict["verdict"] == "counterexample":
            example = verdict["counterexample"]
            assert app.error and f"column {example['wrong_column'] + 1}" in app.error[0].body
            pairs = zip(RULES[name].input_names, example["numbers"], strict=True)
            assert ", ".join(f"{n} = {v}" for n, v in pairs) in shown
        elif verdict["verdict"] == "unknown":
            assert app.warning and f"fewer than {verdict['no_counterexample_below']} columns" in shown
        else:
            assert app.success


def test_another_network_gets_a_button_that_runs_the_verifier_in_a_child():
    app = run("times_three", noise=40.0)  # one recurrent weight moved a lot: no longer the shipped network
    assert "not the rule's shipped network" in texts(app)
    button = app.button(key="rule_proof_run")
    assert f"{PAGE_TIME_LIMIT:.0f} s" in button.label
    button.click().run(timeout=PAGE_TIME_LIMIT + 60)
    assert not app.exception
    assert app.error or app.warning or app.success  # the verdict is drawn
    shown = texts(app)
    assert "computed in this page" in shown and CHILD_FAILED not in shown  # the child answered


def test_a_network_the_verifier_proves_is_shown_proved_with_its_boxes():
    app = run("subtraction", noise=1e-3)  # not the shipped file (its verdict is precomputed), proved all the same
    assert "not the rule's shipped network" in texts(app)
    app.button(key="rule_proof_run").click().run(timeout=PAGE_TIME_LIMIT + 60)
    assert not app.exception
    assert app.success and "Proved for every length" in app.success[0].body, texts(app)
    shown = texts(app)
    assert "boxes, each labelled with one of the 2 states of the borrow" in shown
    app.run()  # the next rerun knows the verdict: no button, the same answer
    assert not app.button and app.success


def test_brackets_says_no_machine_exists_and_shows_where_it_breaks():
    app = run("brackets")
    assert app.info and "No finite machine" in app.info[0].body
    weights = load_weights(rule_model_path("brackets"), input_width=1)
    depths = accuracy_by_depth(weights)
    deepest = depths.deepest_nesting_right
    assert deepest < len(depths.nested_right)  # the shipped network does break, within the depths tried
    assert app.code[0].value == "(" * (deepest + 1) + ")" * (deepest + 1)
    assert f"nesting {deepest + 1} deep" in texts(app)


def test_the_tables_are_pure_functions_of_the_verdict():
    example = {"columns": 4, "network_bits": [1, 0, 0, 1], "rule_bits": [1, 0, 1, 1]}
    assert written_bits([1, 0, 0, 0]) == "0001"
    table = counterexample_bits_table(example)
    assert table["bits, column 4 … 1"] == ["1001", "1101"]
    weights = load_weights(rule_model_path("brackets"), input_width=1)
    depths = accuracy_by_depth(weights)
    rows = depth_table(depths)
    assert rows["deepest nesting"] == sorted(depths.by_depth)
    assert sum(rows[f"strings of {depths.columns} brackets"]) == sum(depths.strings_by_depth.values())
    assert json.dumps(rows)  # plain data


def test_rule_proof_does_not_import_streamlit_below_ui():
    import subprocess
    import sys

    code = "import sys, explainer.figures.rule_proof, explainer.verify.rule_property; print('streamlit' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert completed.stdout.strip() == "False"


def test_weights_are_not_changed_by_the_script():
    weights = load_weights(rule_model_path("times_three"), input_width=1)
    assert isinstance(weights, RNNWeights) and np.isfinite(weights.recurrent_weights).all()
