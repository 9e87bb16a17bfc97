"""Training the adder (or another rule's network), two ways, and the command line that produces
``assets/model.keras`` and ``assets/rules/*.keras``.

    python -m explainer.training --recipe seed --seed 0 --out assets/model.keras
    python -m explainer.training --rule subtraction --recipe fast --seed 0 --out assets/rules/subtraction.keras
    python -m explainer.training --rule subtraction --recipe provable --seed 0 --out assets/rules/subtraction.keras

Recipes:
- ``seed``: the blog's. Plain SGD, learning rate 0.1, binary cross-entropy, one random pair with
  a, b < 128 per step (8 timesteps). Slow but it is the network the blog describes.
- ``fast``: the same network and loss, but Adam on shuffled mini-batches of all 16,384 pairs, each step in numpy
  (:mod:`explainer.training.numpy_steps`); three numbers and divisibility weight each column's loss by 1 / how often
  its transition occurs (``transition_weights``).

Both stop as soon as a check over all 16,384 training pairs is exact, or at the step limit. Another rule
(:mod:`explainer.rules`) trains the same architecture with its own input width on its own training set, and
stops when that set is exact. Two more fine-tune a shipped network towards 0/1 units so that the verifier can
prove it: ``long`` (addition, :mod:`explainer.training.long_recipe`) and ``provable`` (a finite rule,
:mod:`explainer.training.saturate`).
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
from threadpoolctl import threadpool_limits

from explainer.model.accuracy import accuracy_on, evaluate, quick_accuracy_on
from explainer.model.encoding import bits_matrix_to_ints
from explainer.model.network import DEFAULT_HIDDEN_UNITS, MAX_HIDDEN_UNITS, RNNWeights, build_model
from explainer.rules import DEFAULT_RULE, RULES, Rule, rule_named
from explainer.rules.rule import columns_to_symbols
from explainer.training.numpy_steps import AdamSteps
from explainer.training.recipes import RECIPES, Checkpoint, Recipe, balances_transitions

BLOG_PRINT_EVERY = 10_000  # the seed recipe prints "a+b?=prediction" and the loss this often, like the blog


def overall_error(y_true, y_pred):
    """The blog's metric: sum of |y − p| over the timesteps of an example (averaged over the batch)."""
    return keras.ops.mean(keras.ops.sum(keras.ops.abs(y_true - y_pred), axis=(1, 2)))


@dataclass
class TrainingResult:
    recipe: str
    seed: int
    rule: str
    hidden_units: int
    learning_rate: float
    steps: int
    train_seconds: float  # time spent in gradient steps and data generation; evaluation excluded
    exact_accuracy: float  # on the rule's training set: for addition all 16,384 pairs with a, b < 128
    bit_accuracy: float
    overall_error: float  # the blog's metric on the last training batch
    solved: bool
    balanced_transitions: bool  # the loss weighted each column by 1 / its transition's frequency
    stopped_early: bool  # the on_checkpoint callback asked to stop
    model: keras.Model
    checkpoints: list[Checkpoint] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "recipe": self.recipe,
            "seed": self.seed,
            "rule": self.rule,
            "hidden_units": self.hidden_units,
            "learning_rate": self.learning_rate,
            "steps": self.steps,
            "train_seconds": round(self.train_seconds, 3),
            "exact_accuracy": self.exact_accuracy,
            "bit_accuracy": self.bit_accuracy,
            "overall_error": round(self.overall_error, 6),
            "solved": self.solved,
            "balanced_transitions": self.balanced_transitions,
        }


def _validate_int(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}; got {value!r}.")
    return value


def transition_weights(rule: Rule, inputs: np.ndarray) -> np.ndarray:
    """One loss weight per column of every input ``(N, T, W)``: ``(N, T)`` float32, mean 1.

    A column's weight is 1 / how often its transition (the rule's machine's state before it, and the column read)
    occurs among all the columns of ``inputs``, so every transition weighs the same in the loss however rare it is
    in the sample. Without it, three numbers sat for ~1,000 steps at 91% exact with one transition wrong: carry 2
    meeting three 1 bits, 1.75% of the columns. A rule without a machine (brackets) gets weight 1 everywhere.
    """
    machine = rule.machine
    if machine is None:
        return np.ones(inputs.shape[:2], dtype=np.float32)
    symbols = columns_to_symbols(inputs)  # (N, T)
    states = np.empty_like(symbols)
    state = np.full(len(inputs), machine.start)
    for column in range(symbols.shape[1]):
        states[:, column] = state
        state = machine.next_state[state, symbols[:, column]]
    transitions = states * machine.symbol_count + symbols  # (N, T): which transition each column is
    counts = np.bincount(transitions.ravel(), minlength=machine.state_count * machine.symbol_count)
    weights = 1.0 / counts[transitions]
    return (weights / weights.mean()).astype(np.float32)


