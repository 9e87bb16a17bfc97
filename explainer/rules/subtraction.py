"""Subtraction, a − b for a ≥ b: written subtraction borrows where addition carries (2 states)."""

from __future__ import annotations

from explainer.rules.rule import NumberRule, machine_from_step


def _borrow_column(borrow: int, bits: tuple[int, ...]) -> tuple[int, int]:
    """One column of written subtraction: a_t − b_t − borrow writes its low bit and borrows 1 if it went below 0."""
    a_bit, b_bit = bits
    difference = a_bit - b_bit - borrow  # −2 … 1
    return int(difference < 0), difference & 1


SUBTRACTION = NumberRule(
    name="subtraction",
    label="Subtraction, a − b (a ≥ b)",
    input_names=("a", "b"),
    state_called="borrow",
    machine=machine_from_step(("borrow 0", "borrow 1"), 2, _borrow_column),
    minimal_state_count=2,
    result=lambda a, b: a - b,
    admits=lambda a, b: a >= b,
    domain="a at least as large as b (a ≥ b)",
    # Every pair a ≥ b below 256 (32,896): a − b < 256 fits the 8 columns, so the top column is exercised too.
    training_bits=8,
)
