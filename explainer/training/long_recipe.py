"""The ``long`` recipe: fine-tune the shipped seed network on long sums until it can be proved.

    python -m explainer.training --recipe long --seed 0 --out assets/model-long.keras

Starting from ``assets/model.keras`` (the seed recipe's network), two stages of Adam (learning rate 0.01,
batches of 64 sums of 8–48 columns from ``explainer.training.long_sums``, half with long runs of one pattern):
2,000 steps with loss = cross-entropy + 5 · mean h(1 − h), then 1,500 steps with weight 30 on that term.
The second term pushes every hidden unit towards 0 or 1. A network whose units sit near 0 or 1 barely
responds to small changes in its state (σ' is tiny there), so the states of long runs stop drifting and
the verifier can close boxes around them: that is what makes ``python -m explainer.verify`` say "proved".
Same seed, same weights (one seed fixes Keras's and numpy's randomness).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import keras
import numpy as np

from explainer.files.keras_file import SHIPPED_MODEL_PATH, load_model
from explainer.model.accuracy import evaluate
from explainer.model.network import RNNWeights
from explainer.training.long_sums import LONG_SUM_COLUMNS, long_sum_batch

LEARNING_RATE = 0.01
BATCH_SIZE = 64
STAGES = ((2000, 5.0), (1500, 30.0))  # (steps, weight of the saturation term)


def saturation(_unused_target, hidden):
    """Mean of h(1 − h): 0 when every unit is exactly 0 or 1, 0.25 when all sit at 0.5."""
    return keras.ops.mean(hidden * (1 - hidden))


def train_long(seed: int = 0, log: Callable[[str], None] | None = None, start_path=SHIPPED_MODEL_PATH):
    """Fine-tune the shipped network as the docstring says; returns ``(model, summary dict)``."""
    keras.utils.set_random_seed(seed)
    model = load_model(start_path)
    rng = np.random.default_rng(seed)
    units = model.get_layer("rnn").units
    hidden_target = np.zeros((BATCH_SIZE, LONG_SUM_COLUMNS, units), dtype=np.float32)
    started = time.perf_counter()
    steps = 0
    for stage_steps, weight in STAGES:
        trainer = keras.Model(model.input, [model.output, model.get_layer("rnn").output])
        trainer.compile(
            optimizer=keras.optimizers.Adam(LEARNING_RATE),
            loss=["binary_crossentropy", saturation],
            loss_weights=[1.0, weight],
        )
        for step in range(stage_steps):
            inputs, targets = long_sum_batch(rng, BATCH_SIZE)
            losses = trainer.train_on_batch(inputs, [targets, hidden_target])
            steps += 1
            if log is not None and step % 500 == 0:
                log(f"saturation weight {weight}: step {step}, losses {np.round(losses, 5).tolist()}")
    weights = RNNWeights.from_model(model)
    accuracy = evaluate(weights)
    summary = {
        "recipe": "long",
        "seed": seed,
        "hidden_units": units,
        "learning_rate": LEARNING_RATE,
        "steps": steps,
        "train_seconds": round(time.perf_counter() - started, 3),
        "exact_accuracy": accuracy.exact_accuracy,
        "bit_accuracy": accuracy.bit_accuracy,
        "solved": accuracy.exact_accuracy == 1.0,
        "started_from": "assets/model.keras",
        "stages": [{"steps": s, "saturation_weight": w} for s, w in STAGES],
    }
    return model, summary
