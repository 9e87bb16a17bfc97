"""The machine extracted from each rule's shipped network, compared with the rule's minimal machine."""

import pytest

from explainer.analysis.mealy import compare_machines
from explainer.analysis.rule_extraction import extract_rule_machine
from explainer.files.keras_file import SHIPPED_MODEL_PATH, load_weights
from explainer.paths import PROJECT_ROOT
from explainer.rules import FINITE_RULES, RULES


def _shipped(name: str):
    path = SHIPPED_MODEL_PATH if name == "addition" else PROJECT_ROOT / "assets" / "rules" / f"{name}.keras"
    return load_weights(path, input_width=RULES[name].input_width)


@pytest.mark.parametrize("name", FINITE_RULES)
def test_each_networks_machine_is_the_rules_minimal_machine(name):
    rule = RULES[name]
    comparison = extract_rule_machine(_shipped(name), rule)
    assert comparison.rule_minimal.state_count == rule.minimal_state_count
    assert comparison.equivalent and comparison.isomorphic, comparison.counterexample
    assert sorted(comparison.pairing.values()) == list(range(rule.minimal_state_count))  # one to one
    # Every input of the exhaustive check, longer than the training set for addition: the machine writes the
    # network's bits everywhere (the network is exact there, tests/test_rule_networks.py, so these are the rule's).
    assert comparison.training_fidelity == 1.0 and comparison.fidelity == 1.0


def test_a_machine_that_is_not_the_rules_gets_a_shortest_counterexample():
    """Addition's network held against subtraction's machine: they part on a shortest input, with no pairing."""
    addition = extract_rule_machine(_shipped("addition"), RULES["addition"])
    equivalent, pairing, counterexample = compare_machines(addition.minimal, RULES["subtraction"].machine)
    # 0 + 1 and 0 − 1 both write 1 in the first column, but only the subtraction borrows: 0 + 0 writes 0 next,
    # 0 − 0 − borrow writes 1.
    assert not equivalent and not pairing and counterexample == (1, 0)


def test_no_machine_to_compare_for_brackets():
    with pytest.raises(ValueError, match="no finite machine"):
        extract_rule_machine(
            load_weights(PROJECT_ROOT / "assets" / "rules" / "brackets.keras", input_width=1), RULES["brackets"]
        )
