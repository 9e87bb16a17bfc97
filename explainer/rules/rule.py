"""What a rule is: the one protocol every rule module fills in, and the rules that read numbers.

A rule says what the network reads in each column (the bits of one, two or three numbers, least significant
first, or a bracket string), what it must write under each column, and — when a finite machine can do that —
the machine: its states, named as the written form names them ("carry 1", "borrow 0"), its start, and its next
state and output bit for every column. The reference is plain Python arithmetic (``a + b``), kept apart from
the machine so that a test can hold one against the other (``tests/test_rules.py``).

Numbers go in least significant bit first for every rule, for the reason addition does
(:mod:`explainer.model.encoding`): a recurrent network carries information forward in time only, and the carry
(borrow, remainder) of a column is known only after the columns below it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from explainer.analysis.mealy import MealyMachine, frozen_machine, symbol_bits
from explainer.model.encoding import (
    MIN_TIMESTEPS,
    bits_to_int,
    encode_columns,
    ints_to_bits,
    timesteps_for_sum_bits,
    validate_operand,
)


class Rule(Protocol):
    """The protocol of a rule; :class:`NumberRule` and :class:`explainer.rules.brackets.BracketRule` fill it in."""

    name: str  # the rule's value in a link (?rule=subtraction) and on the command line
    label: str  # what the page calls it: "Subtraction, a − b"
    input_names: tuple[str, ...]  # one name per bit of a column, first number first: ("a", "b")
    state_called: str  # what the written form calls the machine's state: "carry", "borrow", "remainder", "depth"
    machine: MealyMachine | None  # None when no finite machine computes the rule (balanced brackets)
    minimal_state_count: int | None  # states of the smallest machine that computes it; None if unbounded
    training_columns: int  # columns of every training sequence

    @property
    def input_width(self) -> int: ...

    def columns_needed(self, inputs) -> int: ...

    def encode(self, inputs, timesteps: int | None = None) -> tuple[np.ndarray, np.ndarray]: ...

    def reference(self, inputs) -> object: ...

    def read_output(self, bits) -> object: ...

    def training_set(self) -> tuple[np.ndarray, np.ndarray]: ...

    def exhaustive_set(self, columns: int) -> tuple[np.ndarray, np.ndarray]: ...

    def exhaustive_chunks(self, columns: int, max_rows: int = 2**16): ...

    def sample(self, rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]: ...


def machine_from_step(
    state_names: tuple[str, ...], width: int, step: Callable[[int, tuple[int, ...]], tuple[int, int]]
) -> MealyMachine:
    """The Mealy machine of a column rule ``step(state, column bits) -> (next state, output bit)``; start is 0.

    The table is filled by calling ``step`` on every state and every column (symbols as in
    :class:`~explainer.analysis.mealy.MealyMachine`: the first number's bit is the most significant).
    """
    symbols, states = 2**width, len(state_names)
    table = [[step(state, symbol_bits(symbol, width)) for symbol in range(symbols)] for state in range(states)]
    next_state = np.array([[target for target, _ in row] for row in table])  # (S, K)
    output = np.array([[bit for _, bit in row] for row in table])  # (S, K)
    return frozen_machine(state_names, 0, next_state, output)


def columns_to_symbols(columns: np.ndarray) -> np.ndarray:
    """Bit columns ``(N, T, W)`` to machine symbols ``(N, T)``: the first number's bit is the most significant."""
    columns = np.asarray(columns, dtype=np.int64)
    weights = 2 ** np.arange(columns.shape[-1] - 1, -1, -1)  # (W,) e.g. [2, 1]: 2·a_t + b_t
    return columns @ weights


def every_sequence(width: int, columns: int) -> np.ndarray:
    """Every input of exactly ``columns`` columns of ``width`` bits: ``(2**(width·columns), columns, width)`` int8.

    Input n spells n in base 2^width, least significant column first (the first number's bit most significant).
    """
    codes = np.arange(2 ** (width * columns), dtype=np.int64)[:, None]  # (N, 1)
    symbols = (codes >> (width * np.arange(columns))) & (2**width - 1)  # (N, T)
    shifts = np.arange(width - 1, -1, -1)
    return ((symbols[..., None] >> shifts) & 1).astype(np.int8)  # (N, T, W)


@dataclass(frozen=True)
class NumberRule:
    """A rule that reads the bits of one, two or three whole numbers, least significant first.

    Its reference is either a ``result`` (a number whose bits the network writes, LSB first: ``a + b``) or, with
    ``prefix_test``, a yes/no asked of every prefix of the first number read LSB first (the prefix after
    column t is that number mod 2^(t+1)): the network writes 1 under column t when the answer is yes.
    Both are plain arithmetic that works on Python ints and on int64 arrays alike.
    """

    name: str
    label: str
    input_names: tuple[str, ...]
    state_called: str
    machine: MealyMachine
    minimal_state_count: int
    result: Callable | None = None  # (*numbers) -> number written: a + b
    prefix_test: Callable | None = None  # (prefix value) -> bool: prefix % 3 == 0
    admits: Callable | None = None  # (*numbers) -> bool: the rule's domain (a >= b); None for every input
    domain: str = ""  # the domain in words, for the error when ``admits`` says no
    training_bits: int = 7  # the training set: every input with numbers below 2**training_bits …
    training_columns: int = MIN_TIMESTEPS  # … written in this many columns
    training_sample: int | None = None  # if set, a fixed random sample of this many of them (seeded, the same always)
    balanced_loss: bool = False  # the fast recipe weights each column by 1 / its transition's frequency (training)

    @property
    def input_width(self) -> int:
        return len(self.input_names)

    def validate(self, numbers) -> tuple[int, ...]:
        """The numbers as Python ints, or ``ValueError`` saying which is wrong and what the rule accepts."""
        numbers = tuple(numbers)
        if len(numbers) != self.input_width:
            raise ValueError(f"{self.label} reads {self.input_width} number(s) ({', '.join(self.input_names)}).")
        numbers = tuple(validate_operand(value, name) for value, name in zip(numbers, self.input_names, strict=True))
        if self.admits is not None and not self.admits(*numbers):
            raise ValueError(f"{self.label} needs {self.domain}.")
        return numbers

    def reference(self, numbers) -> int | tuple[bool, ...]:
        """The answer by plain arithmetic: the number ``result`` gives, or one yes/no per column of the input."""
        numbers = self.validate(numbers)
        if self.result is not None:
            return int(self.result(*numbers))
        first = numbers[0]
        return tuple(bool(self.prefix_test(first % 2 ** (t + 1))) for t in range(self.columns_needed(numbers)))

    def columns_needed(self, numbers) -> int:
        """max(8, the bits of every number and of the result): the timesteps rule of addition, for every rule."""
        numbers = self.validate(numbers)
        written = [self.result(*numbers)] if self.result is not None else []
        return timesteps_for_sum_bits(max(int(value).bit_length() for value in (*numbers, *written)))

    def target_bits(self, numbers: list[np.ndarray], timesteps: int) -> np.ndarray:
        """What the network must write, ``(N, T)`` int8, for number arrays ``(N,)`` each (in the rule's domain)."""
        numbers = [np.asarray(values, dtype=np.int64).ravel() for values in numbers]
        if self.result is not None:
            return ints_to_bits(np.asarray(self.result(*numbers), dtype=np.int64), timesteps)
        masks = (np.int64(2) << np.arange(timesteps, dtype=np.int64)) - 1  # (T,) 2^(t+1) − 1
        return self.prefix_test(numbers[0][:, None] & masks).astype(np.int8)  # (N, T)

    def encode(self, numbers, timesteps: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """One input as ``(columns (T, W), targets (T,))`` int8, T = ``columns_needed`` unless given (then ≥ it)."""
        numbers = self.validate(numbers)
        needed = self.columns_needed(numbers)
        timesteps = needed if timesteps is None else timesteps
        if timesteps < needed:
            raise ValueError(f"{self.label} needs {needed} columns for these numbers; got timesteps={timesteps}.")
        columns = np.stack([ints_to_bits([value], timesteps)[0] for value in numbers], axis=-1)  # (T, W)
        if self.result is not None:
            targets = ints_to_bits([self.result(*numbers)], timesteps)[0]
        else:
            targets = self.target_bits([np.array([numbers[0]])], timesteps)[0]
        return columns, targets

    def read_output(self, bits) -> int | tuple[bool, ...]:
        """The network's output bits (LSB first) read back: a number, or one yes/no per column."""
        if self.result is not None:
            return bits_to_int(bits)
        return tuple(bool(bit) for bit in np.asarray(bits).ravel())

    def _batch(self, numbers: np.ndarray, timesteps: int) -> tuple[np.ndarray, np.ndarray]:
        """``numbers (N, W)`` int64 → Keras's ``(inputs (N, T, W), targets (N, T, 1))`` float32."""
        columns = list(numbers.T)
        return encode_columns(columns, timesteps), self.target_bits(columns, timesteps)[..., None].astype(np.float32)

    def numbers_below(self, bits: int) -> np.ndarray:
        """Every input in the rule's domain with numbers below ``2**bits``, ``(N, W)`` int64, first number slowest."""
        side = np.arange(2**bits, dtype=np.int64)
        grid = np.stack(np.meshgrid(*[side] * self.input_width, indexing="ij"), axis=-1).reshape(-1, self.input_width)
        return grid if self.admits is None else grid[self.admits(*grid.T)]

    def training_set(self) -> tuple[np.ndarray, np.ndarray]:
        """Every training input (numbers below ``2**training_bits``, or a fixed sample of ``training_sample`` of
        them) as ``(inputs, targets)`` for Keras."""
        if self.training_sample is None:
            numbers = self.numbers_below(self.training_bits)
        else:  # codes of the grid numbers_below lays out, drawn without making it (three 8-bit numbers: 16.7M rows)
            side = 2**self.training_bits
            codes = np.random.default_rng(0).choice(side**self.input_width, self.training_sample, replace=False)
            powers = side ** np.arange(self.input_width - 1, -1, -1)  # the first number varies slowest
            numbers = (np.sort(codes)[:, None] // powers) % side  # (sample, W)
            numbers = numbers if self.admits is None else numbers[self.admits(*numbers.T)]
        return self._batch(numbers, self.training_columns)

    def exhaustive_set(self, columns: int) -> tuple[np.ndarray, np.ndarray]:
        """Every input whose numbers fit in ``columns`` bits, run for as many columns as the largest result needs."""
        return self._batch(self.numbers_below(columns), self.exhaustive_columns(columns))

    def exhaustive_columns(self, columns: int) -> int:
        """Columns that hold every input whose numbers fit in ``columns`` bits, and its result.

        Every rule's result is largest when all its numbers are (a + b, 3·a), or below 2^columns anyway (a − b).
        """
        if self.result is None:
            return columns
        return max(columns, int(self.result(*[2**columns - 1] * self.input_width)).bit_length())

    def exhaustive_chunks(self, columns: int, max_rows: int = 2**16):
        """:meth:`exhaustive_set` in pieces of at most ``max_rows`` inputs (more if one value of the first number
        has more), in the same order: three numbers of 8 bits are 16.7 million inputs, too many for one array."""
        side = 2**columns
        per_chunk = max(1, max_rows // side ** (self.input_width - 1))  # values of the first number per piece
        rest = [np.arange(side, dtype=np.int64)] * (self.input_width - 1)
        for start in range(0, side, per_chunk):
            first = np.arange(start, min(side, start + per_chunk), dtype=np.int64)
            grid = np.stack(np.meshgrid(first, *rest, indexing="ij"), axis=-1).reshape(-1, self.input_width)
            grid = grid if self.admits is None else grid[self.admits(*grid.T)]
            yield self._batch(grid, self.exhaustive_columns(columns))

    def sample(self, rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
        """``count`` random training inputs (one per step of the blog's recipe) as ``(inputs, targets)``.

        Numbers are drawn uniformly below ``2**training_bits``; a rule with a domain sorts each draw into it
        (for a − b: the larger number first).
        """
        numbers = rng.integers(0, 2**self.training_bits, size=(self.input_width, count)).T  # (count, W)
        if self.admits is not None:
            numbers = -np.sort(-numbers, axis=1)
        return self._batch(numbers, self.training_columns)
