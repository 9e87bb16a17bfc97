"""The ``provable`` recipe for a rule: the ``fast`` recipe's network, fine-tuned until its units sit near 0 or 1.

    python -m explainer.training --rule subtraction --recipe provable --seed 0 --out assets/rules/subtraction.keras

The ``fast`` recipe stops the moment a rule's training set is exact; its networks keep many units in mid-range
(between 0.1 and 0.9), where σ' is large, so a small change of the state moves the next one and the verifier's
boxes do not close (``python -m explainer.verify --rule NAME`` says "not settled"). This recipe does what the long
recipe does for addition (:mod:`explainer.training.long_recipe`): it trains ``fast`` with the same seed, then Adam
(learning rate 0.01) on batches of 64 random inputs of 40 columns labelled by the rule's minimal machine (half of
them one column repeated to the end: where slow drifts show), with loss = cross-entropy + w · mean h(1 − h), w = 5
then 30. The sequences are any columns, not only the rule's domain (a ≥ b), because the verifier's property is
about every sequence. Then it checks every input of 8 columns (16 for one number; three numbers: the prefix-sharing
check of :mod:`explainer.analysis.rule_accuracy`) and records it with the units' mid-range share.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from explainer.model.network import RNNWeights, forward

LEARNING_RATE = 0.01
BATCH_SIZE = 64
COLUMNS = 40  # one shape for every batch, so the step is traced once; every shorter input is a prefix of one
STAGES = ((800, 5.0), (700, 30.0))  # (steps, weight of the saturation term), as the long recipe's two stages
MID_RANGE = (0.1, 0.9)


def machine_batch(machine, rng: np.random.Generator, size: int = BATCH_SIZE, columns: int = COLUMNS):
    """``(inputs (size, columns, W) float32, targets (size, columns, 1) float32)``: random words, half of them one
    column repeated from a random point to the end, labelled by ``machine`` (:class:`explainer.verify.property.
    Machine`)."""
    words = rng.integers(0, machine.symbols, size=(size, columns))
    for row in range(size // 2):
        words[row, int(rng.integers(0, columns - 1)) :] = rng.integers(0, machine.symbols)
    inputs = machine.columns[words].astype(np.float32)
    targets = machine.run(words, machine.start)[0].astype(np.float32)[..., None]
    return inputs, targets


def mid_range_share(weights: RNNWeights, inputs: np.ndarray) -> float:
    """The share of hidden values strictly between 0.1 and 0.9 over ``inputs (N, T, W)``."""
    hidden = forward(weights, inputs).hidden
    low, high = MID_RANGE
    return float(np.mean((hidden > low) & (hidden < high)))


def saturate_rule(rule_name: str, seed: int = 0, log: Callable[[str], None] | None = None, model=None):
    """Train ``fast`` (or take ``model``) and fine-tune it as the module says.

    Returns ``(model, summary dict, accuracy record)``, the record as :func:`explainer.analysis.rule_accuracy.
    rule_accuracy_record` gives it; "exact_accuracy" in the summary is over every input of 8 columns (16 for one
    number: all 16.8 million triples below 256 for three numbers).
    """
    import keras
    import tensorflow as tf

    from explainer.analysis.rule_accuracy import FULL_CHECK_COLUMNS, rule_accuracy_record
    from explainer.training.train import train
    from explainer.verify.rule_property import finite_rule, rule_machine

    rule = finite_rule(rule_name)
    started_from = "the given network"
    if model is None:
        fast = train("fast", seed, rule=rule_name)
        model = fast.model
        started_from = {key: fast.summary()[key] for key in ("recipe", "seed", "steps", "exact_accuracy", "solved")}
    keras.utils.set_random_seed(seed)
    before = RNNWeights.from_model(model)
    rnn, output = model.get_layer("rnn"), model.get_layer("output")
    machine, _ = rule_machine(rule)
    rng = np.random.default_rng(seed)
    optimizer = keras.optimizers.Adam(LEARNING_RATE)
    variables = rnn.trainable_variables + output.trainable_variables

    @tf.function(reduce_retracing=True)
    def step(inputs, targets, weight):
        with tf.GradientTape() as tape:
            hidden = rnn(inputs)
            loss = tf.reduce_mean(keras.losses.binary_crossentropy(targets, output(hidden)))
            loss += weight * tf.reduce_mean(hidden * (1 - hidden))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    started = time.perf_counter()
    steps = 0
    for stage_steps, weight in STAGES:
        for index in range(stage_steps):
            loss = step(*machine_batch(machine, rng), tf.constant(weight, tf.float32))
            steps += 1
            if log is not None and index % 250 == 0:
                log(f"saturation weight {weight}: step {index}, loss {float(loss):.5f}")
    train_seconds = time.perf_counter() - started
    weights = RNNWeights.from_model(model)
    record = rule_accuracy_record(weights, rule)  # the page's check set, and every input of 8 columns (16 for one)
    accuracy = record[f"accuracy_every_input_{FULL_CHECK_COLUMNS[rule.input_width]}_columns"]
    probe_inputs = machine_batch(machine, np.random.default_rng(1), size=1024)[0]
    summary = {
        "recipe": "provable",
        "seed": seed,
        "rule": rule_name,
        "hidden_units": int(rnn.units),
        "learning_rate": LEARNING_RATE,
        "steps": steps,
        "train_seconds": round(train_seconds, 3),
        "exact_accuracy": accuracy["exact_accuracy"],
        "bit_accuracy": accuracy["bit_accuracy"],
        "solved": accuracy["exact_accuracy"] == 1.0,
        "started_from": started_from,
        "stages": [{"steps": s, "saturation_weight": w} for s, w in STAGES],
        "mid_range_share": {
            "measured_on": f"1,024 random inputs of {COLUMNS} columns (seeded)",
            "before": round(mid_range_share(before, probe_inputs), 4),
            "after": round(mid_range_share(weights, probe_inputs), 4),
        },
    }
    return model, summary, record
