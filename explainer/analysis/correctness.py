"""The correctness map: how many output bits the network gets wrong on every pair, as an ``[a, b]`` grid."""

from __future__ import annotations

import numpy as np

from explainer.analysis.exhaustive import check_operand_bits, exhaustive_states
from explainer.byte_cache import byte_cache
from explainer.model.ablation import Ablation
from explainer.model.encoding import TRAINING_OPERAND_BITS
from explainer.model.network import RNNWeights, check_ablation, read_only


@byte_cache(8 * 2**20)  # ~130 kB per grid
def _correctness_grid(weights: RNNWeights, operand_bits: int, ablation: Ablation | None) -> np.ndarray:
    states = exhaustive_states(weights, operand_bits, ablation)
    wrong = states.along_paths((states.predicted_bit != states.true_bit).astype(np.int64), np.add)
    side = np.arange(2**operand_bits)
    a_values, b_values = np.meshgrid(side, side, indexing="ij")
    return read_only(wrong[states.leaf_index(a_values, b_values)].astype(np.int16))


def correctness_grid(
    weights: RNNWeights, operand_bits: int = TRAINING_OPERAND_BITS, ablation: Ablation | None = None
) -> np.ndarray:
    """Wrong output bits for every pair, ``(2**bits, 2**bits)`` int, indexed ``[a, b]`` (cached).

    ``grid.ravel()`` equals ``evaluate(weights, operand_bits, ablation).wrong_bits``.
    """
    check_ablation(weights, ablation)
    return _correctness_grid(weights, check_operand_bits(operand_bits), ablation)
