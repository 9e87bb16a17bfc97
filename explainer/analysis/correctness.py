"""How many output bits the network gets wrong on every pair: the correctness map, and exact accuracy."""

from __future__ import annotations

import numpy as np

from explainer.analysis.exhaustive import INPUT_SYMBOLS, check_operand_bits, exhaustive_states
from explainer.byte_cache import byte_cache
from explainer.model.ablation import Ablation
from explainer.model.accuracy import exact_share
from explainer.model.encoding import TRAINING_OPERAND_BITS, timesteps_for_operand_bits
from explainer.model.network import RNNWeights, activate, check_ablation, output_logit, read_only, sigmoid


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


def _wrong_bits_without_states(weights: RNNWeights, operand_bits: int, ablation: Ablation | None) -> np.ndarray:
    """(4**operand_bits,) wrong output bits of every pair, in the prefix tree's leaf order.

    The same prefix tree as :func:`exhaustive_states`, walked one level at a time and keeping only each prefix's
    count of wrong bits, so that many ablations (the every-unit table runs 64) cost little and do not push the
    page's analyses out of the :func:`exhaustive_states` cache.
    """
    units = weights.hidden_units
    columns = np.array(INPUT_SYMBOLS, dtype=np.float64) @ weights.input_weights  # (4, H): x_t · W_x per symbol
    previous = np.zeros((1, units))  # h_{-1} = 0
    wrong = np.zeros(1, dtype=np.int64)
    carry = np.zeros(1, dtype=np.int64)
    for step in range(timesteps_for_operand_bits(operand_bits)):
        recurrent = previous @ weights.recurrent_weights  # (L, H): shared by the four columns that follow
        if step < operand_bits:  # the new column is the most significant base-4 digit: node symbol·L + prefix
            current = activate((columns[:, None, :] + recurrent[None]).reshape(-1, units), ablation)
            symbols = np.repeat(np.arange(4), previous.shape[0])
            wrong, carry = np.tile(wrong, 4), np.tile(carry, 4)
        else:  # past the operands' width every column is 0 + 0
            current = activate(recurrent, ablation)
            symbols = np.zeros(previous.shape[0], dtype=np.int64)
        column_sum = (symbols >> 1) + (symbols & 1) + carry
        predicted = sigmoid(output_logit(weights, current)) >= 0.5
        wrong = wrong + (predicted != (column_sum & 1).astype(bool))
        carry = column_sum >> 1
        previous = current
    return wrong


@byte_cache(2**20)  # a float per network and ablation
def _exact_accuracy(weights: RNNWeights, operand_bits: int, ablation: Ablation | None) -> float:
    return exact_share(_wrong_bits_without_states(weights, operand_bits, ablation))


def exact_accuracy(
    weights: RNNWeights, operand_bits: int = TRAINING_OPERAND_BITS, ablation: Ablation | None = None
) -> float:
    """The share of pairs below ``2**operand_bits`` whose every output bit is right (cached; a float per key).

    Equals ``evaluate(weights, operand_bits, ablation).exact_accuracy``; what the page, the tour and the
    every-unit ablation table report.
    """
    check_ablation(weights, ablation)
    return _exact_accuracy(weights, check_operand_bits(operand_bits), ablation)
