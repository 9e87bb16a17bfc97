"""How exactly a network computes its rule (:mod:`explainer.rules`): on every short input for a finite rule, and,
for balanced brackets, how its accuracy falls as nesting deepens. Numpy only (the forward pass of
:mod:`explainer.model.network`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.model.accuracy import Accuracy, accuracy_on, accuracy_over
from explainer.model.network import RNNWeights
from explainer.rules import Rule
from explainer.rules.brackets import balanced_so_far, depths
from explainer.rules.rule import every_sequence

# Every input whose numbers fit this many columns is checked: 8 for two numbers (65,536 pairs; 32,896 with a ≥ b),
# 16 for one number (65,536). Three numbers of 8 bits are 16.7 million triples (two minutes of forward passes here),
# so their check stops at 6 bits (262,144 triples); README.md gives what the shipped network does at 7 and 8 bits.
CHECK_COLUMNS = {1: 16, 2: 8, 3: 6}
# Balanced brackets: every string of this many brackets, grouped by how deep it nests.
BRACKET_CHECK_COLUMNS = 16
# … and "(" × d then ")" × d for d up to this: one string per depth, far past the 12 brackets trained on.
DEEPEST_NESTING = 40


def check_columns(rule: Rule) -> int:
    """How many columns every input of a finite rule's exhaustive check fills (the numbers' bits)."""
    return CHECK_COLUMNS[rule.input_width]


def exhaustive_accuracy(weights: RNNWeights, rule: Rule, columns: int | None = None) -> Accuracy:
    """Accuracy on every input whose numbers fit ``columns`` bits (``check_columns(rule)`` unless given)."""
    return accuracy_over(weights, rule.exhaustive_chunks(check_columns(rule) if columns is None else columns))


@dataclass(frozen=True)
class DepthAccuracy:
    """Balanced brackets: where a network's answers fail as nesting deepens.

    ``by_depth[d]`` is the share of strings of ``columns`` brackets whose deepest nesting is d (depth never below
    0 before it) that the network answers right under every bracket; ``nested_right[d − 1]`` says whether it
    answers "(" × d + ")" × d right under every bracket, for d = 1 … ``DEEPEST_NESTING``.
    """

    columns: int
    by_depth: dict[int, float]
    strings_by_depth: dict[int, int]
    nested_right: tuple[bool, ...]

    @property
    def deepest_nesting_right(self) -> int:
        """The largest d such that every nesting "(" × k + ")" × k with k ≤ d is answered right (0 if none)."""
        return next((depth for depth, right in enumerate(self.nested_right) if not right), len(self.nested_right))

    def as_dict(self) -> dict:
        return {
            "columns": self.columns,
            "exact_by_deepest_nesting": {str(depth): share for depth, share in self.by_depth.items()},
            "strings_by_deepest_nesting": {str(depth): count for depth, count in self.strings_by_depth.items()},
            "deepest_nesting_right": self.deepest_nesting_right,
            "nested_checked_up_to": len(self.nested_right),
        }


def accuracy_by_depth(weights: RNNWeights, columns: int = BRACKET_CHECK_COLUMNS) -> DepthAccuracy:
    """Measure (do not assume) how a brackets network's answers hold up as nesting deepens."""
    strings = every_sequence(1, columns)  # (N, T, 1): every string of ``columns`` brackets
    depth = depths(strings[..., 0])  # (N, T)
    below = np.minimum.accumulate(depth, axis=1) < 0
    deepest = np.where(below, -1, depth).max(axis=1)  # the deepest nesting while the string was still valid
    wrong = accuracy_on(weights, strings, balanced_so_far(strings[..., 0])[..., None]).wrong_bits  # (N,)
    by_depth = {int(d): float((wrong[deepest == d] == 0).mean()) for d in np.unique(deepest) if d >= 0}
    counts = {int(d): int((deepest == d).sum()) for d in np.unique(deepest) if d >= 0}
    nested = []
    for nesting in range(1, DEEPEST_NESTING + 1):
        string = np.array([1] * nesting + [0] * nesting, dtype=np.int8)[None, :, None]  # (1, 2d, 1)
        right = accuracy_on(weights, string, balanced_so_far(string[..., 0])[..., None]).exact_accuracy == 1.0
        nested.append(bool(right))
    return DepthAccuracy(columns, by_depth, counts, tuple(nested))


def rule_accuracy_record(weights: RNNWeights, rule: Rule) -> dict:
    """What a rule network's sidecar records: its training-set accuracy, and its exhaustive check (finite rules)
    or its accuracy by depth (balanced brackets)."""
    record = {"accuracy_training_set": accuracy_on(weights, *rule.training_set()).as_dict()}
    if rule.machine is None:
        record["accuracy_by_depth"] = accuracy_by_depth(weights).as_dict()
    else:
        columns = check_columns(rule)
        record[f"accuracy_every_input_{columns}_columns"] = exhaustive_accuracy(weights, rule, columns).as_dict()
    return record
