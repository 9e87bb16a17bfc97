"""Exhaustive checks: how many pairs does the network add exactly?"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from explainer.model.encoding import TRAINING_OPERAND_BITS, all_pairs, encode_batch, timesteps_for_operand_bits
from explainer.model.network import RNNWeights, forward, sigmoid

if TYPE_CHECKING:
    from explainer.model.ablation import Ablation


@dataclass(frozen=True)
class Accuracy:
    """Accuracy of a network over a set of pairs."""

    pairs: int
    exact_accuracy: float  # fraction of pairs whose every output bit is right
    bit_accuracy: float  # fraction of all output bits that are right
    wrong_bits: np.ndarray  # (pairs,) int: how many bits each pair got wrong

    def as_dict(self) -> dict[str, float | int]:
        return {"pairs": self.pairs, "exact_accuracy": self.exact_accuracy, "bit_accuracy": self.bit_accuracy}


@lru_cache(maxsize=4)
def exhaustive_dataset(operand_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """All pairs below ``2**operand_bits`` as ``(inputs (N, T, 2), targets (N, T, 1))`` float32.

    T is the timesteps of the largest sum: 8 for the 16,384 training pairs (7-bit operands) and 9 for
    the 65,536 8-bit pairs. Cached and read-only: it is the same for every model.
    """
    a_values, b_values = all_pairs(operand_bits)
    timesteps = timesteps_for_operand_bits(operand_bits)
    inputs, targets = encode_batch(a_values, b_values, timesteps)
    inputs.setflags(write=False)
    targets.setflags(write=False)
    return inputs, targets


def exact_share(wrong_bits: np.ndarray) -> float:
    """Exact accuracy from each pair's count of wrong output bits (any shape): the share of pairs with none.

    The one definition of "exact": :func:`evaluate` and :func:`explainer.analysis.correctness.exact_accuracy`
    (what the page, the tour and the ablation table report) both go through it.
    """
    return float((np.asarray(wrong_bits) == 0).mean())


def evaluate(
    weights: RNNWeights,
    operand_bits: int = TRAINING_OPERAND_BITS,
    ablation: Ablation | None = None,
) -> Accuracy:
    """Exact and bit accuracy over every pair with operands below ``2**operand_bits`` (with ``ablation``, if any)."""
    return accuracy_on(weights, *exhaustive_dataset(operand_bits), ablation)


def accuracy_on(
    weights: RNNWeights, inputs: np.ndarray, targets: np.ndarray, ablation: Ablation | None = None
) -> Accuracy:
    """Exact and bit accuracy on given ``inputs (N, T, W)`` and ``targets (N, T, 1)``: any rule's (``explainer.rules``).

    An output bit counts as 1 when its probability is at least 0.5, as everywhere on the page.
    """
    predicted = forward(weights, inputs, ablation).output_probability >= 0.5  # (N, T)
    wrong_bits = (predicted != targets[..., 0].astype(bool)).sum(axis=1)  # (N,)
    return Accuracy(
        pairs=int(wrong_bits.size),
        exact_accuracy=exact_share(wrong_bits),
        bit_accuracy=float(1.0 - wrong_bits.sum() / targets[..., 0].size),
        wrong_bits=wrong_bits,
    )


def quick_accuracy_on(weights: RNNWeights, inputs: np.ndarray, targets: np.ndarray) -> Accuracy:
    """:func:`accuracy_on` for training's check every few steps: float32, one column at a time, each bit read from
    the sign of its logit (σ(z) ≥ 0.5 ⟺ z ≥ 0), no ablation, nothing kept but the current state.

    Several times cheaper than the float64 forward pass over the whole set (three numbers' 32,768 triples of 10
    columns). Its verdict can differ from :func:`accuracy_on`'s only on a bit whose logit is within float32
    rounding of 0, so training confirms an exact verdict with :func:`accuracy_on` before it stops.
    """
    count, columns, _ = inputs.shape
    matrices = (weights.input_weights, weights.recurrent_weights, weights.output_weights)
    input_weights, recurrent_weights, output_weights = (matrix.astype(np.float32) for matrix in matrices)
    inputs = np.asarray(inputs, dtype=np.float32)
    expected = targets[..., 0] >= 0.5  # (N, T)
    wrong_bits = np.zeros(count, dtype=np.int64)
    hidden = np.zeros((count, recurrent_weights.shape[0]), dtype=np.float32)  # h_{-1} = 0
    for column in range(columns):
        preactivation = inputs[:, column] @ input_weights
        preactivation += hidden @ recurrent_weights
        hidden = sigmoid(preactivation)  # (N, H)
        wrong_bits += ((hidden @ output_weights)[:, 0] >= 0) != expected[:, column]
    return Accuracy(
        pairs=count,
        exact_accuracy=exact_share(wrong_bits),
        bit_accuracy=float(1.0 - wrong_bits.sum() / expected.size),
        wrong_bits=wrong_bits,
    )


def accuracy_over(weights: RNNWeights, pieces) -> Accuracy:
    """:func:`accuracy_on` over ``(inputs, targets)`` pieces taken together (a rule's ``exhaustive_chunks``).

    One piece at a time, so a set too large for one forward pass (three 8-bit numbers: 16.7 million) still fits.
    """
    parts = [(accuracy_on(weights, inputs, targets).wrong_bits, targets[..., 0].size) for inputs, targets in pieces]
    wrong_bits = np.concatenate([wrong for wrong, _ in parts])
    return Accuracy(
        pairs=int(wrong_bits.size),
        exact_accuracy=exact_share(wrong_bits),
        bit_accuracy=float(1.0 - wrong_bits.sum() / sum(size for _, size in parts)),
        wrong_bits=wrong_bits,
    )
