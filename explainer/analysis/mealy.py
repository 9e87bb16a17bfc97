"""Mealy machines over input columns of 2, 4 or 8 symbols (one, two or three bits per column): the carry machine
of written addition, minimisation and equivalence. Kept apart from the extraction
(:mod:`explainer.analysis.extraction`), which reads one off a network; every rule's machine is in
:mod:`explainer.rules`."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from explainer.analysis.exhaustive import INPUT_SYMBOLS
from explainer.model.encoding import add_column
from explainer.model.network import read_only


@dataclass(frozen=True, eq=False)
class MealyMachine:
    """A finite-state machine that writes one output bit per input column (a Mealy machine).

    ``next_state[s, symbol]`` and ``output[s, symbol]`` are ``(S, K)`` int arrays; −1 marks a transition
    never observed (the machine has no answer there, and every run through it counts as a disagreement).
    K is the number of input symbols: 4 for two bits per column (symbol 2·a_t + b_t, as addition reads them),
    2 for one bit, 8 for three (4·a_t + 2·b_t + c_t): the first number's bit is the most significant.
    """

    state_names: tuple[str, ...]
    start: int
    next_state: np.ndarray  # (S, K)
    output: np.ndarray  # (S, K)

    @property
    def state_count(self) -> int:
        return len(self.state_names)

    @property
    def symbol_count(self) -> int:
        """K: how many different input columns the machine reads (2, 4 or 8)."""
        return self.next_state.shape[1]

    def step(self, states: np.ndarray, symbols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised transition: ``(next states, outputs)``; an undefined state (−1) stays undefined."""
        states = np.asarray(states)
        known = states >= 0
        safe = np.where(known, states, 0)
        return (
            np.where(known, self.next_state[safe, symbols], -1),
            np.where(known, self.output[safe, symbols], -1),
        )

    def run(self, symbols: np.ndarray) -> np.ndarray:
        """Outputs ``(N, T)`` for input symbols ``(N, T)`` (2·a_t + b_t for two bits), starting from ``start``."""
        symbols = np.asarray(symbols, dtype=np.int64)
        if symbols.ndim != 2 or ((symbols < 0) | (symbols >= self.symbol_count)).any():
            raise ValueError(
                f"symbols must be an (N, T) array of input columns in 0–{self.symbol_count - 1} "
                "(2·a_t + b_t for two bits per column)."
            )
        states = np.full(symbols.shape[0], self.start)
        outputs = np.empty(symbols.shape, dtype=np.int64)
        for step in range(symbols.shape[1]):
            states, outputs[:, step] = self.step(states, symbols[:, step])
        return outputs

    def transition_records(self, input_names: tuple[str, ...] = ("a", "b")) -> list[dict]:
        """The table as rows (state, a bit, b bit, next state, output bit) for display; unobserved rows say so.

        ``input_names`` name the bits of a column, most significant first (one name per bit of a symbol).
        """
        if 2 ** len(input_names) != self.symbol_count:
            raise ValueError(f"give {self.symbol_count.bit_length() - 1} input names for {self.symbol_count} symbols.")
        rows = []
        for state in range(self.state_count):
            for symbol in range(self.symbol_count):
                target = int(self.next_state[state, symbol])
                bits = symbol_bits(symbol, len(input_names))
                rows.append(
                    {
                        "state": self.state_names[state],
                        **{f"{name} bit": bit for name, bit in zip(input_names, bits, strict=True)},
                        "next state": self.state_names[target] if target >= 0 else "(never seen)",
                        "output bit": int(self.output[state, symbol]) if target >= 0 else None,
                    }
                )
        return rows


def symbol_bits(symbol: int, width: int) -> tuple[int, ...]:
    """The bits of one input column, first number first: ``symbol_bits(2, 2) == (1, 0)`` (a = 1, b = 0)."""
    return tuple((symbol >> (width - 1 - position)) & 1 for position in range(width))


def frozen_machine(names: tuple[str, ...], start: int, next_state: np.ndarray, output: np.ndarray) -> MealyMachine:
    return MealyMachine(names, start, read_only(next_state.astype(np.int64)), read_only(output.astype(np.int64)))


# Written addition: the state is the carry; column a + b + carry writes its low bit and carries its high bit.
_COLUMNS = [[add_column(a, b, carry) for a, b in INPUT_SYMBOLS] for carry in (0, 1)]  # (sum bit, carry out)
CARRY_MACHINE = frozen_machine(
    ("carry 0", "carry 1"),
    0,
    np.array([[carry_out for _, carry_out in row] for row in _COLUMNS]),
    np.array([[sum_bit for sum_bit, _ in row] for row in _COLUMNS]),
)


