"""Three numbers' machine against plain arithmetic on every triple a, b, c < 2^10 (issue 26: every input of up to
10 columns), and at every shorter length: 2^30 ≈ 1.07 billion triples at 10 columns, too many to run one by one.

The check splits each input at a column: the machine (the rule's own MealyMachine tables, stepped by
``MealyMachine.step``) runs once over the low columns of every low part, and once over the high columns of every
high part from each of its states; a triple's run is its low part's run followed by its high part's run from the
state the low part ended in, because a Mealy machine's next state and output depend only on the state and the
column. Every (low part, high part) pair is then one triple, and numpy compares the number the machine writes with
``a + b + c`` (numpy's integer ``+`` on whole numbers, the vectorised stand-in for Python's), chunk by chunk.
The columns are the ones the page runs such a triple for (``exhaustive_columns``: two more, where the last carry
is written), so the whole answer is checked, not only its low bits; an input of exactly L columns (as
tests/test_rules.py reads them, there up to 7) is the first L columns of such a run.
"""

from __future__ import annotations

import numpy as np
import pytest

from explainer.analysis.mealy import MealyMachine
from explainer.model.encoding import bits_matrix_to_ints
from explainer.rules import RULES
from explainer.rules.rule import columns_to_symbols, every_sequence

THREE_NUMBERS = RULES["three_numbers"]
COLUMNS = 10  # every triple of numbers below 2^10