def _batches(recipe: Recipe, rule: Rule, rng: np.random.Generator, chunk_steps: int, balanced: bool = False):
    """Yield ``(inputs (B, T, W), targets (B, T, 1), weights (B, T))`` forever, built in chunks to save Python time.

    T and W are the rule's training columns and input width: 8 and 2 for addition. ``weights`` are the columns'
    loss weights: :func:`transition_weights` if ``balanced``, else 1.
    """
    if recipe.batch_size == 1:  # the blog: a fresh random input every step
        ones = np.ones((1, rule.training_columns), dtype=np.float32)
        while True:
            inputs, targets = rule.sample(rng, chunk_steps)
            for index in range(chunk_steps):
                yield inputs[index : index + 1], targets[index : index + 1], ones
    all_inputs, all_targets = rule.training_set()
    all_weights = transition_weights(rule, all_inputs) if balanced else np.ones(all_inputs.shape[:2], dtype=np.float32)
    while True:  # epochs over every training input, reshuffled each time
        order = rng.permutation(len(all_inputs))
        for start in range(0, order.size - recipe.batch_size + 1, recipe.batch_size):
            chosen = order[start : start + recipe.batch_size]
            yield all_inputs[chosen], all_targets[chosen], all_weights[chosen]


def blog_line(inputs: np.ndarray, predicted: np.ndarray) -> str:
    """The blog's progress line for one example: "34+54?=4" (the numbers read, then what the network wrote).

    ``inputs (T, W)`` and ``predicted (T,)`` are bits, LSB first; for one number the line is "34?=102".
    """
    numbers = bits_matrix_to_ints(np.asarray(inputs).T)  # (W,)
    written = int(bits_matrix_to_ints(np.asarray(predicted)[None])[0])
    return f"{'+'.join(str(int(number)) for number in numbers)}?={written}"


