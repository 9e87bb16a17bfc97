"""The training recipes, the settings of one run, and a checkpoint: shared by the training CLI
(:mod:`explainer.training.train`), the page's training child (:mod:`explainer.training.worker`) and the page itself.

Keras-free on purpose, so the page can offer the recipes' defaults and keep checkpoints without importing
TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from explainer.model.network import RNNWeights
from explainer.rules import DEFAULT_RULE, rule_named


@dataclass(frozen=True)
class Recipe:
    name: str
    optimizer: str  # "sgd" or "adam"
    learning_rate: float
    batch_size: int  # pairs per gradient step
    check_every: int  # steps between exhaustive checks (and checkpoints)
    default_max_steps: int


RECIPES = {
    # The blog: one example per step, SGD 0.1; it printed progress every 10**4 of its 10**5 steps.
    "seed": Recipe("seed", "sgd", 0.1, batch_size=1, check_every=1000, default_max_steps=200_000),
    # Adam adapts the step size per weight and crosses the plateau (before the carry appears) in about 200
    # steps. Batches of 32 keep a step cheap (~0.3 ms in numpy: explainer/training/numpy_steps.py) while one
    # epoch still gives 512 updates; 0.05 solved 5/5 seeds fastest among 0.02–0.1 × batch 16–64 on this CPU.
    # Checking every 16 steps stops within a few ms of training time of the moment it is exact.
    "fast": Recipe("fast", "adam", 0.05, batch_size=32, check_every=16, default_max_steps=20_000),
}
# What the page calls each recipe: "seed" beside a "Random seed" box read as one thing. The internal names
# stay the CLI's and the URL's values.
RECIPE_LABELS = {"seed": "The blog's (slow)", "fast": "Fast"}
RECIPE_LEARNING_RATES = {name: recipe.learning_rate for name, recipe in RECIPES.items()}
RECIPE_CHECK_EVERY = {name: recipe.check_every for name, recipe in RECIPES.items()}


def balances_transitions(recipe: str, rule: str = DEFAULT_RULE) -> bool:
    """Whether a run weights each column's loss by 1 / its transition's frequency (``train.transition_weights``):
    when the rule asks for it (``balanced_loss``) and the recipe trains on batches of the rule's training set."""
    return RECIPES[recipe].batch_size > 1 and getattr(rule_named(rule), "balanced_loss", False)


_NOUNS = {1: "numbers", 2: "pairs", 3: "triples"}  # what one input of a rule reading 1, 2 or 3 numbers is


@cache
def check_set_words(rule: str = DEFAULT_RULE) -> str:
    """What training's exactness check covers, in words: the rule's training set (``Rule.training_set``).

    "all 16,384 pairs" for addition; "32,768 triples (a fixed sample)" for three numbers.
    """
    chosen = rule_named(rule)
    count = len(chosen.training_set()[0])
    if chosen.machine is None:
        return f"all {count:,} strings of {chosen.training_columns} brackets"
    noun = _NOUNS.get(chosen.input_width, "inputs")
    return f"{count:,} {noun} (a fixed sample)" if getattr(chosen, "training_sample", None) else f"all {count:,} {noun}"


@dataclass(frozen=True)
class TrainingSettings:
    """What one training run was asked for, and for which rule (:mod:`explainer.rules`; addition unless given)."""

    recipe: str
    seed: int
    hidden_units: int
    learning_rate: float
    max_steps: int
    rule: str = DEFAULT_RULE

    def describe(self) -> str:
        described = f"{self.recipe}, seed {self.seed}, H = {self.hidden_units}, lr {self.learning_rate:g}"
        return described if self.rule == DEFAULT_RULE else f"{rule_named(self.rule).label}: {described}"

    def rebuilds(self, provenance: dict) -> bool:
        """Whether these settings retrain the model a sidecar (``provenance``, see ``read_sidecar``) describes.

        Training is seeded (``keras.utils.set_random_seed``), so the same recipe, seed, size and learning rate,
        with a step limit at or past the steps it took, give the same weights bit for bit.
        """
        steps = provenance.get("steps")
        return (
            provenance.get("rule", DEFAULT_RULE) == self.rule  # addition's sidecars predate the rules
            and provenance.get("recipe") == self.recipe
            and provenance.get("seed") == self.seed
            and provenance.get("hidden_units") == self.hidden_units
            and provenance.get("learning_rate") == self.learning_rate
            # networks trained before the loss weighting (no key) were trained without it
            and provenance.get("balanced_transitions", False) == balances_transitions(self.recipe, self.rule)
            and isinstance(steps, int)
            and self.max_steps >= steps
        )


def _compact(array: np.ndarray) -> np.ndarray:
    """``array`` as float32 when that loses nothing (Keras trains in float32, so a checkpoint always can),
    else as it is: half the memory, the same weights."""
    narrow = array.astype(np.float32)
    return narrow if np.array_equal(narrow, array) else array


class Checkpoint:
    """The state of a training run at one exhaustive check. ``weights`` is 304 numbers for H = 16.

    A session keeps hundreds of these per run, so the weights are held as three compact arrays and an
    :class:`RNNWeights` (float64, with its fingerprint) is made only when asked for: bit for bit the same.
    """

    __slots__ = ("_arrays", "bit_accuracy", "exact_accuracy", "loss", "step", "train_seconds")

    def __init__(
        self, step: int, loss: float, exact_accuracy: float, bit_accuracy: float, train_seconds: float, weights
    ) -> None:
        self.step = step
        self.loss = loss  # mean training loss over the steps since the previous checkpoint (nan at step 0)
        self.exact_accuracy = exact_accuracy  # over the rule's check set: for addition all 16,384 pairs a, b < 128
        self.bit_accuracy = bit_accuracy
        self.train_seconds = train_seconds
        self._arrays = tuple(
            _compact(array) for array in (weights.input_weights, weights.recurrent_weights, weights.output_weights)
        )

    @property
    def weights(self) -> RNNWeights:
        return RNNWeights(*self._arrays)

    @property
    def nbytes(self) -> int:
        return sum(array.nbytes for array in self._arrays)

    def __repr__(self) -> str:
        return f"Checkpoint(step={self.step}, exact_accuracy={self.exact_accuracy:.3f})"
