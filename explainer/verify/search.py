"""Counterexamples and bounded proofs: what the verifier says about a network it cannot prove.

- ``find_counterexample`` follows the attractors: a short prefix of any bits, then a long run of one column
  pattern, then possibly one more column. A drifting "no carry" state shows up there first. Every candidate
  is confirmed by really running the network.
- ``bounded_proof`` runs forward from h = 0, one column at a time, with boxes: each box's image under a
  column is exact per unit (each pre-activation is linear in h and σ is monotone), widened by a little
  for rounding; a box whose next outputs cannot be proved is cut in two and its halves tried instead; then
  boxes of the same carry whose centres fall in one grid cell are merged into their hull (the cells grow
  when there would be more than ``max_boxes``). If every output is proved right for columns 0 … N − 2, no
  input of fewer than N columns fails. Boxes widen with every merge (ρ(|J|) > 1 at the attractors), so how
  far it gets is set by how many boxes it may keep: 70,000 reach 17 columns on the shipped network. The
  memory bound (``explainer.verify.memory``) lowers that number for wider networks (~21,000 at H = 64) and
  stops a column whose cuts would outgrow it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from explainer.model.network import RNNWeights, activate
from explainer.verify.memory import FLOAT_BYTES, MemoryBound
from explainer.verify.property import (
    CARRY,
    Counterexample,
    Machine,
    all_words,
    confirm_counterexample,
    patterns_to_pair,
)

ROUNDING_WIDENING = 1e-12  # absolute widening per column: far above float64 rounding at these magnitudes


def _step(weights: RNNWeights, hidden: np.ndarray, patterns: np.ndarray, machine: Machine = CARRY) -> np.ndarray:
    """One column for a batch, in the same order as ``explainer.model.network.forward``."""
    input_part = machine.columns[patterns].astype(np.float64) @ weights.input_weights
    return activate(input_part + hidden @ weights.recurrent_weights)


def _wrong(weights: RNNWeights, hidden: np.ndarray, patterns: np.ndarray, carry: np.ndarray, machine: Machine = CARRY):
    """Whether the output after a column is wrong, and the machine's state (the carry) after it."""
    written = (hidden @ weights.output_weights)[:, 0] >= 0  # σ(logit) ≥ 0.5 exactly when logit ≥ 0
    return written != machine.output[carry, patterns].astype(bool), machine.next_state[carry, patterns]


def find_counterexample(
    weights: RNNWeights, prefix_columns: int = 4, run_columns: int = 96, deadline: float | None = None
) -> Counterexample | None:
    """The shortest failure among prefix + run of one pattern + one last column; confirmed by a real run."""
    return _confirmed(weights, shortest_failure(weights, CARRY, prefix_columns, run_columns, deadline))


def shortest_failure(
    weights: RNNWeights,
    machine: Machine,
    prefix_columns: int = 4,
    run_columns: int = 96,
    deadline: float | None = None,
) -> tuple[int, list[int]] | None:
    """The shortest input found (column count, symbols) among prefix + run of one symbol + one last column on
    which some output differs from ``machine``'s; ``None`` if none (or the deadline came first, with nothing)."""
    best: tuple[int, list[int]] | None = None
    symbols = machine.symbols
    for length in range(prefix_columns + 1):
        prefixes = all_words(length, symbols) if length else np.zeros((1, 0), dtype=np.int64)
        count = len(prefixes)
        hidden = np.zeros((count, weights.hidden_units))
        carry = np.full(count, machine.start, dtype=np.int64)
        for column in range(length):  # failures inside the prefix are left to the other prefix lengths
            hidden = _step(weights, hidden, prefixes[:, column], machine)
            _, carry = _wrong(weights, hidden, prefixes[:, column], carry, machine)
        for pattern in range(symbols):
            state, state_carry = hidden, carry
            runs = np.full(count, pattern)
            for run in range(run_columns):
                # ``state`` is after the prefix and ``run`` columns of the pattern. Both words tried here, the
                # prefix + run + one more column of any pattern, and the prefix + run + 1, have this many columns.
                columns = length + run + 1
                if best is not None and columns >= best[0]:
                    break
                if deadline is not None and time.perf_counter() > deadline:
                    return best
                for last in range(symbols):
                    lasts = np.full(count, last)
                    probe = _step(weights, state, lasts, machine)
                    wrong, _ = _wrong(weights, probe, lasts, state_carry, machine)
                    if wrong.any() and (best is None or columns < best[0]):
                        row = int(np.flatnonzero(wrong)[0])
                        best = (columns, [*prefixes[row], *([pattern] * run), last])
                state = _step(weights, state, runs, machine)
                wrong, state_carry = _wrong(weights, state, runs, state_carry, machine)
                if wrong.any() and (best is None or columns < best[0]):
                    row = int(np.flatnonzero(wrong)[0])
                    best = (columns, [*prefixes[row], *([pattern] * (run + 1))])
    return best