def train(
    recipe: str = "seed",
    seed: int = 0,
    max_steps: int | None = None,
    hidden_units: int = DEFAULT_HIDDEN_UNITS,
    learning_rate: float | None = None,
    on_checkpoint: Callable[[Checkpoint], bool | None] | None = None,
    log: Callable[[str], None] | None = None,
    rule: str = DEFAULT_RULE,
) -> TrainingResult:
    """Train a fresh model with a recipe for a rule (addition unless given); same arguments, same weights.

    ``on_checkpoint`` is called after every exhaustive check (including step 0) and may return True to
    stop. ``log`` receives the seed recipe's blog-style lines ("34+54?=4", then the loss).
    """
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {sorted(RECIPES)}; got {recipe!r}.")
    settings = RECIPES[recipe]
    rule_settings = rule_named(rule)
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
    model = (
        build_model(hidden_units)
        if rule == DEFAULT_RULE
        else build_model(hidden_units, rule_settings.input_width, name=f"{rule}_rnn")
    )
    optimizer = (
        keras.optimizers.SGD(learning_rate) if settings.optimizer == "sgd" else keras.optimizers.Adam(learning_rate)
    )
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=[overall_error])
    rng = np.random.default_rng(seed)
    balanced = balances_transitions(recipe, rule)
    batches = _batches(settings, rule_settings, rng, chunk_steps=settings.check_every, balanced=balanced)
    check_set = rule_settings.training_set()  # for addition: the 16,384 pairs evaluate() checks

    checkpoints: list[Checkpoint] = []
    train_seconds = 0.0
    window_losses: list[float] = []
    last_error = float("nan")
    stopped_early = False

    # Batched recipes (``fast``) step in numpy (numpy_steps: the same loss and Adam update as Keras, without its
    # overhead per step); the Keras model gets the weights back at the end. The seed recipe keeps train_on_batch.
    numpy_steps = AdamSteps(model.get_weights(), learning_rate) if settings.batch_size > 1 else None

    def current_weights() -> RNNWeights:
        if numpy_steps is None:
            return RNNWeights.from_model(model)
        # rounded to float32 as the Keras model stores them, so a check judges exactly the weights that are saved
        return RNNWeights(*(matrix.astype(np.float32) for matrix in numpy_steps.weights))

    def check(step: int) -> bool:
        weights = current_weights()
        if numpy_steps is None:
            accuracy = accuracy_on(weights, *check_set)
        else:
            accuracy = quick_accuracy_on(weights, *check_set)
            if accuracy.exact_accuracy == 1.0:  # the float64 forward pass has the last word on "exact"
                accuracy = accuracy_on(weights, *check_set)
        loss = float(np.mean(window_losses)) if window_losses else float("nan")
        window_losses.clear()
        checkpoint = Checkpoint(step, loss, accuracy.exact_accuracy, accuracy.bit_accuracy, train_seconds, weights)
        checkpoints.append(checkpoint)
        wants_stop = bool(on_checkpoint(checkpoint)) if on_checkpoint is not None else False
        return wants_stop or accuracy.exact_accuracy == 1.0

    # One BLAS thread for the fast recipe: the check's matrix products are too small to gain from two, and on a
    # loaded machine a second thread waiting for a core made each check several times slower (bench/README.md).
    # The seed recipe runs as it always has (its network is shipped).
    with threadpool_limits(limits=1 if numpy_steps is not None else None, user_api="blas"):
        step = 0
        finished = check(0)
        while not finished and step < max_steps:
            started = time.perf_counter()
            inputs, targets, loss_weights = next(batches)
            if numpy_steps is not None:
                loss, last_error = numpy_steps.step(inputs, targets, loss_weights)
            else:
                loss, last_error = model.train_on_batch(inputs, targets)
            train_seconds += time.perf_counter() - started
            window_losses.append(float(loss))
            step += 1
            if log is not None and settings.batch_size == 1 and step % BLOG_PRINT_EVERY == 0:
                predicted = model.predict_on_batch(inputs)[..., 0] >= 0.5  # (1, T)
                log(blog_line(inputs[0], predicted[0]))
                log(f"{float(loss)}")
            if step % settings.check_every == 0 or step == max_steps:
                finished = check(step)
                stopped_early = finished and checkpoints[-1].exact_accuracy < 1.0
    if numpy_steps is not None:
        model.set_weights([matrix.astype(np.float32) for matrix in numpy_steps.weights])
    final = checkpoints[-1]
    return TrainingResult(
        recipe=recipe,
        seed=seed,
        rule=rule,
        hidden_units=hidden_units,
        learning_rate=learning_rate,
        steps=step,
        train_seconds=train_seconds,
        exact_accuracy=final.exact_accuracy,
        bit_accuracy=final.bit_accuracy,
        overall_error=float(last_error),
        solved=final.exact_accuracy == 1.0,
        balanced_transitions=balanced,
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
    parser.add_argument("--recipe", choices=[*sorted(RECIPES), "long", "provable"], default="seed")
    parser.add_argument("--rule", choices=list(RULES), default=DEFAULT_RULE, help="what the network learns to write")
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

    if arguments.recipe == "long" and arguments.rule != DEFAULT_RULE:
        parser.error("the long recipe fine-tunes the shipped adder; a rule's is --recipe provable.")
    if arguments.recipe == "provable" and RULES[arguments.rule].machine is None:
        parser.error("the provable recipe fine-tunes a finite rule's shipped network; this rule has no finite machine.")
    if arguments.recipe == "provable" and arguments.rule == DEFAULT_RULE:
        parser.error("the provable recipe fine-tunes another rule's network; the adder's is --recipe long.")
    if arguments.recipe in ("long", "provable"):
        given = [
            name
            for name in ("max_steps", "hidden_units", "learning_rate")
            if getattr(arguments, name) != parser.get_default(name)
        ]
        if given:
            parser.error(
                f"the {arguments.recipe} recipe fixes its own steps, units and learning rate; "
                f"drop --{given[0].replace('_', '-')}."
            )
        return _main_long(arguments, argv) if arguments.recipe == "long" else _main_provable(arguments, argv)
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
            rule=arguments.rule,
        )
    except ValueError as error:
        progress.close()
        parser.error(str(error))
    progress.close()
    if arguments.rule != DEFAULT_RULE:
        return _save_rule_network(result, arguments, argv)
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


def _save_rule_network(result: TrainingResult, arguments: argparse.Namespace, argv: list[str] | None) -> int:
    """Save another rule's network with a sidecar: its accuracy on its training set and on every short input."""
    from explainer.analysis.rule_accuracy import rule_accuracy_record
    from explainer.files.keras_file import save_model

    provenance = {
        **result.summary(),
        "command": "python -m explainer.training " + " ".join(sys.argv[1:] if argv is None else argv),
        **rule_accuracy_record(RNNWeights.from_model(result.model), rule_named(arguments.rule)),
        "versions": library_versions(),
    }
    sidecar = save_model(result.model, arguments.out, provenance)
    print(json.dumps({**result.summary(), "path": arguments.out, "sha256": sidecar["sha256"]}), flush=True)
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


def _main_provable(arguments: argparse.Namespace, argv: list[str] | None) -> int:
    """``--recipe provable``: the fast network fine-tuned towards 0/1 units (:mod:`explainer.training.saturate`)."""
    from explainer.files.keras_file import save_model
    from explainer.training.saturate import saturate_rule

    model, summary, record = saturate_rule(
        arguments.rule, arguments.seed, log=lambda line: print(line, file=sys.stderr, flush=True)
    )
    provenance = {
        **summary,
        "command": "python -m explainer.training " + " ".join(sys.argv[1:] if argv is None else argv),
        **record,
        "versions": library_versions(),
    }
    sidecar = save_model(model, arguments.out, provenance)
    print(json.dumps({**summary, "path": arguments.out, "sha256": sidecar["sha256"]}), flush=True)
    return 0
