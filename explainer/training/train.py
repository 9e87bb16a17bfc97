"""Training the adder, two ways, and the command line that produces ``assets/model.keras``.

    python -m explainer.training --recipe seed --seed 0 --out assets/model.keras

Recipes:
- ``seed``: the blog's. Plain SGD, learning rate 0.1, binary cross-entropy, one random pair with
  a, b < 128 per step (8 timesteps). Slow but it is the network the blog describes.
- ``fast``: the same network and loss, but Adam on shuffled mini-batches of all 16,384 pairs.

Both stop as soon as a check over all 16,384 training pairs is exact, or at the step limit.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np

from explainer.model.accuracy import evaluate
from explainer.model.encoding import MIN_TIMESTEPS, TRAINING_OPERAND_BITS, all_pairs, bits_matrix_to_ints, encode_batch
from explainer.model.network import DEFAULT_HIDDEN_UNITS, MAX_HIDDEN_UNITS, RNNWeights, build_model
from explainer.training.recipes import RECIPES, Checkpoint, Recipe

BLOG_PRINT_EVERY = 10_000  # the seed recipe prints "a+b?=prediction" and the loss this often, like the blog


def overall_error(y_true, y_pred):
    """The blog's metric: sum of |y − p| over the timesteps of an example (averaged over the batch)."""
    return keras.ops.mean(keras.ops.sum(keras.ops.abs(y_true - y_pred), axis=(1, 2)))


@dataclass
class TrainingResult:
    recipe: str
    seed: int
    hidden_units: int
    learning_rate: float
    steps: int
    train_seconds: float  # time spent in gradient steps and data generation; evaluation excluded
    exact_accuracy: float  # on all 16,384 pairs with a, b < 128
    bit_accuracy: float
    overall_error: float  # the blog's metric on the last training batch
    solved: bool
    stopped_early: bool  # the on_checkpoint callback asked to stop
    model: keras.Model
    checkpoints: list[Checkpoint] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "recipe": self.recipe,
            "seed": self.seed,
            "hidden_units": self.hidden_units,
            "learning_rate": self.learning_rate,
            "steps": self.steps,
            "train_seconds": round(self.train_seconds, 3),
            "exact_accuracy": self.exact_accuracy,
            "bit_accuracy": self.bit_accuracy,
            "overall_error": round(self.overall_error, 6),
            "solved": self.solved,
        }


def _validate_int(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}; got {value!r}.")
    return value


def _batches(recipe: Recipe, rng: np.random.Generator, chunk_steps: int):
    """Yield ``(inputs (B, 8, 2), targets (B, 8, 1), a, b)`` forever, built in chunks to save Python time."""
    side = 2**TRAINING_OPERAND_BITS
    if recipe.batch_size == 1:  # the blog: a fresh random pair every step
        while True:
            a_values, b_values = rng.integers(0, side, size=(2, chunk_steps))
            inputs, targets = encode_batch(a_values, b_values, MIN_TIMESTEPS)
            for index in range(chunk_steps):
                yield inputs[index : index + 1], targets[index : index + 1], a_values[index], b_values[index]
    all_a, all_b = all_pairs(TRAINING_OPERAND_BITS)
    all_inputs, all_targets = encode_batch(all_a, all_b, MIN_TIMESTEPS)
    while True:  # epochs over every training pair, reshuffled each time
        order = rng.permutation(all_a.size)
        for start in range(0, order.size - recipe.batch_size + 1, recipe.batch_size):
            chosen = order[start : start + recipe.batch_size]
            yield all_inputs[chosen], all_targets[chosen], all_a[chosen[0]], all_b[chosen[0]]


def train(
    recipe: str = "seed",
    seed: int = 0,
    max_steps: int | None = None,
    hidden_units: int = DEFAULT_HIDDEN_UNITS,
    learning_rate: float | None = None,
    on_checkpoint: Callable[[Checkpoint], bool | None] | None = None,
    log: Callable[[str], None] | None = None,
) -> TrainingResult:
    """Train a fresh model with a recipe; same arguments, same weights.

    ``on_checkpoint`` is called after every exhaustive check (including step 0) and may return True to
    stop. ``log`` receives the seed recipe's blog-style lines ("34+54?=4", then the loss).
    """
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {sorted(RECIPES)}; got {recipe!r}.")
    settings = RECIPES[recipe]
    seed = _validate_int(seed, "seed", 0, 2**31 - 1)
    hidden_units = _validate_int(hidden_units, "hidden_units", 1, MAX_HIDDEN_UNITS)
    max_steps = settings.default_max_steps if max_steps is None else _validate_int(max_steps, "max_steps", 1, 10**7)
    if learning_rate is None:
        learning_rate = settings.learning_rate
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)):
        raise ValueError(f"learning_rate must be a number; got {learning_rate!r}.")
    if not (math.isfinite(learning_rate) and 0 < learning_rate <= 10):
        raise ValueError(f"learning_rate must be greater than 0 and at most 10; got {learning_rate!r}.")
    learning_rate = float(learning_rate)

    # One seed fixes the initial weights (Keras), the data order (numpy) and TensorFlow's kernels.
    keras.utils.set_random_seed(seed)
    model = build_model(hidden_units)
    optimizer = (
        keras.optimizers.SGD(learning_rate) if settings.optimizer == "sgd" else keras.optimizers.Adam(learning_rate)
    )
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=[overall_error])
    rng = np.random.default_rng(seed)
    batches = _batches(settings, rng, chunk_steps=settings.check_every)

    checkpoints: list[Checkpoint] = []
    train_seconds = 0.0
    window_losses: list[float] = []
    last_error = float("nan")
    stopped_early = False

    def check(step: int) -> bool:
        weights = RNNWeights.from_model(model)
        accuracy = evaluate(weights)
        loss = float(np.mean(window_losses)) if window_losses else float("nan")
        window_losses.clear()
        checkpoint = Checkpoint(step, loss, accuracy.exact_accuracy, accuracy.bit_accuracy, train_seconds, weights)
        checkpoints.append(checkpoint)
        wants_stop = bool(on_checkpoint(checkpoint)) if on_checkpoint is not None else False
        return wants_stop or accuracy.exact_accuracy == 1.0

    step = 0
    finished = check(0)
    while not finished and step < max_steps:
        started = time.perf_counter()
        inputs, targets, a_value, b_value = next(batches)
        loss, last_error = model.train_on_batch(inputs, targets)
        train_seconds += time.perf_counter() - started
        window_losses.append(float(loss))
        step += 1
        if log is not None and settings.batch_size == 1 and step % BLOG_PRINT_EVERY == 0:
            predicted = model.predict_on_batch(inputs)[..., 0] >= 0.5  # (1, 8)
            log(f"{a_value}+{b_value}?={int(bits_matrix_to_ints(predicted)[0])}")
            log(f"{float(loss)}")
        if step % settings.check_every == 0 or step == max_steps:
            finished = check(step)
            stopped_early = finished and checkpoints[-1].exact_accuracy < 1.0
    final = checkpoints[-1]
    return TrainingResult(
        recipe=recipe,
        seed=seed,
        hidden_units=hidden_units,
        learning_rate=learning_rate,
        steps=step,
        train_seconds=train_seconds,
        exact_accuracy=final.exact_accuracy,
        bit_accuracy=final.bit_accuracy,
        overall_error=float(last_error),
        solved=final.exact_accuracy == 1.0,
        stopped_early=stopped_early,
        model=model,
        checkpoints=checkpoints,
    )


