"""Training per rule (explainer.training with --rule): the same architecture with the rule's input width, the numpy
forward pass against Keras for 1, 2 and 3 bits per column, and the guards that keep addition's loaders at 2."""

import json
import subprocess
import sys

import numpy as np
import pytest

from explainer.analysis.rule_accuracy import exhaustive_accuracy
from explainer.files.keras_file import (
    ModelFileError,
    file_sha256,
    load_weights,
    read_sidecar,
    rule_model_path,
    save_model,
)
from explainer.model.accuracy import accuracy_on
from explainer.model.network import RNNWeights, build_model, forward
from explainer.paths import PROJECT_ROOT
from explainer.rules import RULES
from explainer.training.recipes import TrainingSettings, check_set_words
from explainer.training.train import blog_line, train
from explainer.training.worker import checkpoint_from_record, settings_line, warm_worker_command, worker_command


@pytest.mark.parametrize("width", [1, 2, 3])
def test_numpy_forward_equals_keras_for_every_input_width(width):
    model = build_model(16, width)
    rng = np.random.default_rng(width)
    # Weights large enough that the units saturate and the recurrence matters (Keras's own init is gentler).
    model.get_layer("rnn").set_weights([rng.normal(0, 2, (width, 16)), rng.normal(0, 1, (16, 16))])
    model.get_layer("output").set_weights([rng.normal(0, 1, (16, 1))])
    inputs = rng.integers(0, 2, size=(64, 11, width)).astype(np.float32)  # (N, T, W)
    weights = RNNWeights.from_model(model)
    assert weights.input_width == width and model.count_params() == width * 16 + 16 * 16 + 16
    np.testing.assert_allclose(forward(weights, inputs).output_probability, model(inputs).numpy()[..., 0], atol=1e-5)
    hidden = model.get_layer("rnn")(inputs).numpy()  # (N, T, H): Keras's own hidden states
    np.testing.assert_allclose(forward(weights, inputs).hidden, hidden, atol=1e-5)
    with pytest.raises(ValueError, match=f"\\(N, T, {width}\\)"):
        forward(weights, np.zeros((1, 3, width + 1)))


def test_a_rule_network_trains_to_exact_and_is_reproducible():
    result = train("fast", seed=0, rule="times_three")
    assert result.solved and result.rule == "times_three" and result.summary()["rule"] == "times_three"
    weights = RNNWeights.from_model(result.model)
    assert weights.input_width == 1
    assert accuracy_on(weights, *RULES["times_three"].training_set()).exact_accuracy == 1.0
    again = RNNWeights.from_model(train("fast", seed=0, rule="times_three", max_steps=result.steps).model)
    assert again == weights


def test_training_refuses_an_unknown_rule():
    with pytest.raises(ValueError, match="no such rule"):
        train("fast", rule="division")


def test_blog_line_reads_the_numbers_back():
    columns, targets = RULES["subtraction"].encode((34, 12))
    assert blog_line(columns, targets) == "34+12?=22"
    columns, targets = RULES["times_three"].encode((5,))
    assert blog_line(columns, targets) == "5?=15"


def test_addition_loaders_refuse_another_rules_network(tmp_path):
    weights = RNNWeights(np.ones((3, 4)), np.zeros((4, 4)), np.ones((4, 1)))
    path = tmp_path / "three.keras"
    save_model(weights.to_model(), path, {"rule": "three_numbers"})
    assert load_weights(path, input_width=3) == weights
    with pytest.raises(ModelFileError, match="reads 3 bit"):
        load_weights(path)


