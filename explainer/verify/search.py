"""Counterexamples and bounded proofs: what the verifier says about a network it cannot prove.

- ``find_counterexample`` follows the attractors: a short prefix of any bits, then a long run of one column
  pattern, then possibly one more column. A drifting "no carry" state shows up there first. Every candidate
  is confirmed by really running the network.
- ``bounded_proof`` runs forward from h = 0, one column at a time, with boxes: each box's image under a
  column is exact per unit (each pre-activation is linear in h and σ is monotone), widened by a little
  for rounding; boxes of the same carry whose centres fall in one grid cell are merged into their hull.
  If every output is proved right for columns 0 … N − 2, no input of fewer than N columns fails.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from explainer.network import RNNWeights, activate
from explainer.verify.property import (
    COLUMN_PATTERNS,
    Counterexample,
    all_words,
    confirm_counterexample,
    patterns_to_pair,
)

ROUNDING_WIDENING = 1e-12  # absolute widening per column: far above float64 rounding at these magnitudes


def _step(weights: RNNWeights, hidden: np.ndarray, patterns: np.ndarray) -> np.ndarray:
    """One column for a batch, in the same order as ``explainer.network.forward``."""
    input_part = COLUMN_PATTERNS[patterns].astype(np.float64) @ weights.input_weights
    return activate(input_part + hidden @ weights.recurrent_weights)


def _wrong(weights: RNNWeights, hidden: np.ndarray, patterns: np.ndarray, carry: np.ndarray):
    """Whether the output after a column is wrong, and the carry after it."""
    total = (patterns >> 1) + (patterns & 1) + carry
    written = (hidden @ weights.output_weights)[:, 0] >= 0  # σ(logit) ≥ 0.5 exactly when logit ≥ 0
    return written != (total & 1).astype(bool), (total >= 2).astype(np.int8)


def find_counterexample(
    weights: RNNWeights, prefix_columns: int = 4, run_columns: int = 96, deadline: float | None = None
) -> Counterexample | None:
    """The shortest failure among prefix + run of one pattern + one last column; confirmed by a real run."""
    best: tuple[int, list[int]] | None = None
    for length in range(prefix_columns + 1):
        prefixes = all_words(length) if length else np.zeros((1, 0), dtype=np.int64)
        count = len(prefixes)
        hidden = np.zeros((count, weights.hidden_units))
        carry = np.zeros(count, dtype=np.int8)
        for column in range(length):  # failures inside the prefix are left to the other prefix lengths
            hidden = _step(weights, hidden, prefixes[:, column])
            _, carry = _wrong(weights, hidden, prefixes[:, column], carry)
        for pattern in range(4):
            state, state_carry = hidden, carry
            runs = np.full(count, pattern)
            for run in range(run_columns):
                columns = length + run + 1
                if best is not None and columns >= best[0]:
                    break
                if deadline is not None and time.perf_counter() > deadline:
                    return _confirmed(weights, best)
                for last in range(4):  # the run, then one more column of any pattern
                    lasts = np.full(count, last)
                    probe = _step(weights, state, lasts)
                    wrong, _ = _wrong(weights, probe, lasts, state_carry)
                    if wrong.any() and (best is None or columns + 1 < best[0]):
                        row = int(np.flatnonzero(wrong)[0])
                        best = (columns + 1, [*prefixes[row], *([pattern] * (run + 1)), last][: columns + 1])
                state = _step(weights, state, runs)
                wrong, state_carry = _wrong(weights, state, runs, state_carry)
                if wrong.any() and (best is None or columns < best[0]):
                    row = int(np.flatnonzero(wrong)[0])
                    best = (columns, [*prefixes[row], *([pattern] * (run + 1))])
    return _confirmed(weights, best)


def _confirmed(weights: RNNWeights, best: tuple[int, list[int]] | None) -> Counterexample | None:
    if best is None:
        return None
    columns, patterns = best
    a, b = patterns_to_pair(np.array(patterns[:columns]))
    return confirm_counterexample(weights, a, b, columns)


@dataclass(frozen=True)
class BoundedProof:
    no_counterexample_below: int  # every input of fewer columns is proved right
    stopped_because: str
    boxes_at_end: int


def bounded_proof(
    weights: RNNWeights,
    up_to_columns: int,
    deadline: float | None = None,
    resolution: float = 1e-4,
    max_boxes: int = 20_000,
) -> BoundedProof:
    """Prove every output right for every input of fewer than ``up_to_columns`` columns, or as far as it gets."""
    units = weights.hidden_units
    positive = np.maximum(weights.recurrent_weights, 0)
    negative = np.minimum(weights.recurrent_weights, 0)
    out_positive = np.maximum(weights.output_weights[:, 0], 0)
    out_negative = np.minimum(weights.output_weights[:, 0], 0)
    input_parts = COLUMN_PATTERNS.astype(np.float64) @ weights.input_weights  # (4, H)
    low = np.zeros((1, units))
    high = np.zeros((1, units))
    carry = np.zeros(1, dtype=np.int8)
    for column in range(up_to_columns - 1):
        if deadline is not None and time.perf_counter() > deadline:
            return BoundedProof(column + 1, "the time limit ran out", len(carry))
        pre_low = low @ positive + high @ negative  # (N, H)
        pre_high = high @ positive + low @ negative
        new_low, new_high, new_carry = [], [], []
        for pattern in range(4):
            image_low = activate(pre_low + input_parts[pattern] - ROUNDING_WIDENING) - ROUNDING_WIDENING
            image_high = activate(pre_high + input_parts[pattern] + ROUNDING_WIDENING) + ROUNDING_WIDENING
            logit_low = image_low @ out_positive + image_high @ out_negative - ROUNDING_WIDENING
            logit_high = image_high @ out_positive + image_low @ out_negative + ROUNDING_WIDENING
            total = (pattern >> 1) + (pattern & 1) + carry
            proved = np.where(total & 1, logit_low > 0, logit_high < 0)
            if not proved.all():
                return BoundedProof(
                    column + 1, f"an output in column {column + 1} could not be proved right", len(carry)
                )
            new_low.append(image_low)
            new_high.append(image_high)
            new_carry.append((total >= 2).astype(np.int8))
        low, high, carry = _merge(
            np.concatenate(new_low), np.concatenate(new_high), np.concatenate(new_carry), resolution, max_boxes
        )
    return BoundedProof(up_to_columns, "every column was proved", len(carry))


_CELL_HASH = np.random.default_rng(12345).integers(1, 2**40, size=64) * 2  # even: the carry stays the low bit


def _merge(low, high, carry, resolution, max_boxes):
    """Hull together boxes of one carry whose centres share a grid cell; coarser cells if there are too many."""
    while True:
        cells = np.round((low + high) / (2 * resolution)).astype(np.int64)
        # One int64 per cell and carry (a hash; two cells sharing one only merge two boxes, which is still sound).
        hashes = cells @ _CELL_HASH[: cells.shape[1]] + carry.astype(np.int64)
        unique_hashes, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        if len(unique_hashes) <= max_boxes:
            break
        resolution *= 2
    merged_low = np.full((len(unique_hashes), low.shape[1]), np.inf)
    merged_high = np.full((len(unique_hashes), low.shape[1]), -np.inf)
    np.minimum.at(merged_low, inverse, low)
    np.maximum.at(merged_high, inverse, high)
    return merged_low, merged_high, carry[first]  # a hash's parity is its carry: carries never mix