def _confirmed(weights: RNNWeights, best: tuple[int, list[int]] | None) -> Counterexample | None:
    if best is None:
        return None
    columns, patterns = best
    a, b = patterns_to_pair(np.array(patterns))
    return confirm_counterexample(weights, a, b, columns)


@dataclass(frozen=True)
class BoundedProof:
    no_counterexample_below: int  # every input of fewer columns is proved right
    stopped_because: str
    boxes_at_end: int
    peak_bytes: int = 0  # the most the box arrays held at once, by the search's own count (see MemoryBound)


# Float64 words per unit that one box costs while it is held, stepped or merged (counted from the code below;
# tests/test_verify.py checks the count against tracemalloc's), and words per box whatever the units (carries,
# logits, hashes, sort orders).
HELD_WORDS = 2  # its low and high
STEP_WORDS = 22  # stepped: its 4 images' low and high (16), their masked copies and σ's temporaries
MERGE_WORDS = 6  # merged: its low and high, centre and cell, then the gathered copies and the hulls
PER_BOX_WORDS = 16


def bounded_proof(
    weights: RNNWeights,
    up_to_columns: int,
    deadline: float | None = None,
    resolution: float = 1e-4,
    max_boxes: int = 70_000,
    max_splits: int = 8,
    on_column: Callable[[int, np.ndarray, np.ndarray, np.ndarray], None] | None = None,
    memory: MemoryBound | None = None,
    machine: Machine = CARRY,
) -> BoundedProof:
    """Prove every output right for every input of fewer than ``up_to_columns`` columns, or as far as it gets.

    A box whose outputs in the next column cannot all be proved is cut in two along the unit that widens the
    output most (its image lies in the union of its halves' images), up to ``max_splits`` times in a row.
    ``on_column(column, low, high, carry)``, if given, sees the boxes (H, N) that hold every state after each
    column, each with the true carry of every input that reaches it: the tests check that they do.

    ``memory`` (default: :data:`explainer.verify.memory.VERIFIER_MEMORY_BYTES`) bounds the box arrays: the merge
    keeps at most as many boxes as the budget lets the next column's images be merged (fewer for more units),
    boxes are stepped in chunks, and a column whose cuts would need more stops the proof there, saying so.
    ``machine`` is what the outputs are held to (written addition unless given); "carry" then means its state.
    """
    memory = MemoryBound() if memory is None else memory
    units = weights.hidden_units
    step = _BoxStep(weights, machine)

    def cost(boxes: int, words: int) -> int:
        return int(boxes) * (words * units + PER_BOX_WORDS) * FLOAT_BYTES

    allowed = memory.limit_bytes // cost(machine.symbols, MERGE_WORDS)  # K images per box in the next column
    # When the bound, not the caller, sets the number of boxes, a column that cannot be proved says so.
    fewer = f" with the {allowed:,} boxes {memory.name} allows" if allowed < max_boxes else ""
    max_boxes = min(max_boxes, allowed)
    chunk = max(1, memory.limit_bytes // 4 // cost(1, STEP_WORDS))  # boxes stepped at once: a quarter of the budget
    low = np.zeros((units, 1))  # boxes are stored unit-major, (H, N): the merge reads each unit's row contiguously
    high = np.zeros((units, 1))
    carry = np.full(1, machine.start, dtype=np.int8)
    resolution = max(resolution, MIN_RESOLUTION)
    for column in range(up_to_columns - 1):
        if deadline is not None and time.perf_counter() > deadline:
            return BoundedProof(column + 1, "the time limit ran out", len(carry), memory.peak_bytes)
        boxes = len(carry)
        out_of_memory = BoundedProof(column + 1, memory.stop_reason, boxes, memory.peak_bytes)
        new_low, new_high, new_carry = [], [], []
        images = 0
        for cuts in range(max_splits + 1):
            pending = len(carry)
            kept_low, kept_high, kept_carry = [], [], []  # the boxes not proved yet, to be cut
            unproved = 0
            for start in range(0, pending, chunk):
                if deadline is not None and time.perf_counter() > deadline:
                    return BoundedProof(column + 1, "the time limit ran out", boxes, memory.peak_bytes)
                part = slice(start, start + chunk)
                size = len(carry[part])
                if not memory.fits(cost(pending + images + unproved, HELD_WORDS) + cost(size, STEP_WORDS)):
                    return out_of_memory
                image_low, image_high, image_carry, proved = step(low[:, part], high[:, part], carry[part])
                new_low.append(image_low[:, :, proved].reshape(units, -1))
                new_high.append(image_high[:, :, proved].reshape(units, -1))
                new_carry.append(image_carry[:, proved].reshape(-1))
                images += len(new_carry[-1])
                del image_low, image_high
                if not proved.all():
                    kept_low.append(low[:, part][:, ~proved])
                    kept_high.append(high[:, part][:, ~proved])
                    kept_carry.append(carry[part][~proved])
                    unproved += len(kept_carry[-1])
            if not unproved:
                break
            if cuts == max_splits:
                return BoundedProof(
                    column + 1,
                    f"an output in column {column + 1} could not be proved right{fewer}",
                    boxes,
                    memory.peak_bytes,
                )
            if not memory.fits(cost(pending + images + unproved + 2 * unproved, HELD_WORDS)):
                return out_of_memory
            low, high, carry = step.halves(
                np.concatenate(kept_low, axis=1), np.concatenate(kept_high, axis=1), np.concatenate(kept_carry)
            )
            del kept_low, kept_high
        del low, high
        if not memory.fits(cost(images, MERGE_WORDS)):
            return out_of_memory
        low, high, carry = np.concatenate(new_low, axis=1), np.concatenate(new_high, axis=1), np.concatenate(new_carry)
        del new_low, new_high
        if column < up_to_columns - 2:  # the last column's states go nowhere: no need to merge them
            low, high, carry, resolution = _merge(low, high, carry, resolution, max_boxes, machine.states)
        if on_column is not None:
            on_column(column, low, high, carry)
    return BoundedProof(up_to_columns, "every column was proved", len(carry), memory.peak_bytes)


class _BoxStep:
    """One column for boxes (H, N): each unit's image is exact (its pre-activation is linear in h and σ is
    monotone), widened a little for rounding; the output logit is bounded from the image."""

    def __init__(self, weights: RNNWeights, machine: Machine = CARRY):
        self.recurrent = weights.recurrent_weights.T
        self.magnitude = np.abs(weights.recurrent_weights).T
        output = weights.output_weights[:, 0]
        self.out_positive, self.out_negative = np.maximum(output, 0), np.minimum(output, 0)
        self.input_parts = (machine.columns.astype(np.float64) @ weights.input_weights)[:, :, None]  # (K, H, 1)
        self.machine = machine
        # How much a unit's width can widen the next output: through W_h, σ' ≤ 1/4, then W_o.
        self.influence = np.abs(weights.recurrent_weights) @ np.abs(output)

    def __call__(self, low, high, carry):
        """Images per pattern (H, K, N), their carries (K, N), and which boxes have every output proved."""
        # Centre and radius: two products instead of four (rounding differences stay far inside the widening).
        # einsum rather than BLAS: the products are thin (H × H by H × N), and BLAS's threads only spin here.
        pre_centre = np.einsum("ij,jn->in", self.recurrent, (low + high) / 2)
        pre_radius = np.einsum("ij,jn->in", self.magnitude, (high - low) / 2)
        pre_low, pre_high = pre_centre - pre_radius, pre_centre + pre_radius
        image_low = np.stack([_sigmoid(pre_low + (part - ROUNDING_WIDENING)) for part in self.input_parts], axis=1)
        image_high = np.stack([_sigmoid(pre_high + (part + ROUNDING_WIDENING)) for part in self.input_parts], axis=1)
        image_low -= ROUNDING_WIDENING
        image_high += ROUNDING_WIDENING
        logit_low = _units_dot(self.out_positive, image_low) + _units_dot(self.out_negative, image_high)  # (4, N)
        logit_high = _units_dot(self.out_positive, image_high) + _units_dot(self.out_negative, image_low)
        logit_low -= ROUNDING_WIDENING
        logit_high += ROUNDING_WIDENING
        patterns = np.arange(self.machine.symbols)[:, None]
        bits = self.machine.output[carry[None, :], patterns]  # (K, N)
        proved = np.where(bits == 1, logit_low > 0, logit_high < 0).all(axis=0)
        return image_low, image_high, self.machine.next_state[carry[None, :], patterns].astype(np.int8), proved

    def halves(self, low, high, carry):
        """Each box cut in two across the unit whose width widens the next outputs most."""
        unit = np.argmax((high - low) * self.influence[:, None], axis=0)
        columns = np.arange(low.shape[1])
        middle = (low[unit, columns] + high[unit, columns]) / 2
        left_high, right_low = high.copy(), low.copy()
        left_high[unit, columns] = middle
        right_low[unit, columns] = middle
        return (
            np.concatenate([low, right_low], axis=1),
            np.concatenate([left_high, high], axis=1),
            np.concatenate([carry, carry]),
        )


def _units_dot(vector: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``vector`` (H,) against the first axis of ``values`` (H, ...)."""
    return np.einsum("h,h...->...", vector, values)


def _sigmoid(values: np.ndarray) -> np.ndarray:
    """σ with one exp (``network.sigmoid`` takes two): this is the bounded proof's hot loop. Its few ulps of
    difference from the network's own σ are far inside ``ROUNDING_WIDENING``."""
    small = np.exp(-np.abs(values))
    share = 1.0 / (1.0 + small)
    return np.where(values >= 0, share, small * share)


# Cells are hashed to one float64: integer cell indices (below 2**14, see MIN_RESOLUTION) times integer keys
# below 2**30, summed over ≤ 64 units, stay below 2**53, so the sum is exact and the same cell always gets the
# same hash whatever order the sum is taken in. Two cells sharing a hash only merge two boxes: still sound.
MIN_RESOLUTION = 2.0**-14
_CELL_KEYS = np.random.default_rng(12345).integers(1, 2**30, size=64).astype(np.float64)
GROWTH = 1.25  # how much coarser the cells get when there are too many boxes: small steps use the budget well


def _merge(low, high, carry, resolution, max_boxes, states: int = 2):
    """Hull together boxes of one carry (one of the machine's ``states``) whose centres share a grid cell; coarser
    cells if there are too many.

    The resolution carries over to the next column (the boxes only widen), so most columns take one try.
    """
    units = low.shape[0]
    centres = low + high  # twice the centres: the cell size below is doubled to match
    by_carry = [np.flatnonzero(carry == value) for value in range(states)]
    while True:
        cells = np.rint(centres * (0.5 / resolution))
        hashes = np.einsum("h,hn->n", _CELL_KEYS[:units], cells)
        groups = []
        for members in by_carry:  # carries are grouped apart, so they never mix whatever the hashes
            order = members[np.argsort(hashes[members])]
            sorted_hashes = hashes[order]
            starts = np.flatnonzero(np.concatenate([[True], sorted_hashes[1:] != sorted_hashes[:-1]]))
            groups.append((order, starts))
        if sum(len(starts) for _, starts in groups) <= max_boxes:
            break
        resolution *= GROWTH
    del centres, cells, hashes  # the gathers below need the room (MERGE_WORDS counts them out)
    merged_low, merged_high, merged_carry = [], [], []
    for value, (order, starts) in enumerate(groups):
        if len(order):
            merged_low.append(np.minimum.reduceat(low[:, order], starts, axis=1))
            merged_high.append(np.maximum.reduceat(high[:, order], starts, axis=1))
            merged_carry.append(np.full(len(starts), value, dtype=np.int8))
    return (
        np.concatenate(merged_low, axis=1),
        np.concatenate(merged_high, axis=1),
        np.concatenate(merged_carry),
        resolution,
    )
