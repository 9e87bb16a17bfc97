"""What ablations do: every unit zeroed and held at its mean, side by side, and where an ablation's errors fall.

Causal claims on the page ("the carry is kept in these units") rest on these interventions, so both kinds
are measured the same way for every unit: a reader can compare like with like.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.analysis.correctness import exact_accuracy
from explainer.analysis.exhaustive import MAX_EXHAUSTIVE_OPERAND_BITS, exhaustive_states, weighted_mean
from explainer.analysis.probe import carry_probe
from explainer.byte_cache import byte_cache
from explainer.model.ablation import Ablation, make_ablation
from explainer.model.encoding import TRAINING_OPERAND_BITS
from explainer.model.network import RNNWeights

_BOTH_SIZES = (TRAINING_OPERAND_BITS, MAX_EXHAUSTIVE_OPERAND_BITS)  # the 16,384 7-bit and 65,536 8-bit pairs


@dataclass(frozen=True)
class UnitAblation:
    """One unit zeroed, and the same unit held at its mean activity, with exact accuracy on 7- and 8-bit pairs."""

    unit: int
    mean: float  # the unit's average activity over every step of the 16,384 pairs (the intact network)
    zeroed_7bit: float
    zeroed_8bit: float
    at_mean_7bit: float
    at_mean_8bit: float


@byte_cache(4 * 2**20)  # ~7 kB at H = 16, ~28 kB at H = 64
def every_unit_ablated(weights: RNNWeights) -> tuple[UnitAblation, ...]:
    """Every unit alone, zeroed and held at its mean (cached per network)."""
    means = carry_probe(weights).unit_mean
    rows = []
    for unit in range(weights.hidden_units):
        zeroed = make_ablation(weights.hidden_units, {unit})
        at_mean = make_ablation(weights.hidden_units, clamped={unit: float(means[unit])})
        rows.append(
            UnitAblation(
                unit,
                float(means[unit]),
                *(exact_accuracy(weights, bits, zeroed) for bits in _BOTH_SIZES),
                *(exact_accuracy(weights, bits, at_mean) for bits in _BOTH_SIZES),
            )
        )
    return tuple(rows)


def every_unit_sentence(rows: tuple[UnitAblation, ...], carry_units: tuple[int, ...]) -> str:
    """The table of :func:`every_unit_ablated` in two sentences, for a caption: the numbers are the table's."""
    worst = sorted(rows, key=lambda row: (row.zeroed_7bit, row.unit))[:3]
    sentence = "Zeroed alone, the units that break addition most are " + ", ".join(
        f"{row.unit} ({row.zeroed_7bit:.1%})" for row in worst
    )
    sentence += " exact on the 16,384 pairs"
    if carry_units:
        by_unit = {row.unit: row for row in rows}
        sentence += "; the carry units " + ", ".join(
            f"{unit} ({by_unit[unit].zeroed_7bit:.1%})" for unit in carry_units
        )
    untouched = [row.unit for row in rows if row.at_mean_7bit == 1.0 and row.at_mean_8bit == 1.0]
    sentence += f". Held at its mean, {len(untouched)} of {len(rows)} units leave every 7- and 8-bit pair exact" + (
        f" ({', '.join(str(unit) for unit in untouched)})." if untouched else "."
    )
    return sentence


@dataclass(frozen=True)
class ErrorLocations:
    """Where the wrong bits of a run over the 16,384 7-bit pairs fall: columns a carry comes into, or not."""

    wrong_bits: int
    share_in_carry_columns: float  # of the wrong bits, the share in columns with carry in = 1 (nan if none wrong)
    carry_column_share: float  # of all columns, the share with carry in = 1: the share by chance alone
    wrong_rate_with_carry: float  # P(bit wrong | a carry comes in)
    wrong_rate_without_carry: float  # P(bit wrong | no carry comes in)

    def sentence(self) -> str:
        """The numbers in words, for a caption."""
        if self.wrong_bits == 0:
            return "Every bit of the 16,384 pairs is still right."
        return (
            f"{self.wrong_bits:,} bits of the 16,384 pairs are wrong; {self.share_in_carry_columns:.1%} of them are in "
            f"columns where a carry comes in (such columns are {self.carry_column_share:.1%} of all). A bit is "
            f"wrong {self.wrong_rate_with_carry:.1%} of the time where a carry comes in and "
            f"{self.wrong_rate_without_carry:.1%} where none does."
        )


def error_locations(weights: RNNWeights, ablation: Ablation | None) -> ErrorLocations:
    """Where the wrong bits fall over the 16,384 7-bit pairs (every pair-step counted once)."""
    states = exhaustive_states(weights, TRAINING_OPERAND_BITS, ablation)
    weight = states.weight.astype(np.float64)
    wrong = (states.predicted_bit != states.true_bit).astype(np.float64)
    carried = states.carry_in == 1
    wrong_total = float((wrong * weight).sum())
    return ErrorLocations(
        wrong_bits=round(wrong_total),
        share_in_carry_columns=float((wrong * weight)[carried].sum() / wrong_total) if wrong_total else float("nan"),
        carry_column_share=weighted_mean(carried, weight),
        wrong_rate_with_carry=weighted_mean(wrong[carried], weight[carried]),
        wrong_rate_without_carry=weighted_mean(wrong[~carried], weight[~carried]),
    )
