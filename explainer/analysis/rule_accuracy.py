"""How exactly a network computes its rule (:mod:`explainer.rules`): on every short input for a finite rule, and,
for balanced brackets, how its accuracy falls as nesting deepens. Numpy only (the forward pass of
:mod:`explainer.model.network`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from explainer.model.accuracy import Accuracy, accuracy_on, accuracy_over, exact_share
from explainer.model.network import RNNWeights, activate, output_logit, sigmoid
from explainer.rules import Rule
from explainer.rules.brackets import balanced_so_far, depths
from explainer.rules.rule import every_sequence

# Every input whose numbers fit this many columns is checked: 8 for two numbers (65,536 pairs; 32,896 with a ≥ b),
# 16 for one number (65,536). Three numbers of 8 bits are 16.7 million triples (two minutes of forward passes here),
# so their check stops at 6 bits (262,144 triples); README.md gives what the shipped network does at 7 and 8 bits.
CHECK_COLUMNS = {1: 16, 2: 8, 3: 6}
# The claim of issue 26 for the shipped networks: exact on every input whose numbers fit 8 columns (16 for one
# number). For three numbers that is 16.8 million triples: :func:`every_input_accuracy` checks them in ~20 s by
# sharing prefixes; CHECK_COLUMNS above stays what the page's analyses step through.
FULL_CHECK_COLUMNS = {1: 16, 2: 8, 3: 8}
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


def every_input_accuracy(weights: RNNWeights, rule: Rule, columns: int, leaves_per_chunk: int = 2**18) -> Accuracy:
    """:func:`exhaustive_accuracy` for a rule that reads numbers, by running the network once per distinct prefix.

    The network reads column t after columns 0 … t−1 only, so every input that starts with the same t columns has
    the same hidden state and the same output bit there. Level t of a tree holds the K^(t+1) prefixes of t + 1
    columns (K = 2^W symbols per column), each stepped once from its parent: three 8-bit numbers are 19 million
    steps through the numbers' columns, not 134 million. Each full input (a leaf) then runs on through the zero
    columns its result needs, and its output bits are compared with the rule's arithmetic.

    The same numbers as :func:`exhaustive_accuracy` (the same float64 step, :func:`activate`, and the same ≥ 0.5
    reading); only ``wrong_bits`` comes in another order: leaf n spells n in base K, least significant column
    first, leaves outside the rule's domain left out. One BLAS thread: its products are (N, 16) × (16, 16), which a
    second thread only slows down on a busy machine (``ui/threads.py``).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _every_input_accuracy(weights, rule, columns, leaves_per_chunk)


def _every_input_accuracy(weights: RNNWeights, rule: Rule, columns: int, leaves_per_chunk: int) -> Accuracy:
    width, symbols = rule.input_width, 2**rule.input_width
    timesteps = rule.exhaustive_columns(columns)
    bits = ((np.arange(symbols)[:, None] >> np.arange(width - 1, -1, -1)) & 1).astype(np.float64)  # (K, W)
    table = bits @ weights.input_weights  # (K, H): x_t · W_x for each symbol, as forward computes it
    recurrent, units = weights.recurrent_weights, weights.hidden_units

    def output_bits(hidden: np.ndarray) -> np.ndarray:
        return sigmoid(output_logit(weights, hidden)) >= 0.5  # (…,) as accuracy_on reads o_t

    hidden = np.zeros((1, units))  # h_{-1} = 0 for the one empty prefix
    prefix_bits = []  # prefix_bits[t][code]: the output bit under column t of prefix ``code`` (t + 1 columns)
    for _ in range(columns - 1):
        carried = hidden @ recurrent  # (K^t, H)
        hidden = activate(table[:, None, :] + carried[None, :, :]).reshape(-1, units)  # code = symbol·K^t + parent
        prefix_bits.append(output_bits(hidden))
    carried = hidden @ recurrent  # (K^(columns−1), H): the parents of the leaves
    parents = carried.shape[0]
    wrong_parts, checked_bits = [], 0
    for symbol in range(symbols):  # the leaves, in pieces: 16.8 million states of 16 units would be 2 GB
        for start in range(0, parents, leaves_per_chunk):
            parent = np.arange(start, min(parents, start + leaves_per_chunk), dtype=np.int64)
            codes = symbol * parents + parent  # (N,) leaf codes
            numbers = [
                sum(((codes >> (width * t + width - 1 - index)) & 1) << t for t in range(columns))
                for index in range(width)
            ]  # W arrays (N,): the first number's bit is the most significant of a symbol
            keep = np.ones(codes.size, dtype=bool) if rule.admits is None else rule.admits(*numbers)
            if not keep.any():
                continue
            codes, parent, numbers = codes[keep], parent[keep], [values[keep] for values in numbers]
            state = activate(table[symbol] + carried[parent])  # (N, H): h after the last column of numbers
            predicted = [prefix[codes & (symbols ** (t + 1) - 1)] for t, prefix in enumerate(prefix_bits)]
            predicted.append(output_bits(state))
            for _ in range(timesteps - columns):  # the zero columns the result still fills (x · W_x = 0)
                state = activate(table[0] + state @ recurrent)
                predicted.append(output_bits(state))
            targets = rule.target_bits(numbers, timesteps).astype(bool)  # (N, T)
            wrong_parts.append((np.stack(predicted, axis=1) != targets).sum(axis=1))
            checked_bits += targets.size
    wrong_bits = np.concatenate(wrong_parts)
    return Accuracy(
        pairs=int(wrong_bits.size),
        exact_accuracy=exact_share(wrong_bits),
        bit_accuracy=float(1.0 - wrong_bits.sum() / checked_bits),
        wrong_bits=wrong_bits,
    )


def rule_accuracy_record(weights: RNNWeights, rule: Rule) -> dict:
    """What a rule network's sidecar records: its training-set accuracy, and its exhaustive checks (finite rules:
    over ``CHECK_COLUMNS`` and, where more, ``FULL_CHECK_COLUMNS``) or its accuracy by depth (balanced brackets)."""
    record = {"accuracy_training_set": accuracy_on(weights, *rule.training_set()).as_dict()}
    if rule.machine is None:
        record["accuracy_by_depth"] = accuracy_by_depth(weights).as_dict()
    else:
        columns = check_columns(rule)
        record[f"accuracy_every_input_{columns}_columns"] = exhaustive_accuracy(weights, rule, columns).as_dict()
        full = FULL_CHECK_COLUMNS[rule.input_width]
        if full != columns:  # three numbers: the page's check stops at 6 columns, the claim is 8
            record[f"accuracy_every_input_{full}_columns"] = every_input_accuracy(weights, rule, full).as_dict()
    return record