def library_versions() -> dict[str, str]:
    import tensorflow

    return {"keras": keras.__version__, "tensorflow": tensorflow.__version__, "numpy": np.__version__}


def main(argv: list[str] | None = None) -> int:
    from tqdm import tqdm

    from explainer.files.keras_file import save_model

    parser = argparse.ArgumentParser(
        prog="python -m explainer.training", description="Train the binary-addition RNN and save it as .keras."
    )
    parser.add_argument("--recipe", choices=[*sorted(RECIPES), "long"], default="seed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", required=True, help="where to write the model (.keras); a .json sidecar goes beside it"
    )
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--hidden-units", type=int, default=DEFAULT_HIDDEN_UNITS)
    parser.add_argument("--learning-rate", type=float, default=None)
    arguments = parser.parse_args(argv)
    if not arguments.out.endswith(".keras"):
        parser.error("--out must end in .keras")

    if arguments.recipe == "long":
        given = [
            name
            for name in ("max_steps", "hidden_units", "learning_rate")
            if getattr(arguments, name) != parser.get_default(name)
        ]
        if given:
            parser.error(
                f"the long recipe fixes its own steps, units and learning rate; drop --{given[0].replace('_', '-')}."
            )
        return _main_long(arguments, argv)
    total = arguments.max_steps or RECIPES[arguments.recipe].default_max_steps
    progress = tqdm(total=total, unit="step", file=sys.stderr, dynamic_ncols=True)

    def report(checkpoint: Checkpoint) -> None:
        progress.update(checkpoint.step - progress.n)
        progress.set_postfix(loss=f"{checkpoint.loss:.4f}", exact=f"{checkpoint.exact_accuracy:.2%}")

    try:
        result = train(
            arguments.recipe,
            arguments.seed,
            arguments.max_steps,
            arguments.hidden_units,
            arguments.learning_rate,
            on_checkpoint=report,
            log=lambda line: tqdm.write(line, file=sys.stdout),
        )
    except ValueError as error:
        progress.close()
        parser.error(str(error))
    progress.close()
    weights = RNNWeights.from_model(result.model)
    eight_bit = evaluate(weights, operand_bits=8)
    provenance = {
        **result.summary(),
        "command": "python -m explainer.training " + " ".join(sys.argv[1:] if argv is None else argv),
        "accuracy_7bit_pairs": evaluate(weights).as_dict(),
        "accuracy_8bit_pairs": eight_bit.as_dict(),
        "versions": library_versions(),
    }
    sidecar = save_model(result.model, arguments.out, provenance)
    line = {
        **result.summary(),
        "exact_accuracy_8bit": eight_bit.exact_accuracy,
        "path": arguments.out,
        "sha256": sidecar["sha256"],
    }
    print(json.dumps(line), flush=True)
    return 0


def _main_long(arguments: argparse.Namespace, argv: list[str] | None) -> int:
    """``--recipe long``: fine-tune the shipped network on long sums (see ``explainer.training.long_recipe``)."""
    from explainer.files.keras_file import save_model
    from explainer.training.long_recipe import train_long

    model, summary = train_long(arguments.seed, log=lambda line: print(line, file=sys.stderr, flush=True))
    weights = RNNWeights.from_model(model)
    provenance = {
        **summary,
        "command": "python -m explainer.training " + " ".join(sys.argv[1:] if argv is None else argv),
        "accuracy_7bit_pairs": evaluate(weights).as_dict(),
        "accuracy_8bit_pairs": evaluate(weights, operand_bits=8).as_dict(),
        "versions": library_versions(),
    }
    sidecar = save_model(model, arguments.out, provenance)
    print(json.dumps({**summary, "path": arguments.out, "sha256": sidecar["sha256"]}), flush=True)
    return 0
