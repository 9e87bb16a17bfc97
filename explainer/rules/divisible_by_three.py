"""Divisible by three so far: under column t, is the number read so far (LSB first, a mod 2^(t+1)) a multiple of 3?

Read least significant bit first, column t adds a_t · 2^t, and 2^t is 1, 2, 1, 2, … modulo 3. The written form
keeps the remainder of the prefix and whether the next column is worth 1 or 2 (mod 3): six states. Only three are
needed — the remainder divided by the next column's worth, r · 2^(−t) mod 3 — and minimising the six-state machine
finds them (``tests/test_rules.py``): the network has no reason to keep the column's parity.
"""

from __future__ import annotations

from explainer.rules.rule import NumberRule, machine_from_step

# State 2·r + p: remainder r of the prefix so far, p = 1 when the next column is worth 2 (mod 3), 0 when worth 1.
_NAMES = tuple(f"remainder {r}, next column ×{1 + p}" for r in range(3) for p in range(2))


def _remainder_column(state: int, bits: tuple[int, ...]) -> tuple[int, int]:
    """One column: the remainder grows by a_t times the column's worth (1 or 2 mod 3); write 1 if it is now 0."""
    remainder, odd = divmod(state, 2)
    (a_bit,) = bits
    remainder = (remainder + a_bit * (1 + odd)) % 3
    return 2 * remainder + (1 - odd), int(remainder == 0)


DIVISIBLE_BY_THREE = NumberRule(
    name="divisible_by_three",
    label="Divisible by three so far",
    input_names=("a",),
    state_called="remainder",
    machine=machine_from_step(_NAMES, 1, _remainder_column),
    minimal_state_count=3,
    prefix_test=lambda prefix: prefix % 3 == 0,
    training_bits=14,  # every a < 2^14 (16,384) in 16 columns, as times three
    training_columns=16,
    # Unweighted, the numpy fast recipe's seeds 0–2 took 20,000+ (unsolved), 320 and 2,272 steps; weighted by
    # transition, 4,480, 288, 336 (seeds 3, 4: 352, 336). bench/README.md.
    balanced_loss=True,
)
