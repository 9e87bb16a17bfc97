"""The shipped network of each rule (assets/rules/*.keras): exact on every short input for the finite rules
(numpy forward pass, every input), and, for balanced brackets, its failure as nesting deepens measured."""

import pytest

from explainer.analysis.rule_accuracy import CHECK_COLUMNS, DEEPEST_NESTING, accuracy_by_depth, exhaustive_accuracy
from explainer.files.keras_file import file_sha256, load_weights, read_sidecar
from explainer.paths import PROJECT_ROOT
from explainer.rules import FINITE_RULES, RULES

RULE_NETWORKS = PROJECT_ROOT / "assets" / "rules"
SHIPPED = [name for name in RULES if name != "addition"]
# The recipe each shipped network comes from: ``provable`` is ``fast`` fine-tuned towards 0/1 units, so that the
# verifier proves it (explainer/training/saturate.py); brackets has no finite machine to prove.
RECIPES = {
    "subtraction": "provable",
    "three_numbers": "fast",
    "times_three": "provable",
    "divisible_by_three": "provable",
    "brackets": "fast",
}


@pytest.mark.parametrize("name", SHIPPED)
def test_each_rule_ships_a_network_made_by_one_command(name):
    path = RULE_NETWORKS / f"{name}.keras"
    sidecar = read_sidecar(path)
    assert sidecar["sha256"] == file_sha256(path) and sidecar["rule"] == name
    recipe, out = RECIPES[name], path.relative_to(PROJECT_ROOT)
    assert sidecar["command"] == f"python -m explainer.training --rule {name} --recipe {recipe} --seed 0 --out {out}"
    assert sidecar["recipe"] == recipe
    weights = load_weights(path, input_width=RULES[name].input_width)
    assert weights.hidden_units == 16
    if recipe == "provable":  # from the fast network of the same seed, its units pushed out of mid-range
        assert sidecar["started_from"]["recipe"] == "fast" and sidecar["started_from"]["seed"] == 0
        share = sidecar["mid_range_share"]
        assert share["after"] < share["before"] and share["after"] < 0.05


@pytest.mark.parametrize("name", [name for name in FINITE_RULES if name != "addition"])
def test_each_finite_rules_network_is_exact_on_every_short_input(name):
    rule = RULES[name]
    weights = load_weights(RULE_NETWORKS / f"{name}.keras", input_width=rule.input_width)
    accuracy = exhaustive_accuracy(weights, rule)
    columns = CHECK_COLUMNS[rule.input_width]
    expected_inputs = (2**columns) ** rule.input_width if rule.admits is None else 2**columns * (2**columns + 1) // 2
    assert accuracy.pairs == expected_inputs
    assert accuracy.exact_accuracy == 1.0, f"{name}: {accuracy.exact_accuracy:.4%} exact over {columns} columns"
    assert (
        read_sidecar(RULE_NETWORKS / f"{name}.keras")[f"accuracy_every_input_{columns}_columns"] == accuracy.as_dict()
    )


def test_the_brackets_network_is_measured_by_depth_not_assumed_exact():
    weights = load_weights(RULE_NETWORKS / "brackets.keras", input_width=1)
    measured = accuracy_by_depth(weights)
    assert measured.as_dict() == read_sidecar(RULE_NETWORKS / "brackets.keras")["accuracy_by_depth"]
    # Every string that opens with "(" reaches some depth 1–16 before it first goes below 0 (those opening with ")"
    # never nest): the counts cover exactly those 2^15 strings.
    assert sorted(measured.strings_by_depth) == list(range(1, 17))
    assert sum(measured.strings_by_depth.values()) == 2**15
    assert all(0.0 <= share <= 1.0 for share in measured.by_depth.values())
    assert len(measured.nested_right) == DEEPEST_NESTING
    # A sigmoid network of 16 units cannot count without bound: somewhere by depth 40 a nesting goes wrong.
    assert measured.deepest_nesting_right < DEEPEST_NESTING
