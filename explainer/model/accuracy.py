"""Exhaustive checks: how many pairs does the network add exactly?"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from explainer.model.encoding import TRAINING_OPERAND_BITS, all_pairs, encode_batch, timesteps_for_operand_bits
from explainer.model.network import RNNWeights, forward

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


def evaluate(
    weights: RNNWeights,
    operand_bits: int = TRAINING_OPERAND_BITS,
    ablation: Ablation | None = None,
) -> Accuracy:
    """Exact and bit accuracy over every pair with operands below ``2**operand_bits`` (with ``ablation``, if any)."""
    inputs, targets = exhaustive_dataset(operand_bits)
    predicted = forward(weights, inputs, ablation).output_probability >= 0.5  # (N, T)
    wrong_bits = (predicted != targets[..., 0].astype(bool)).sum(axis=1)  # (N,)
    return Accuracy(
        pairs=int(wrong_bits.size),
        exact_accuracy=float((wrong_bits == 0).mean()),
        bit_accuracy=float(1.0 - wrong_bits.sum() / targets[..., 0].size),
        wrong_bits=wrong_bits,
    )


# Sums whose bound stays under this cannot overflow float64 however they are rounded: a sum of n terms is off by at
# most n·ε of the sum of their magnitudes (n ≤ a few hundred, ε = 2⁻⁵²), far inside the factor of 4 left here.
LARGEST_SAFE_BOUND = float(np.finfo(np.float64).max) / 4


def require_finite_sums(weights: RNNWeights) -> None:
    """Refuse weights whose sums overflow: every value finite is not enough (±1e308 + ±1e308 is ±inf, and
    inf − inf is NaN, which then breaks the probe's least squares and every chart).

    Inputs are bits and states lie in [0, 1] (sigmoids, or ablated units held in [0, 1]), so no pre-activation
    can exceed a unit's Σ|W_x| + Σ|W_h| and no logit Σ|W_o|. If those bounds are finite with room to spare
    (``LARGEST_SAFE_BOUND``), nothing overflows at any length, on any pair: every state, pre-activation, logit and
    probability is finite. This replaces a forward pass over all 16,384 training pairs (~0.2 s on every model
    load) that could only confirm it. Raises ``ValueError`` saying so.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        bound = np.abs(weights.input_weights).sum(axis=0) + np.abs(weights.recurrent_weights).sum(axis=0)
        output_bound = np.abs(weights.output_weights).sum()
        if not (np.all(bound <= LARGEST_SAFE_BOUND) and output_bound <= LARGEST_SAFE_BOUND):  # NaN fails too
            arrays = (weights.input_weights, weights.recurrent_weights, weights.output_weights)
            largest = max(float(np.abs(array).max()) for array in arrays)
            raise ValueError(
                f"These weights are so large (up to {largest:.3g}) that the network's sums overflow to infinity; "
                "no analysis can run on them."
            )