def _run_from(machine: MealyMachine, states: np.ndarray, symbols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The machine's outputs ``(N, T)`` and last states ``(N,)`` over ``symbols (N, T)``, from ``states (N,)``."""
    outputs = np.empty(symbols.shape, dtype=np.int64)
    for step in range(symbols.shape[1]):
        states, outputs[:, step] = machine.step(states, symbols[:, step])
    return outputs, states


def _part(bits: int, zero_columns: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Every triple of numbers below ``2**bits``: ``(numbers (N, 3), symbols (N, bits + zero_columns))``."""
    columns = every_sequence(3, bits)  # (N, bits, 3)
    numbers = np.stack([bits_matrix_to_ints(columns[..., w]) for w in range(3)], axis=-1).astype(np.int16)  # (N, 3)
    symbols = np.pad(columns_to_symbols(columns), ((0, 0), (0, zero_columns)))  # the page's top columns hold 0s
    return numbers, symbols


def _written(outputs: np.ndarray) -> np.ndarray:
    """The number a run's output bits spell, LSB first: ``(N, T)`` → ``(N,)``."""
    return (outputs << np.arange(outputs.shape[1])).sum(axis=1).astype(np.int16)  # below 2^15 up to 13 columns


def first_disagreement(machine: MealyMachine, columns: int, chunk: int = 256) -> tuple[int, ...] | None:
    """``(a, b, c, what the machine writes, a + b + c)`` for a triple below ``2**columns`` on which the machine, run
    for the columns the page gives such triples, writes another number than their sum; None if there is none.

    A missing transition (−1) counts as a disagreement. Numbers are int16 (sums below 3 · 2^10 < 2^15): half the
    memory traffic of int32, which is most of the time here.
    """
    if 3 * 2**columns >= 2**15:
        raise ValueError("first_disagreement keeps sums in int16: up to 13 columns.")
    timesteps = THREE_NUMBERS.exhaustive_columns(columns)
    low = columns // 2  # columns 0 … low − 1; the high part is the rest, with the page's zero columns on top
    low_numbers, low_symbols = _part(low)
    high_numbers, high_symbols = _part(columns - low, timesteps - columns)
    low_outputs, low_ends = _run_from(machine, np.full(len(low_numbers), machine.start), low_symbols)
    if (low_ends < 0).any():  # a low part ran into a missing transition: it is wrong with any high part
        a, b, c = low_numbers[np.argmax(low_ends < 0)].tolist()
        return a, b, c, -1, a + b + c
    high_written = [  # per state: the high part's run from it, as the number it adds (each unit worth 2^low)
        _written(_run_from(machine, np.full(len(high_numbers), state), high_symbols)[0]) << low
        for state in range(machine.state_count)
    ]  # a run into a missing transition spells a negative number: −2^t for every column from there on
    low_written, high_numbers = _written(low_outputs), (high_numbers << low).astype(np.int16)
    buffers = np.empty((5, chunk, len(high_numbers)), dtype=np.int16)
    for state in range(machine.state_count):  # the low parts that end in this state, a chunk at a time
        ending_here = np.flatnonzero(low_ends == state)
        for start in range(0, len(ending_here), chunk):
            rows = ending_here[start : start + chunk]
            a, b, c, expected, written = buffers[:, : len(rows)]
            for w, number in enumerate((a, b, c)):  # each (rows, N_high): low part + high part
                np.add(low_numbers[rows, w, None], high_numbers[None, :, w], out=number)
            np.add(a, b, out=expected)
            np.add(expected, c, out=expected)  # a + b + c
            np.add(low_written[rows, None], high_written[state][None, :], out=written)
            if not np.array_equal(written, expected):
                row, column = np.argwhere(written != expected)[0]
                return tuple(int(x[row, column]) for x in (a, b, c, written, expected))
    return None


@pytest.mark.parametrize("columns", range(1, COLUMNS + 1))
def test_three_numbers_machine_writes_a_plus_b_plus_c_for_every_triple(columns):
    assert first_disagreement(THREE_NUMBERS.machine, columns) is None


def test_the_whole_run_agrees_and_the_split_reads_every_column():
    """``MealyMachine.run`` on whole inputs writes Python's ``a + b + c`` (ints) for random triples below 2^10; and a
    machine that writes 1 where the rule writes 0 and 0 where it writes 1 is caught at the first triple, 0 + 0 + 0,
    with all of the columns' bits 1: the split read every column, the page's zero columns too."""
    rng = np.random.default_rng(0)
    timesteps = THREE_NUMBERS.exhaustive_columns(COLUMNS)
    for a, b, c in rng.integers(0, 2**COLUMNS, size=(200, 3)).tolist():
        inputs, _ = THREE_NUMBERS.encode((a, b, c), timesteps)  # (T, 3)
        written = THREE_NUMBERS.machine.run(columns_to_symbols(inputs[None]))  # (1, T)
        assert int(_written(written)[0]) == a + b + c
    flipped = MealyMachine(
        THREE_NUMBERS.machine.state_names,
        THREE_NUMBERS.machine.start,
        THREE_NUMBERS.machine.next_state,
        1 - THREE_NUMBERS.machine.output,
    )
    assert first_disagreement(flipped, COLUMNS) == (0, 0, 0, 2**timesteps - 1, 0)


def _mutant(machine: MealyMachine, state: int, symbol: int, *, next_state=None, flip_output=False) -> MealyMachine:
    """The machine with one transition sent elsewhere or one output bit flipped."""
    targets, outputs = machine.next_state.copy(), machine.output.copy()
    if next_state is not None:
        assert targets[state, symbol] != next_state
        targets[state, symbol] = next_state
    if flip_output:
        outputs[state, symbol] ^= 1
    return MealyMachine(machine.state_names, machine.start, targets, outputs)


def _late_mutant(machine: MealyMachine, wrong_from: int) -> MealyMachine:
    """The machine with a column counter beside its state (capped at ``wrong_from``): it writes the wrong bit only
    for carry 2 and three 1 bits in column ``wrong_from`` or later, so it is right on every shorter input."""
    states, symbols = machine.state_count, machine.symbol_count
    names = tuple(f"{name}, column {t}" for t in range(wrong_from + 1) for name in machine.state_names)
    later = np.minimum(np.arange(wrong_from + 1) + 1, wrong_from)  # (C,) the counter after a column
    targets = (later[:, None, None] * states + machine.next_state[None]).reshape(-1, symbols)  # state t·S + s
    outputs = np.tile(machine.output, (wrong_from + 1, 1))
    outputs[wrong_from * states + 2, symbols - 1] ^= 1  # carry 2, column ≥ wrong_from, a = b = c = 1
    return MealyMachine(names, machine.start, targets, outputs)


CARRY_0, CARRY_1, CARRY_2 = 0, 1, 2
ALL_ONES, NONE_SET, TWO_SET = 7, 0, 3  # symbols 4·a_t + 2·b_t + c_t


@pytest.mark.parametrize(
    "mutation",
    [
        {"state": CARRY_2, "symbol": ALL_ONES, "flip_output": True},  # 2 + 3 = 5: the rarest column
        {"state": CARRY_1, "symbol": TWO_SET, "next_state": CARRY_0},  # 1 + 2 = 3 forgets its carry
        {"state": CARRY_2, "symbol": NONE_SET, "next_state": CARRY_2},  # a carry 2 that never drains
        {"state": CARRY_1, "symbol": NONE_SET, "flip_output": True},  # wrong only where a carry lands on 0 bits
        {"state": CARRY_2, "symbol": ALL_ONES, "next_state": -1},  # a transition the machine lacks
    ],
    ids=["output-carry2-111", "next-carry1-011", "next-carry2-000", "output-carry1-000", "missing-carry2-111"],
)
def test_a_machine_with_one_wrong_transition_fails_the_check(mutation):
    mutant = _mutant(THREE_NUMBERS.machine, **mutation)
    found = first_disagreement(mutant, COLUMNS)
    assert found is not None
    a, b, c, written, expected = found
    assert expected == a + b + c != written


def test_a_machine_wrong_only_in_the_tenth_column_fails_the_check():
    """What a check up to 7 columns (the generic one in test_rules.py) cannot see, this one does."""
    late = _late_mutant(THREE_NUMBERS.machine, wrong_from=COLUMNS - 1)
    for columns in range(1, COLUMNS):
        assert first_disagreement(late, columns) is None  # right on every triple below 2^9 …
    a, b, c, written, expected = first_disagreement(late, COLUMNS)  # … wrong on one of 10 columns
    assert expected == a + b + c != written and min(a, b, c) >= 2 ** (COLUMNS - 1)
