"""The property the verifier proves or refutes, stated once, and how a counterexample is confirmed.

Shared by the search, the command line and (later) the page; the certificate checker has its own
copy of the little it needs, so that it does not trust this code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.model.encoding import bits_to_int, int_to_bits
from explainer.model.network import RNNWeights, forward

PROPERTY = (
    "On every input - any number of columns T >= 1, any bits in them (leading zero columns included) - "
    "the network's bit in each column equals written addition's bit for that column: the network and "
    "the 2-state carry machine write the same output on every sequence."
)

# A column holds one bit of a and one of b; its pattern index is 2·a_bit + b_bit.
COLUMN_PATTERNS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.int8)


def carry_machine(patterns: np.ndarray, carry: np.ndarray | int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Written addition over pattern indices ``(N, T)`` from carry ``carry``: ``(bits (N, T), final carry (N,))``."""
    patterns = np.asarray(patterns)
    carry = np.broadcast_to(np.asarray(carry, dtype=np.int8), patterns.shape[:1]).copy()
    bits = np.empty(patterns.shape, dtype=np.int8)
    for column in range(patterns.shape[1]):
        total = (patterns[:, column] >> 1) + (patterns[:, column] & 1) + carry
        bits[:, column] = total & 1
        carry = (total >= 2).astype(np.int8)
    return bits, carry


def all_words(columns: int, symbols: int = 4) -> np.ndarray:
    """Every sequence of ``columns`` of the ``symbols`` column patterns ``(symbols**columns, columns)``; the first
    column varies slowest."""
    index = np.arange(symbols**columns)
    return np.stack([(index // symbols ** (columns - 1 - column)) % symbols for column in range(columns)], axis=1)


@dataclass(frozen=True, eq=False)
class Machine:
    """What the searches hold a network against: a Mealy machine over the 2**W columns of W bits.

    Symbol s is the column whose bits, first number first, spell s in binary (addition: s = 2·a_t + b_t, the
    index into :data:`COLUMN_PATTERNS`). ``next_state`` and ``output`` are ``(S, K)`` with K = 2**W.
    """

    next_state: np.ndarray
    output: np.ndarray
    start: int = 0

    @property
    def symbols(self) -> int:
        return self.next_state.shape[1]

    @property
    def states(self) -> int:
        return self.next_state.shape[0]

    @property
    def columns(self) -> np.ndarray:
        """``(K, W)`` int8: the bits of each symbol's column, first number first."""
        width = self.symbols.bit_length() - 1
        shifts = np.arange(width - 1, -1, -1)
        return ((np.arange(self.symbols)[:, None] >> shifts) & 1).astype(np.int8)

    def run(self, words: np.ndarray, state: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
        """Outputs ``(N, T)`` and final states ``(N,)`` over symbol words ``(N, T)`` from ``state``."""
        words = np.asarray(words)
        state = np.broadcast_to(np.asarray(state, dtype=np.int64), words.shape[:1]).copy()
        bits = np.empty(words.shape, dtype=np.int8)
        for column in range(words.shape[1]):
            bits[:, column] = self.output[state, words[:, column]]
            state = self.next_state[state, words[:, column]]
        return bits, state


def _carry_tables() -> Machine:
    symbols = np.arange(4)[None, :]
    total = (symbols >> 1) + (symbols & 1) + np.arange(2)[:, None]  # (carry, symbol)
    return Machine((total >= 2).astype(np.int64), (total & 1).astype(np.int64), 0)


CARRY = _carry_tables()  # written addition: the state is the carry; the same machine as ``carry_machine``


def network_sum_bits(weights: RNNWeights, a: int, b: int, columns: int) -> np.ndarray:
    """The bits the network writes for ``a + b`` over ``columns`` columns, by really running it."""
    inputs = np.stack([int_to_bits(a, columns), int_to_bits(b, columns)], axis=1)[None]
    return (forward(weights, inputs).output_probability[0] >= 0.5).astype(np.int8)


@dataclass(frozen=True)
class Counterexample:
    """A pair whose ``columns`` output bits differ from the low ``columns`` bits of ``a + b``."""

    a: int
    b: int
    columns: int
    network_sum: int

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "columns": self.columns, "network_sum": self.network_sum}


def confirm_counterexample(weights: RNNWeights, a: int, b: int, columns: int) -> Counterexample | None:
    """Run the network on ``a + b`` over ``columns`` columns; the counterexample if it is wrong, else None."""
    if a < 0 or b < 0 or columns < max(1, a.bit_length(), b.bit_length()):
        return None
    written = bits_to_int(network_sum_bits(weights, a, b, columns))
    if written == (a + b) % 2**columns:
        return None
    return Counterexample(a, b, columns, written)


def patterns_to_pair(patterns: np.ndarray) -> tuple[int, int]:
    """Least-significant-first column patterns to the operands ``(a, b)``."""
    a = sum(int(pattern >> 1) << column for column, pattern in enumerate(patterns))
    b = sum(int(pattern & 1) << column for column, pattern in enumerate(patterns))
    return a, b
