"""Which part of the state holds the carry the network uses: every alignment's IIA side by side, and words for them.

:func:`interchange_table` puts the alignments of :mod:`explainer.analysis.interchange` side by side: the whole
state, each unit, the carry units the probe names, together, the probe's direction, a direction *learned* to make
the swap work (distributed alignment search with one dimension, fitted on training triples and scored on held-out
ones) and random directions as the floor, each beside what a probe restricted to the same subspace reads. The
illusion check (Makelov et al., 2024) asks how much of the learned direction lies outside the span of the states
the network visits, and what patching only its in-span part gives.

Population: base and source pairs drawn uniformly and independently from all pairs with 7-bit operands
(a, b < 128, 8 columns), every column t = 0–6 (after column 7 nothing is left to write). The sample is
stated in :attr:`InterchangeTable.population`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.analysis.exhaustive import exhaustive_states
from explainer.analysis.interchange import (
    AlignmentIIA,
    InterchangeSample,
    PreparedSample,
    alignment_iia,
    carries_differ,
    direction_basis,
    interchange_sample,
    prepare_sample,
    run_on,
    transplant_successes,
    unit_basis,
)
from explainer.analysis.probe import carry_probe, readout_accuracy
from explainer.byte_cache import byte_cache
from explainer.model.encoding import TRAINING_OPERAND_BITS
from explainer.model.network import RNNWeights, read_only
from explainer.wording import plural

# The sampled (base, source) pairs the table is scored on; every column t of each is a triple.
INTERCHANGE_PAIRS = 1024
# The distributed alignment search fits its direction on this many other (base, source) pairs.
DAS_PAIRS = 128
DAS_STEPS = 40
DAS_LEARNING_RATE = 0.1
# Random unit directions: the floor a 1-D patch reaches by chance.
RANDOM_DIRECTIONS = 20
INTERCHANGE_SEED = 0
# The visited span: the fewest principal directions of the states the network reaches (all 7-bit pairs, every t)
# that hold this share of their variance. A patch along a direction outside it moves the state where the network
# never goes (Makelov et al.'s illusion); every direction has *some* variance, so the span needs a threshold.
VISITED_VARIANCE = 0.99


def interchange_accuracy(
    weights: RNNWeights, sample: InterchangeSample, alignments: list[tuple[str, str, np.ndarray]]
) -> tuple[AlignmentIIA, ...]:
    """IIA of each ``(name, kind, basis)`` alignment on every triple of ``sample``, beside the probe's reading.

    All alignments run in one batch per column. Kind "random" (the floor's directions) gets no probe reading.
    """
    prepared = prepare_sample(weights, sample)
    success = transplant_successes(weights, prepared, [basis for *_, basis in alignments])
    span = visited_span(weights)
    rows = []
    for index, (name, kind, basis) in enumerate(alignments):
        reading = _probe_reading(weights, basis) if kind != "random" else float("nan")
        outside = float(np.linalg.norm(basis - span @ (span.T @ basis))) if basis.shape[1] == 1 else float("nan")
        rows.append(alignment_iia(name, kind, basis, success[index], prepared.carries_differ, reading, outside))
    return tuple(rows)


def _probe_reading(weights: RNNWeights, basis: np.ndarray) -> float:
    """Accuracy of the carry out read linearly from ``h_t`` projected on span(basis), over every visited state."""
    states = exhaustive_states(weights, TRAINING_OPERAND_BITS)
    return readout_accuracy(states.hidden @ basis, states.carry_out, states.weight)


def visited_span(weights: RNNWeights) -> np.ndarray:
    """(H, r) an orthonormal basis of the directions the visited states spread along (all 7-bit pairs, every t).

    The principal directions of the states centred on their weighted mean (a patch moves a state by a difference
    of two visited states), the fewest that hold ``VISITED_VARIANCE`` of the variance.
    """
    states = exhaustive_states(weights, TRAINING_OPERAND_BITS)
    weight = states.weight.astype(np.float64)
    mean = (states.hidden * weight[:, None]).sum(0) / weight.sum()
    centred = (states.hidden - mean) * np.sqrt(weight / weight.sum())[:, None]
    _, singular, right = np.linalg.svd(centred, full_matrices=False)
    held = np.cumsum(singular**2) / np.sum(singular**2)
    dimensions = int(np.searchsorted(held, VISITED_VARIANCE - 1e-12)) + 1
    return right[:dimensions].T


@dataclass(frozen=True, eq=False)
class LearnedDirection:
    """A unit direction fitted to make the 1-D swap work (distributed alignment search, one dimension)."""

    direction: np.ndarray  # (H,)
    training: InterchangeSample  # disjoint from the table's sample (no (base, source) pair in both)
    training_iia: float
    loss_by_step: np.ndarray  # (DAS_STEPS,)
    outside_span_share: float  # |v − P v| / |v| with P the projection on the visited span
    visited_dimensions: int


def _gradient(weights: RNNWeights, prepared: PreparedSample, direction: np.ndarray) -> tuple[float, np.ndarray]:
    """Cross-entropy of the patched run's later bits against the prediction, and its gradient in ``direction``.

    ``h' = h + v vᵀ d`` (d = h_src − h) feeds the next step; back-propagation through the steps after t is the
    derivative of :func:`explainer.model.network.forward`: ``∂h_k/∂pre_k = h_k (1 − h_k)``.
    """
    recurrent = weights.recurrent_weights  # (H, H)
    readout = weights.output_weights[:, 0]  # (H,)
    total_bits = sum(expected.size for expected in prepared.expected)
    loss, gradient = 0.0, np.zeros_like(direction)
    for t, expected in enumerate(prepared.expected):
        base_state, source_state = prepared.base_hidden[:, t], prepared.source_hidden[:, t]
        difference = source_state - base_state  # (N, H)
        along = difference @ direction  # (N,)
        run = run_on(weights, prepared.inputs, t, base_state + along[:, None] * direction)
        probability = np.clip(run.output_probability, 1e-12, 1 - 1e-12)  # (N, L)
        loss -= float(np.where(expected == 1, np.log(probability), np.log(1 - probability)).sum())
        logit_gradient = (run.output_probability - expected) / total_bits  # (N, L)  ∂loss/∂z_k
        carried = np.zeros_like(base_state)  # ∂loss/∂h_k arriving from step k + 1
        for step in range(expected.shape[1] - 1, -1, -1):
            hidden = run.hidden[:, step]
            state_gradient = logit_gradient[:, step, None] * readout + carried
            carried = (state_gradient * hidden * (1 - hidden)) @ recurrent.T
        patched_gradient = carried  # ∂loss/∂h'
        gradient += patched_gradient.T @ along + difference.T @ (patched_gradient @ direction)
    return loss / total_bits, gradient


def learn_direction(weights: RNNWeights, training: InterchangeSample, seed: int = INTERCHANGE_SEED) -> LearnedDirection:
    """Fit a unit direction by gradient descent (Adam) on the training triples; see :class:`LearnedDirection`."""
    prepared = prepare_sample(weights, training)
    generator = np.random.default_rng(seed)
    raw = generator.normal(size=weights.hidden_units)
    first, second = np.zeros_like(raw), np.zeros_like(raw)
    losses = np.empty(DAS_STEPS)
    for step in range(DAS_STEPS):
        norm = np.linalg.norm(raw)
        direction = raw / norm
        losses[step], gradient = _gradient(weights, prepared, direction)
        raw_gradient = (gradient - direction * (direction @ gradient)) / norm  # through v = u / |u|
        first = 0.9 * first + 0.1 * raw_gradient
        second = 0.999 * second + 0.001 * raw_gradient**2
        corrected = first / (1 - 0.9 ** (step + 1)), second / (1 - 0.999 ** (step + 1))
        raw = raw - DAS_LEARNING_RATE * norm * corrected[0] / (np.sqrt(corrected[1]) + 1e-8)
    direction = raw / np.linalg.norm(raw)
    span = visited_span(weights)
    outside = direction - span @ (span.T @ direction)
    training_success = transplant_successes(weights, prepared, [direction[:, None]])[0]
    return LearnedDirection(
        direction=read_only(direction),
        training=training,
        training_iia=float(training_success.mean()),
        loss_by_step=read_only(losses),
        outside_span_share=float(np.linalg.norm(outside)),
        visited_dimensions=int(span.shape[1]),
    )


@dataclass(frozen=True, eq=False)
class InterchangeTable:
    """Every alignment's IIA on one sample, the random floor, and the learned direction's illusion check."""

    population: str
    sample: InterchangeSample
    rows: tuple[AlignmentIIA, ...]  # whole state, carry units, probe direction, learned, its in-span part, units
    random: tuple[AlignmentIIA, ...]  # RANDOM_DIRECTIONS random unit directions
    learned: LearnedDirection
    carry_units: tuple[int, ...]
    share_carries_differ: float

    def row(self, name: str) -> AlignmentIIA:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(name)

    @property
    def random_floor(self) -> tuple[float, float, float, float]:
        """IIA over the random directions: (mean, standard deviation, lowest, highest)."""
        values = np.array([row.iia for row in self.random])
        return float(values.mean()), float(values.std()), float(values.min()), float(values.max())

    @property
    def random_floor_where_carries_differ(self) -> tuple[float, float]:
        values = np.array([row.iia_where_carries_differ for row in self.random])
        return float(values.mean()), float(values.std())

    @property
    def random_by_column(self) -> np.ndarray:
        """(C,) mean IIA by column over the random directions."""
        return np.mean([row.iia_by_column for row in self.random], axis=0)


WHOLE_STATE = "whole state"
CARRY_UNITS = "carry units together"
PROBE_DIRECTION = "probe's direction"
LEARNED_DIRECTION = "learned direction"
LEARNED_IN_SPAN = "learned direction, in-span part"


def interchange_table(
    weights: RNNWeights, pairs: int = INTERCHANGE_PAIRS, seed: int = INTERCHANGE_SEED
) -> InterchangeTable:
    """Every alignment's IIA for ``weights`` on ``pairs`` sampled (base, source) pairs × every column (cached)."""
    return _interchange_table(weights, pairs, seed)


@byte_cache(16 * 2**20)  # a table is ~0.08 MB at H = 16
def _interchange_table(weights: RNNWeights, pairs: int, seed: int) -> InterchangeTable:
    sample = interchange_sample(pairs, seed)
    training = interchange_sample(DAS_PAIRS, seed + 1, exclude=sample)
    probe = carry_probe(weights)
    units = weights.hidden_units
    learned = learn_direction(weights, training, seed)
    span = visited_span(weights)
    in_span = span @ (span.T @ learned.direction)
    named: list[tuple[str, str, np.ndarray]] = [(WHOLE_STATE, "state", np.eye(units))]
    if probe.top_carry_units:
        named.append((CARRY_UNITS, "units", unit_basis(units, probe.top_carry_units)))
    if np.linalg.norm(probe.coefficients) > 0:
        named.append((PROBE_DIRECTION, "direction", direction_basis(probe.coefficients)))
    named.append((LEARNED_DIRECTION, "direction", learned.direction[:, None]))
    if np.linalg.norm(in_span) > 1e-12:
        named.append((LEARNED_IN_SPAN, "direction", direction_basis(in_span)))
    named += [(f"unit {unit}", "unit", unit_basis(units, [unit])) for unit in range(units)]
    generator = np.random.default_rng(seed + 2)
    random = [
        (f"random direction {index + 1}", "random", direction_basis(generator.normal(size=units)))
        for index in range(RANDOM_DIRECTIONS)
    ]
    every = interchange_accuracy(weights, sample, named + random)
    rows, random_rows = every[: len(named)], every[len(named) :]
    return InterchangeTable(
        population=sample.describe(),
        sample=sample,
        rows=rows,
        random=random_rows,
        learned=learned,
        carry_units=probe.top_carry_units,
        share_carries_differ=float(carries_differ(sample).mean()),
    )


# --------------------------------------------------------------------------------------------------
# Words that follow the numbers: "uses" only where the transplant moved the carry.
# --------------------------------------------------------------------------------------------------

# Where carries differ, a transplant that moved the carry in at least this share licenses "uses the carry there".
USES_THRESHOLD = 0.95


def alignment_label(row: AlignmentIIA, table: InterchangeTable) -> str:
    """What was transplanted, in words: "carry units 3, 10, 7, 11 together", "unit 5", …"""
    if row.name == CARRY_UNITS:
        listed = ", ".join(str(unit) for unit in table.carry_units)
        return f"carry unit {listed}" if len(table.carry_units) == 1 else f"carry units {listed} together"
    if row.name == WHOLE_STATE:
        return "the whole state h_t"
    if row.name == LEARNED_DIRECTION:
        return "the learned direction"
    if row.name == LEARNED_IN_SPAN:
        return "the learned direction's in-span part"
    if row.name == PROBE_DIRECTION:
        return "the probe's direction"
    return row.name


def alignment_sentence(row: AlignmentIIA, table: InterchangeTable) -> str:
    """One sentence saying what this row shows, its strength set by the numbers."""
    what = alignment_label(row, table)
    differ, overall = row.iia_where_carries_differ, row.iia
    floor, spread = table.random_floor_where_carries_differ
    measured = (
        f"Transplanting {what} moved the carry in {differ:.1%} of the interventions where base and source carry "
        f"differ ({overall:.1%} of all)"
    )
    if differ >= USES_THRESHOLD:
        verdict = ": the network uses the carry held there."
    elif differ <= floor + 2 * spread:
        verdict = f", no more than random directions ({floor:.1%}): the network does not take its carry from there."
    else:
        verdict = ": part of what the network uses as the carry is there, not all of it."
    reading = ""
    if np.isfinite(row.probe_reading):
        contrast = " (reading is not using)" if row.probe_reading >= 0.99 and differ < USES_THRESHOLD else ""
        reading = f" A probe reads the carry from it with {row.probe_reading:.1%} accuracy{contrast}."
    return measured + verdict + reading


def illusion_sentence(table: InterchangeTable) -> str:
    """The illusion check for the learned direction: how much of it lies where the network never goes."""
    learned = table.learned
    names = {row.name for row in table.rows}
    sentence = (
        f"The learned direction was fitted on {plural(learned.training.triples, 'other intervention')} (training "
        f"IIA {learned.training_iia:.1%}) and is scored here on held-out ones. {learned.outside_span_share:.0%} of "
        f"its length lies outside the {plural(learned.visited_dimensions, 'direction')} that "
        f"{'holds' if learned.visited_dimensions == 1 else 'hold'} {VISITED_VARIANCE:.0%} of the variance of the "
        "states the network visits"
    )
    if LEARNED_IN_SPAN in names:
        in_span = table.row(LEARNED_IN_SPAN)
        sentence += (
            f"; patching along its in-span part alone moves the carry in {in_span.iia_where_carries_differ:.1%} "
            "of the interventions where carries differ"
        )
    return sentence + "."
