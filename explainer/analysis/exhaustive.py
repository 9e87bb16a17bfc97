"""Every pair at once: the network on all pairs below ``2**operand_bits``, computed once per distinct prefix.

All of the analyses rest on one observation: the network is deterministic, so two pairs whose first t
columns agree have the same ``h_0 … h_t``. The exhaustive sets are therefore computed on a *prefix tree*:
each distinct prefix of input columns is run once and weighted by the number of pairs that share it. That
is exactly equivalent to running every pair (the tests check it against
:func:`explainer.model.accuracy.evaluate`) and about four times cheaper, which keeps each analysis under a second.

Input columns are coded as one symbol ``2·a_t + b_t`` (0: 0+0, 1: 0+1, 2: 1+0, 3: 1+1), as in
:data:`INPUT_SYMBOLS`. Results are cached per network and per :class:`~explainer.model.ablation.Ablation`
(both hashable), and hold read-only arrays, so one result can serve every session.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.byte_cache import byte_cache
from explainer.model.ablation import Ablation
from explainer.model.encoding import TRAINING_OPERAND_BITS, add_column, timesteps_for_operand_bits
from explainer.model.network import RNNWeights, activate, check_ablation, output_logit, read_only, sigmoid

# (bit of a, bit of b) for each input symbol 2·a + b.
INPUT_SYMBOLS: tuple[tuple[int, int], ...] = ((0, 0), (0, 1), (1, 0), (1, 1))
# Exhaustive sets are kept to 8-bit operands: 4**8 = 65,536 pairs is the largest the page grids.
MAX_EXHAUSTIVE_OPERAND_BITS = 8


@dataclass(frozen=True, eq=False)
class ExhaustiveStates:
    """The network on every pair with operands below ``2**operand_bits``, stored as a prefix tree.

    A *node* is a distinct prefix of input columns, i.e. one timestep of many pairs at once. M nodes, H
    units, T timesteps; level t holds ``min(4**(t+1), 4**operand_bits)`` nodes. ``weight`` says how many
    pairs pass through a node, so weighted statistics over nodes equal statistics over all pair-steps.
    """

    operand_bits: int
    timesteps: int  # T = timesteps_for_operand_bits(operand_bits), as in explainer.model.accuracy.exhaustive_dataset
    level_offsets: np.ndarray  # (T + 1,) nodes of level t are [level_offsets[t], level_offsets[t + 1])
    hidden: np.ndarray  # (M, H) h_t
    timestep: np.ndarray  # (M,) t
    parent: np.ndarray  # (M,) node of the same pairs at t − 1; −1 at t = 0 (the parent is h_{-1} = 0)
    symbol: np.ndarray  # (M,) input column 2·a_t + b_t
    weight: np.ndarray  # (M,) number of pairs through this node
    carry_in: np.ndarray  # (M,) true carry into column t
    carry_out: np.ndarray  # (M,) true carry out of column t
    predicted_bit: np.ndarray  # (M,) the network's output bit o_t ≥ 0.5
    true_bit: np.ndarray  # (M,) bit t of a + b

    @property
    def column_sum(self) -> np.ndarray:
        """(M,) a_t + b_t + carry_in: 0–3, the quantity written addition looks at."""
        return (self.symbol >> 1) + (self.symbol & 1) + self.carry_in

    def level(self, timestep: int) -> slice:
        return slice(int(self.level_offsets[timestep]), int(self.level_offsets[timestep + 1]))

    def leaf_index(self, a_values: np.ndarray, b_values: np.ndarray) -> np.ndarray:
        """(N,) the last-level node of each pair: its columns interleaved as base-4 digits, LSB first."""
        a_values = np.asarray(a_values, dtype=np.int64)
        b_values = np.asarray(b_values, dtype=np.int64)
        index = np.zeros(np.broadcast(a_values, b_values).shape, dtype=np.int64)
        for position in range(self.operand_bits):
            column = 2 * ((a_values >> position) & 1) + ((b_values >> position) & 1)
            index += column << (2 * position)
        return self.level_offsets[self.timesteps - 1] + index

    def along_paths(self, values: np.ndarray, combine: np.ufunc) -> np.ndarray:
        """Accumulate a per-node quantity from the root down: ``out[n] = combine(out[parent], values[n])``."""
        result = np.array(values)
        for step in range(1, self.timesteps):
            nodes = self.level(step)
            result[nodes] = combine(result[self.parent[nodes]], result[nodes])
        return result


def _network_step(weights: RNNWeights, previous: np.ndarray, symbol: int, ablation: Ablation | None) -> np.ndarray:
    """One step of the RNN from the states ``previous`` (L, H), through :func:`activate` like ``forward``."""
    column = np.array(INPUT_SYMBOLS[symbol], dtype=np.float64)  # (2,) bit of a, bit of b
    return activate(column @ weights.input_weights + previous @ weights.recurrent_weights, ablation)  # (L, H)


@byte_cache(128 * 2**20)  # one 8-bit tree is ~23 MB at H = 16, ~79 MB at H = 64
def _exhaustive_states(weights: RNNWeights, operand_bits: int, ablation: Ablation | None) -> ExhaustiveStates:
    timesteps = timesteps_for_operand_bits(operand_bits)
    pairs = 4**operand_bits
    levels_hidden, levels_symbol, levels_parent = [], [], []
    previous = np.zeros((1, weights.hidden_units))  # h_{-1} = 0
    offset_previous = -1  # the root is not stored; t = 0 nodes get parent −1
    offsets = [0]
    for step in range(timesteps):
        size_previous = previous.shape[0]
        if step < operand_bits:
            # New prefixes: the new column is the most significant base-4 digit, so node p·… = symbol·L + p.
            new = np.concatenate([_network_step(weights, previous, symbol, ablation) for symbol in range(4)])
            symbols = np.repeat(np.arange(4), size_previous)
            parents = np.tile(np.arange(size_previous), 4)
        else:
            # Past the operands' width every column is 0 + 0: each prefix has one continuation.
            new = _network_step(weights, previous, 0, ablation)
            symbols = np.zeros(size_previous, dtype=np.int64)
            parents = np.arange(size_previous)
        levels_hidden.append(new)
        levels_symbol.append(symbols)
        levels_parent.append(parents + offset_previous if step > 0 else np.full(new.shape[0], -1))
        offset_previous = offsets[-1]
        offsets.append(offsets[-1] + new.shape[0])
        previous = new
    hidden = np.concatenate(levels_hidden)  # (M, H)
    symbol = np.concatenate(levels_symbol).astype(np.int8)
    parent = np.concatenate(levels_parent).astype(np.int64)
    level_offsets = np.array(offsets, dtype=np.int64)
    timestep = np.repeat(np.arange(timesteps), np.diff(level_offsets)).astype(np.int64)
    weight = pairs // np.diff(level_offsets)[timestep]

    a_bit, b_bit = symbol >> 1, symbol & 1
    carry_in = np.zeros(symbol.size, dtype=np.int8)
    carry_out = np.zeros(symbol.size, dtype=np.int8)
    for step in range(timesteps):
        nodes = slice(offsets[step], offsets[step + 1])
        if step > 0:
            carry_in[nodes] = carry_out[parent[nodes]]
        _, carry_out[nodes] = add_column(a_bit[nodes], b_bit[nodes], carry_in[nodes])
    true_bit, _ = add_column(a_bit, b_bit, carry_in)
    arrays = {
        "level_offsets": level_offsets,
        "hidden": hidden,
        "timestep": timestep,
        "parent": parent,
        "symbol": symbol,
        "weight": weight,
        "carry_in": carry_in,
        "carry_out": carry_out,
        "predicted_bit": (sigmoid(output_logit(weights, hidden)) >= 0.5).astype(np.int8),
        "true_bit": true_bit.astype(np.int8),
    }
    return ExhaustiveStates(
        operand_bits=operand_bits, timesteps=timesteps, **{name: read_only(value) for name, value in arrays.items()}
    )


def check_operand_bits(operand_bits: object) -> int:
    if isinstance(operand_bits, bool) or not isinstance(operand_bits, int | np.integer):
        raise ValueError(f"operand_bits must be an int; got {operand_bits!r}.")
    if not 1 <= operand_bits <= MAX_EXHAUSTIVE_OPERAND_BITS:
        raise ValueError(
            f"operand_bits must be 1–{MAX_EXHAUSTIVE_OPERAND_BITS} (7: the 16,384 training pairs, 8: all 65,536 "
            f"8-bit pairs); got {operand_bits}."
        )
    return int(operand_bits)


def exhaustive_states(
    weights: RNNWeights, operand_bits: int = TRAINING_OPERAND_BITS, ablation: Ablation | None = None
) -> ExhaustiveStates:
    """Every pair below ``2**operand_bits`` run through the network, one node per distinct prefix (cached)."""
    check_ablation(weights, ablation)
    return _exhaustive_states(weights, check_operand_bits(operand_bits), ablation)


def weighted_mean(values: np.ndarray, weight: np.ndarray) -> float:
    return float((values * weight).sum() / weight.sum())
