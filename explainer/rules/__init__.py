"""The rules a network can learn, each one module and one value: addition (the default), subtraction, three
numbers, times three, divisible by three and balanced brackets. See :mod:`explainer.rules.rule` for what a rule is.

This package never imports streamlit or Keras.
"""

from __future__ import annotations

from explainer.rules.addition import ADDITION
from explainer.rules.brackets import BRACKETS
from explainer.rules.divisible_by_three import DIVISIBLE_BY_THREE
from explainer.rules.rule import NumberRule, Rule
from explainer.rules.subtraction import SUBTRACTION
from explainer.rules.three_numbers import THREE_NUMBERS
from explainer.rules.times_three import TIMES_THREE

RULES: dict[str, Rule] = {
    rule.name: rule for rule in (ADDITION, SUBTRACTION, THREE_NUMBERS, TIMES_THREE, DIVISIBLE_BY_THREE, BRACKETS)
}
DEFAULT_RULE = ADDITION.name
FINITE_RULES = tuple(name for name, rule in RULES.items() if rule.machine is not None)


def rule_named(name: object) -> Rule:
    """The rule called ``name``, or ``ValueError`` listing the names there are (the name itself is not repeated)."""
    if not isinstance(name, str) or name not in RULES:
        raise ValueError(f"there is no such rule; the rules are {', '.join(RULES)}.")
    return RULES[name]


__all__ = ["DEFAULT_RULE", "FINITE_RULES", "RULES", "NumberRule", "Rule", "rule_named"]
