"""Multiplying by three, 3·a: each column writes the low bit of 3·a_t + carry, and carries 0, 1 or 2 (3 states)."""

from __future__ import annotations

from explainer.rules.rule import NumberRule, machine_from_step


def _times_three_column(carry: int, bits: tuple[int, ...]) -> tuple[int, int]:
    """One column of 3·a written by hand: 3·a_t + carry (0–5) writes its low bit and carries the rest (0–2)."""
    (a_bit,) = bits
    total = 3 * a_bit + carry
    return total >> 1, total & 1


TIMES_THREE = NumberRule(
    name="times_three",
    label="Times three, 3·a",
    input_names=("a",),
    state_called="carry",
    machine=machine_from_step(("carry 0", "carry 1", "carry 2"), 1, _times_three_column),
    minimal_state_count=3,
    result=lambda a: 3 * a,
    # One number gives few inputs per column count: every a < 2^14 (16,384), 3·a < 2^16 in 16 columns, so the
    # network sees sequences as long as the ones it is checked on.
    training_bits=14,
    training_columns=16,
)
