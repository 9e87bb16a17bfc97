"""Any length: accuracy on random pairs against the number of bits in the sum, far past the training length."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from explainer.byte_cache import byte_cache
from explainer.model.ablation import Ablation
from explainer.model.encoding import MAX_OPERAND, ints_to_bits, timesteps_for_sum_bits
from explainer.model.network import RNNWeights, check_ablation, forward

# The length view's default: from the training length to the page's 64-bit limit.
DEFAULT_LENGTHS: tuple[int, ...] = tuple(range(8, 65, 4))


@dataclass(frozen=True)
class LengthAccuracy:
    """Accuracy on random pairs whose sum has exactly ``sum_bits`` bits (the network runs that many steps)."""

    sum_bits: int
    pairs: int
    exact_accuracy: float
    bit_accuracy: float
    first_wrong_pair: tuple[int, int] | None


def random_pairs_with_sum_bits(sum_bits: int, count: int, seed: int = 0) -> list[tuple[int, int]]:
    """``count`` random pairs ``(a, b)``, both ≤ 2**64 − 1, whose sum has exactly ``sum_bits`` bits.

    The sum is uniform over the ``sum_bits``-bit numbers and ``a`` uniform over the splits allowed, with
    Python's arbitrary-precision ints (NumPy's int64 would overflow at 64 bits). Same seed, same pairs.
    """
    if isinstance(sum_bits, bool) or not isinstance(sum_bits, int) or not 1 <= sum_bits <= 65:
        raise ValueError(f"sum_bits must be 1–65 (two operands up to 2**64 − 1); got {sum_bits!r}.")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive int; got {count!r}.")
    generator = random.Random(f"{seed}:{sum_bits}")  # seeded per length, so adding lengths changes nothing
    pairs = []
    for _ in range(count):
        total = generator.randint(2 ** (sum_bits - 1), 2**sum_bits - 1)
        a_value = generator.randint(max(0, total - MAX_OPERAND), min(total, MAX_OPERAND))
        pairs.append((a_value, total - a_value))
    return pairs


@byte_cache(4 * 2**20)
def _accuracy_by_length(
    weights: RNNWeights, lengths: tuple[int, ...], pairs_per_length: int, seed: int, ablation: Ablation | None
) -> tuple[LengthAccuracy, ...]:
    rows = []
    for sum_bits in lengths:
        pairs = random_pairs_with_sum_bits(sum_bits, pairs_per_length, seed)
        timesteps = timesteps_for_sum_bits(sum_bits)
        a_bits = ints_to_bits([a for a, _ in pairs], timesteps)
        b_bits = ints_to_bits([b for _, b in pairs], timesteps)
        true_bits = ints_to_bits([a + b for a, b in pairs], timesteps)  # Python's + is the reference
        inputs = np.stack([a_bits, b_bits], axis=-1)  # (N, T, 2)
        predicted = (forward(weights, inputs, ablation).output_probability >= 0.5).astype(np.int8)
        exact = (predicted == true_bits).all(axis=1)  # (N,)
        wrong = np.flatnonzero(~exact)
        rows.append(
            LengthAccuracy(
                sum_bits=sum_bits,
                pairs=len(pairs),
                exact_accuracy=float(exact.mean()),
                bit_accuracy=float((predicted == true_bits).mean()),
                first_wrong_pair=pairs[int(wrong[0])] if wrong.size else None,
            )
        )
    return tuple(rows)


def accuracy_by_length(
    weights: RNNWeights,
    lengths: tuple[int, ...] | range = DEFAULT_LENGTHS,
    pairs_per_length: int = 200,
    seed: int = 0,
    ablation: Ablation | None = None,
) -> tuple[LengthAccuracy, ...]:
    """Exact accuracy against sum length (``sum_bits`` in ``lengths``, each 1–65) on random pairs (cached).

    A network trained on 8-bit sums that still adds 64-bit ones has learned the column rule, not a table.
    """
    lengths = tuple(int(length) for length in lengths)
    if not lengths:
        raise ValueError("lengths is empty; give e.g. range(8, 65, 4).")
    for length in lengths:
        random_pairs_with_sum_bits(length, 1)  # validates the length with a helpful message
    if isinstance(pairs_per_length, bool) or not isinstance(pairs_per_length, int) or pairs_per_length < 1:
        raise ValueError(f"pairs_per_length must be a positive int; got {pairs_per_length!r}.")
    check_ablation(weights, ablation)
    return _accuracy_by_length(weights, lengths, pairs_per_length, int(seed), ablation)
