"""How ``tests/support/subtraction_saturated.npz`` was made: a rule's shipped network fine-tuned so that its units sit
near 0 or 1, as the long recipe does for addition (``explainer/training/long_recipe.py``), so that the verifier's
boxes close. The tests keep the file rather than retrain (about 6 minutes on the shared machine); TensorFlow's
training is not bit-reproducible across machines, so a rerun gives a network that is proved the same way, not
the same bytes.

    python -m tests.support.saturate subtraction tests/support/subtraction_saturated.npz
"""

from __future__ import annotations

import sys

import numpy as np


def saturate(rule_name: str, out: str, steps: int = 1500, seed: int = 0) -> None:
    import keras
    import tensorflow as tf

    from explainer.files.keras_file import load_model
    from explainer.rules import RULES
    from explainer.verify.rule_property import rule_machine
    from explainer.verify.verdict import rule_model_path

    rule = RULES[rule_name]
    model = load_model(rule_model_path(rule_name), input_width=rule.input_width)
    rnn, output = model.get_layer("rnn"), model.get_layer("output")
    machine, _ = rule_machine(rule)
    rng = np.random.default_rng(seed)
    optimizer = keras.optimizers.Adam(0.01)
    for step in range(steps):
        columns = int(rng.integers(8, 40))
        words = rng.integers(0, machine.symbols, size=(64, columns))
        for row in range(32):  # half repeat one column to the end: where slow drifts show
            words[row, int(rng.integers(0, columns - 1)) :] = rng.integers(0, machine.symbols)
        inputs = tf.constant(machine.columns[words].astype(np.float32))
        targets = tf.constant(machine.run(words, machine.start)[0].astype(np.float32)[..., None])
        weight = 5.0 if step < 800 else 30.0  # then harder towards 0 or 1, as the long recipe
        with tf.GradientTape() as tape:
            hidden = rnn(inputs)
            loss = tf.reduce_mean(keras.losses.binary_crossentropy(targets, output(hidden)))
            loss += weight * tf.reduce_mean(hidden * (1 - hidden))
        variables = rnn.trainable_variables + output.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
    input_weights, recurrent_weights = rnn.get_weights()
    (output_weights,) = output.get_weights()
    np.savez(out, input_weights=input_weights, recurrent_weights=recurrent_weights, output_weights=output_weights)


if __name__ == "__main__":
    saturate(sys.argv[1], sys.argv[2])
