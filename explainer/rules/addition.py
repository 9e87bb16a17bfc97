"""Addition, a + b: the page's home and default. The state is the carry (2 states).

Everything here is :mod:`explainer.model.encoding`'s and :mod:`explainer.analysis.mealy`'s: the rule only names
them, so the addition the rules see is exactly the one the page shows.
"""

from __future__ import annotations

from explainer.analysis.mealy import CARRY_MACHINE
from explainer.model.encoding import MIN_TIMESTEPS, TRAINING_OPERAND_BITS
from explainer.rules.rule import NumberRule

ADDITION = NumberRule(
    name="addition",
    label="Addition, a + b",
    input_names=("a", "b"),
    state_called="carry",
    machine=CARRY_MACHINE,
    minimal_state_count=2,
    result=lambda a, b: a + b,
    training_bits=TRAINING_OPERAND_BITS,  # the seed's 16,384 pairs, a, b < 128 …
    training_columns=MIN_TIMESTEPS,  # … in 8 columns
)
