"""``--recipe provable`` (explainer/training/saturate.py): a rule's fast network fine-tuned towards 0/1 units."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from explainer.analysis.rule_accuracy import every_input_accuracy
from explainer.files.keras_file import load_weights
from explainer.model.network import RNNWeights
from explainer.paths import PROJECT_ROOT
from explainer.rules import RULES
from explainer.training import saturate
from explainer.verify.rule_property import rule_machine
from explainer.verify.verdict import rule_model_path


def test_a_batch_is_labelled_by_the_rules_arithmetic():
    rule = RULES["subtraction"]
    machine, _ = rule_machine(rule)
    inputs, targets = saturate.machine_batch(machine, np.random.default_rng(3), size=8, columns=12)
    assert inputs.shape == (8, 12, 2) and targets.shape == (8, 12, 1)
    for row in range(8):  # a − b mod 2^12 from the columns' bits, written out here
        a = sum(int(inputs[row, t, 0]) << t for t in range(12))
        b = sum(int(inputs[row, t, 1]) << t for t in range(12))
        assert targets[row, :, 0].astype(int).tolist() == [((a - b) % 2**12 >> t) & 1 for t in range(12)]
    # the first half repeats one column from some point to the end
    assert all((inputs[row, -1] == inputs[row, -2]).all() for row in range(4))


def test_the_mid_range_share_counts_values_between_0_1_and_0_9():
    weights = RNNWeights(np.zeros((1, 2)), np.zeros((2, 2)), np.ones((2, 1)))  # every unit σ(0) = 0.5
    assert saturate.mid_range_share(weights, np.zeros((3, 4, 1))) == 1.0
    loud = RNNWeights(np.full((1, 2), 10.0), np.zeros((2, 2)), np.ones((2, 1)))  # σ(10) > 0.9 for a 1
    assert saturate.mid_range_share(loud, np.ones((3, 4, 1))) == 0.0


def test_a_fine_tune_records_what_it_measured(monkeypatch):
    # Two short stages from the shipped times-three network: the summary's accuracy is the 16-column check of the
    # weights it returns, and the mid-range share is measured before and after.
    monkeypatch.setattr(saturate, "STAGES", ((20, 5.0), (20, 30.0)))
    rule = RULES["times_three"]
    from explainer.files.keras_file import load_model

    model = load_model(rule_model_path("times_three"), input_width=1)
    before = load_weights(rule_model_path("times_three"), input_width=1)
    tuned, summary, record = saturate.saturate_rule("times_three", seed=0, model=model)
    weights = RNNWeights.from_model(tuned)
    assert weights.fingerprint != before.fingerprint and summary["steps"] == 40
    measured = every_input_accuracy(weights, rule, 16)
    assert record["accuracy_every_input_16_columns"] == measured.as_dict()
    assert summary["exact_accuracy"] == measured.exact_accuracy
    probe = saturate.machine_batch(rule_machine(rule)[0], np.random.default_rng(1), size=1024)[0]
    assert summary["mid_range_share"]["after"] == round(saturate.mid_range_share(weights, probe), 4)
    assert summary["mid_range_share"]["before"] == round(saturate.mid_range_share(before, probe), 4)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--rule", "brackets", "--recipe", "provable"], "no finite machine"),
        (["--recipe", "provable"], "--recipe long"),
        (["--rule", "subtraction", "--recipe", "provable", "--max-steps", "5"], "drop --max-steps"),
        (["--rule", "subtraction", "--recipe", "long"], "--recipe provable"),
    ],
)
def test_the_command_refuses_what_the_recipe_cannot_do(arguments, message, tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "explainer.training", *arguments, "--out", str(tmp_path / "x.keras")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert completed.returncode == 2 and message in completed.stderr, completed.stderr
    assert not (tmp_path / "x.keras").exists()
