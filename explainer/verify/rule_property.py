"""The verifier's property for a finite rule (:mod:`explainer.rules`): the network writes the rule's machine's bits.

The rule's Mealy machine is minimised first (divisible by three's six written-form states are three), so that
the boxes are labelled by what the rule must remember and nothing more; the certificate holds that machine and
the checker confirms that it writes the rule's own machine's bits on every input. A counterexample is confirmed
twice: by running the network and by the rule's plain Python arithmetic (``a − b``, ``3·a``, ``a mod 3``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.model.network import RNNWeights, forward
from explainer.verify.property import Machine


def finite_rule(name: str):
    """The rule called ``name``, or ``ValueError`` when there is none or no finite machine computes it."""
    from explainer.rules import rule_named

    rule = rule_named(name)
    if rule.machine is None:
        raise ValueError(f"no finite machine computes {rule.label.lower()}: there is nothing to prove at every length.")
    return rule


def rule_machine(rule) -> tuple[Machine, tuple[str, ...]]:
    """The rule's minimal machine for the searches, and a name per state (the rule's states it stands for)."""
    from explainer.analysis.mealy import minimise

    minimal, blocks = minimise(rule.machine)
    names = tuple(
        " = ".join(rule.machine.state_names[state] for state in np.flatnonzero(blocks == index))
        for index in range(minimal.state_count)
    )
    return Machine(np.asarray(minimal.next_state), np.asarray(minimal.output), int(minimal.start)), names


def rule_tables(rule) -> tuple[list[list[int]], list[list[int]], int]:
    """The rule's own machine as the checker takes it: ``(next_state, output, start)``."""
    machine = rule.machine
    return machine.next_state.tolist(), machine.output.tolist(), int(machine.start)


def rule_property_text(rule) -> str:
    """The property, in words, for ``rule``."""
    states = rule.minimal_state_count
    return (
        f"On every input - any number of columns T >= 1, any bits in them (leading zero columns included) - the "
        f"network's bit in each column equals the bit the rule '{rule.label}' writes there: the network and the "
        f"{states}-state machine of the {rule.state_called} write the same output on every sequence."
    )


def prefix_columns_for(symbols: int) -> int:
    """How long the counterexample search's prefixes of any columns are: at most 256 of them (4 for addition)."""
    return int(np.floor(np.log(256) / np.log(symbols) + 1e-9))


@dataclass(frozen=True)
class RuleCounterexample:
    """An input of ``columns`` columns on which the network writes another bit than the rule in ``wrong_column``.

    ``numbers`` are the numbers the columns spell (LSB first). Subtraction reads a ≥ b only: when the columns
    spell a < b, one more column (a bit of a, none of b) is added, which changes no earlier output.
    """

    numbers: tuple[int, ...]
    columns: int
    wrong_column: int  # 0-based
    network_bits: tuple[int, ...]
    rule_bits: tuple[int, ...]

    def as_dict(self) -> dict:
        return {
            "numbers": list(self.numbers),
            "columns": self.columns,
            "wrong_column": self.wrong_column,
            "network_bits": list(self.network_bits),
            "rule_bits": list(self.rule_bits),
        }


def arithmetic_bits(rule, numbers: tuple[int, ...], columns: int) -> list[int]:
    """What the rule writes under each of ``columns`` columns, by the rule's own Python arithmetic on ints."""
    if rule.result is not None:
        value = int(rule.result(*numbers)) % 2**columns
        return [(value >> column) & 1 for column in range(columns)]
    return [int(bool(rule.prefix_test(numbers[0] % 2 ** (column + 1)))) for column in range(columns)]


def confirm_rule_counterexample(weights: RNNWeights, rule, symbols: list[int]) -> RuleCounterexample | None:
    """Run the network on the columns the symbols spell; the counterexample if it differs from the rule's
    arithmetic somewhere, else ``None``."""
    width = rule.input_width
    columns = [[(int(symbol) >> (width - 1 - bit)) & 1 for bit in range(width)] for symbol in symbols]
    numbers = tuple(sum(column[bit] << t for t, column in enumerate(columns)) for bit in range(width))
    if rule.admits is not None and not rule.admits(*numbers):
        columns.append([1] + [0] * (width - 1))  # a's top bit: a ≥ b now, and no earlier column changes
        numbers = (numbers[0] + 2 ** (len(columns) - 1), *numbers[1:])
        if not rule.admits(*numbers):
            return None
    written = forward(weights, np.array([columns], dtype=np.float64)).output_probability[0] >= 0.5
    network_bits = tuple(int(bit) for bit in written)
    rule_bits = tuple(arithmetic_bits(rule, numbers, len(columns)))
    wrong = [t for t in range(len(columns)) if network_bits[t] != rule_bits[t]]
    if not wrong:
        return None
    return RuleCounterexample(numbers, len(columns), wrong[0], network_bits, rule_bits)