def minimise(machine: MealyMachine) -> tuple[MealyMachine, np.ndarray]:
    """The smallest machine with the same behaviour, by partition refinement (Moore's algorithm).

    Unreachable states are dropped first; undefined transitions are treated as going to a sink that
    answers nothing, so only states that are undefined in the same places can merge. The sink never merges
    with a real state (even one with no observed successors), so every observed transition keeps its output.
    States are numbered in breadth-first order from the start.
    Returns ``(minimal machine, block of each original state or −1)``.
    """
    count, symbols = machine.state_count, machine.symbol_count
    sink = count  # an extra state for "never seen"
    next_state = np.vstack([np.where(machine.next_state >= 0, machine.next_state, sink), np.full((1, symbols), sink)])
    output = np.vstack([np.where(machine.next_state >= 0, machine.output, -1), np.full((1, symbols), -1)])
    reachable, queue = {machine.start}, deque([machine.start])
    while queue:
        for target in next_state[queue.popleft()]:
            if int(target) not in reachable:
                reachable.add(int(target))
                queue.append(int(target))
    alive = sorted(reachable)
    # Start from "same outputs on every input", then split blocks until successors agree as well. The sink
    # starts in a block of its own: a real state with no observed successors answers nothing too, but the
    # transitions *into* it were observed, and merging it with "never seen" would erase their outputs.
    block = {state: (state == sink, tuple(output[state])) for state in alive}
    while True:
        signature = {state: (block[state], tuple(block[int(t)] for t in next_state[state])) for state in alive}
        labels = {value: index for index, value in enumerate(sorted(set(signature.values()), key=repr))}
        refined = {state: labels[signature[state]] for state in alive}
        if len(set(refined.values())) == len(set(block.values())):
            block = refined
            break
        block = refined
    # Number blocks breadth-first from the start so that names are stable and the start is state 0.
    order: dict[int, int] = {}
    queue = deque([machine.start])
    while queue:
        state = queue.popleft()
        if block[state] in order:
            continue
        order[block[state]] = len(order)
        queue.extend(int(t) for t in next_state[state])
    sink_block = order.get(block[sink]) if sink in block else None
    kept = [b for b in order if order[b] != sink_block]
    renumber = {b: index for index, b in enumerate(sorted(kept, key=order.get))}
    representative = {block[state]: state for state in reversed(alive)}
    minimal_next = np.full((len(renumber), symbols), -1)
    minimal_output = np.full((len(renumber), symbols), -1)
    for b, index in renumber.items():
        state = representative[b]
        for symbol in range(symbols):
            target_block = block[int(next_state[state, symbol])]
            if target_block in renumber:
                minimal_next[index, symbol] = renumber[target_block]
                minimal_output[index, symbol] = output[state, symbol]
    mapping = np.array([renumber.get(block[state], -1) if state in block else -1 for state in range(count)])
    names = tuple(f"S{index}" for index in range(len(renumber)))
    return frozen_machine(names, renumber[block[machine.start]], minimal_next, minimal_output), mapping


def compare_machines(first: MealyMachine, second: MealyMachine) -> tuple[bool, dict[int, int], tuple[int, ...] | None]:
    """Do two machines write the same bits on every input? Breadth-first search over pairs of states.

    Returns ``(equivalent, pairing, counterexample)``: ``pairing`` maps each reachable state of ``first`` to
    the state of ``second`` it runs alongside (one-to-one when both are minimal and equivalent), and
    ``counterexample`` is a shortest list of input symbols on which the outputs differ (``None`` if none).
    Both machines must read the same symbols.
    """
    if first.symbol_count != second.symbol_count:
        raise ValueError(
            f"the machines read {first.symbol_count} and {second.symbol_count} symbols; compare like with like."
        )
    start = (first.start, second.start)
    seen = {start: ()}
    queue = deque([start])
    pairing: dict[int, set[int]] = {}
    while queue:
        state_one, state_two = queue.popleft()
        pairing.setdefault(state_one, set()).add(state_two)
        for symbol in range(first.symbol_count):
            path = (*seen[(state_one, state_two)], symbol)
            next_one, next_two = int(first.next_state[state_one, symbol]), int(second.next_state[state_two, symbol])
            output_one, output_two = int(first.output[state_one, symbol]), int(second.output[state_two, symbol])
            if next_one < 0 or next_two < 0 or output_one != output_two:
                return False, {}, path
            if (next_one, next_two) not in seen:
                seen[(next_one, next_two)] = path
                queue.append((next_one, next_two))
    one_to_one = all(len(partners) == 1 for partners in pairing.values())
    return True, ({state: next(iter(p)) for state, p in pairing.items()} if one_to_one else {}), None


def symbols_to_pair(symbols: tuple[int, ...]) -> tuple[int, int]:
    """Input columns (LSB first) back to the operands ``(a, b)`` they spell."""
    a_value = sum((symbol >> 1) << position for position, symbol in enumerate(symbols))
    b_value = sum((symbol & 1) << position for position, symbol in enumerate(symbols))
    return a_value, b_value