def test_cli_trains_a_rule_and_records_its_exhaustive_check(tmp_path):
    out = tmp_path / "times_three.keras"
    completed = subprocess.run(
        [sys.executable, "-m", "explainer.training", "--rule", "times_three", "--recipe", "fast", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    sidecar = read_sidecar(out)
    assert summary["rule"] == sidecar["rule"] == "times_three" and sidecar["sha256"] == file_sha256(out)
    assert "--rule times_three" in sidecar["command"]
    record = sidecar["accuracy_every_input_16_columns"]
    weights = load_weights(out, input_width=1)
    assert record == exhaustive_accuracy(weights, RULES["times_three"]).as_dict() and record["pairs"] == 2**16


def test_the_worker_trains_a_rule_to_exact_end_to_end():
    """The page's training child, asked for subtraction: it streams checkpoints of a 2-input network until the
    rule's whole training set is right, and says which rule it trained."""
    settings = TrainingSettings("fast", 0, 16, 0.05, 2_000, rule="subtraction")
    command = worker_command(settings)
    assert command[-2:] == ["--rule", "subtraction"]
    assert "--rule" not in worker_command(TrainingSettings("fast", 0, 16, 0.05, 2_000))  # addition's, as before
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, check=True)
    messages = [json.loads(line) for line in done.stdout.splitlines()]
    checkpoints = [checkpoint_from_record(message["checkpoint"]) for message in messages if "checkpoint" in message]
    summary = messages[-1]["done"]
    assert summary["rule"] == "subtraction" and summary["solved"]
    assert checkpoints[0].step == 0 and checkpoints[-1].step == summary["steps"] < settings.max_steps
    assert [checkpoint.exact_accuracy == 1.0 for checkpoint in checkpoints].index(True) == len(checkpoints) - 1
    weights = checkpoints[-1].weights
    assert weights.input_width == 2
    assert accuracy_on(weights, *RULES["subtraction"].training_set()).exact_accuracy == 1.0


def test_a_warm_worker_reads_the_rule_from_its_settings_line():
    settings = TrainingSettings("fast", 0, 16, 0.05, 16, rule="times_three")
    assert json.loads(settings_line(settings))["rule"] == "times_three"
    worker = subprocess.Popen(
        warm_worker_command(), cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout.readline().strip() == '{"ready": true}'
        output, _ = worker.communicate(settings_line(settings) + "\n", timeout=600)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    records = [json.loads(line) for line in output.splitlines()]
    assert records[-1]["done"]["rule"] == "times_three"
    assert len(records[0]["checkpoint"]["input_weights"]) == 1  # (W, H) with W = 1: one number's bit per column


def test_settings_name_their_rule_and_rebuild_only_its_network():
    addition = TrainingSettings("fast", 0, 16, 0.05, 2_000)
    subtraction = TrainingSettings("fast", 0, 16, 0.05, 2_000, rule="subtraction")
    assert addition.rule == "addition" and addition.describe() == "fast, seed 0, H = 16, lr 0.05"
    assert subtraction.describe().startswith("Subtraction")
    # The shipped subtraction network is the fast one fine-tuned (--recipe provable): fast settings do not rebuild it.
    assert not subtraction.rebuilds(read_sidecar(rule_model_path("subtraction")))
    brackets = TrainingSettings("fast", 0, 16, 0.05, 2_000, rule="brackets")
    shipped = read_sidecar(rule_model_path("brackets"))  # --recipe fast, seed 0
    assert brackets.rebuilds(shipped) and not addition.rebuilds(shipped) and not subtraction.rebuilds(shipped)
    assert check_set_words("addition") == "all 16,384 pairs"
    assert check_set_words("three_numbers") == "32,768 triples (a fixed sample)"


def test_transition_weights_give_every_transition_the_same_weight():
    from explainer.rules.rule import columns_to_symbols
    from explainer.training.recipes import balances_transitions
    from explainer.training.train import transition_weights

    rule = RULES["three_numbers"]
    inputs, _ = rule.training_set()
    weights = transition_weights(rule, inputs)  # (N, T)
    assert weights.shape == inputs.shape[:2] and np.isclose(weights.mean(), 1.0)
    symbols = columns_to_symbols(inputs)
    states = np.zeros_like(symbols)  # the carry before each column, from the rule's own arithmetic
    for column in range(1, symbols.shape[1]):
        states[:, column] = (inputs[:, column - 1].astype(np.int64).sum(axis=1) + states[:, column - 1]) >> 1
    totals = [weights[(states == s) & (symbols == k)].sum() for s in range(3) for k in range(8)]
    present = [total for total in totals if total > 0]
    assert len(present) >= 20 and np.allclose(present, present[0], rtol=1e-4)
    assert balances_transitions("fast", "three_numbers") and not balances_transitions("seed", "three_numbers")
    assert not balances_transitions("fast", "addition")


@pytest.mark.parametrize("rule_name", ["addition", "three_numbers"])
def test_numpy_adam_steps_equal_keras_steps(rule_name):
    """The fast recipe's numpy step (loss, backpropagation through time, Adam) against Keras's own on the same
    batches, loss weights included: the same loss and the same weights after 10 steps."""
    import keras
    import tensorflow as tf

    from explainer.training.numpy_steps import AdamSteps
    from explainer.training.train import transition_weights

    rule = RULES[rule_name]
    keras.utils.set_random_seed(3)
    model = build_model(16, rule.input_width)
    optimizer = keras.optimizers.Adam(0.05)
    initial = model.get_weights()
    steps = AdamSteps(initial, 0.05)
    inputs, targets = rule.training_set()
    loss_weights = transition_weights(rule, inputs)
    loss_function = keras.losses.BinaryCrossentropy()
    rng = np.random.default_rng(3)
    for _ in range(10):
        chosen = rng.choice(len(inputs), 32, replace=False)
        batch = inputs[chosen].astype(np.float32), targets[chosen].astype(np.float32), loss_weights[chosen]
        with tf.GradientTape() as tape:
            keras_loss = loss_function(batch[1], model(batch[0], training=True), sample_weight=batch[2])
        gradients = tape.gradient(keras_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        numpy_loss, _ = steps.step(*batch)
        assert numpy_loss == pytest.approx(float(keras_loss), rel=1e-5)
    for keras_matrix, numpy_matrix, start in zip(model.get_weights(), steps.weights, initial, strict=True):
        np.testing.assert_allclose(numpy_matrix, keras_matrix, atol=1e-4)
        assert np.abs(numpy_matrix - start).max() > 0.1  # the weights moved: the comparison is not of two starts


def test_quick_check_agrees_with_the_float64_check():
    from explainer.model.accuracy import quick_accuracy_on

    rule = RULES["three_numbers"]
    inputs, targets = rule.training_set()
    shipped = load_weights(rule_model_path("three_numbers"), input_width=3)
    rng = np.random.default_rng(0)
    for scale in (0.0, 0.5, 2.0):  # exact, a few inputs wrong, many wrong
        noisy = RNNWeights(
            shipped.input_weights + scale * rng.normal(size=shipped.input_weights.shape),
            shipped.recurrent_weights,
            shipped.output_weights,
        )
        quick, full = quick_accuracy_on(noisy, inputs, targets), accuracy_on(noisy, inputs, targets)
        np.testing.assert_array_equal(quick.wrong_bits, full.wrong_bits)
        assert quick.exact_accuracy == full.exact_accuracy and quick.bit_accuracy == pytest.approx(full.bit_accuracy)
