"""Interchange interventions: transplant part of the hidden state from another sum and see whether the carry moves.

A probe *reads* the carry from ``h_t``; that does not show the network *uses* what the probe reads. The
interchange intervention (Geiger et al.; pyvene's "interchange intervention accuracy", IIA) does: run a
*base* pair, and at column t replace part of ``h_t`` by the same part of a *source* pair's ``h_t``, then run
on. If that part holds the carry the network uses, every later column is written as written addition says
it should be with the **source's carry out of column t** and the base's own bits; columns up to t are the
base's (``h_t`` is replaced after it has written column t's bit, so only the state carried forward changes).

Which part is replaced is an *alignment*, given as an orthonormal basis ``B`` (H, k) of a subspace:
``h ← h + (h_src − h) B Bᵀ``. The whole state is ``B = I``; a set of units is their columns of ``I``; a unit
direction ``v`` is ``B = v`` (``h ← h + v vᵀ(h_src − h)``). :func:`interchange_table` puts them side by side:
the whole state, each unit, the carry units the probe names, together, the probe's direction, a direction *learned*
to make the swap work (distributed alignment search with one dimension, fitted on training triples and
scored on held-out ones) and random directions as the floor, each beside what a probe restricted to the
same subspace reads. The illusion check (Makelov et al., 2024) asks how much of the learned direction lies
outside the span of the states the network visits, and what patching only its in-span part gives.

Population: base and source pairs drawn uniformly and independently from all pairs with 7-bit operands
(a, b < 128, 8 columns), every column t = 0–6 (after column 7 nothing is left to write). The sample is
stated in :attr:`InterchangeTable.population`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from explainer.analysis.exhaustive import exhaustive_states
from explainer.analysis.probe import carry_probe, readout_accuracy
from explainer.model.encoding import (
    TRAINING_OPERAND_BITS,
    add_column,
    ints_to_bits,
    timesteps_for_operand_bits,
    timesteps_for_sum_bits,
)
from explainer.model.network import RNNWeights, forward, read_only

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


@dataclass(frozen=True, eq=False)
class InterchangeSample:
    """(base, source) pairs; every column t = 0 … T − 2 of each is one intervention (a triple)."""

    base_a: np.ndarray  # (N,) int64
    base_b: np.ndarray  # (N,) int64
    source_a: np.ndarray  # (N,) int64
    source_b: np.ndarray  # (N,) int64
    operand_bits: int

    @property
    def pairs(self) -> int:
        return int(self.base_a.size)

    @property
    def timesteps(self) -> int:
        return timesteps_for_operand_bits(self.operand_bits)

    @property
    def columns(self) -> range:
        """The columns t a state is transplanted at: every one that leaves a later bit to write."""
        return range(self.timesteps - 1)

    @property
    def triples(self) -> int:
        return self.pairs * len(self.columns)

    def describe(self) -> str:
        side = 2**self.operand_bits
        return (
            f"{self.pairs:,} (base, source) pairs drawn uniformly from all {side * side:,} pairs with a, b < {side} "
            f"({self.timesteps} columns), each transplanted at every column t = 0–{self.columns[-1]}: "
            f"{self.triples:,} interventions"
        )


def interchange_sample(
    pairs: int,
    seed: int,
    operand_bits: int = TRAINING_OPERAND_BITS,
    exclude: InterchangeSample | None = None,
) -> InterchangeSample:
    """``pairs`` (base, source) pairs drawn uniformly with ``seed``; none equal to a pair of ``exclude``."""
    if isinstance(pairs, bool) or not isinstance(pairs, int) or pairs < 1:
        raise ValueError(f"pairs must be a positive int; got {pairs!r}.")
    side = 2**operand_bits
    generator = np.random.default_rng(seed)
    draws = generator.integers(0, side, size=(4, pairs), dtype=np.int64)  # base a, base b, source a, source b
    if exclude is not None:
        code = _pair_code(*draws, side)
        taken = _pair_code(exclude.base_a, exclude.base_b, exclude.source_a, exclude.source_b, side)
        while np.isin(code, taken).any():
            clash = np.isin(code, taken)
            draws[:, clash] = generator.integers(0, side, size=(4, int(clash.sum())), dtype=np.int64)
            code = _pair_code(*draws, side)
    return InterchangeSample(*(read_only(row) for row in draws), operand_bits=operand_bits)


def _pair_code(base_a, base_b, source_a, source_b, side: int) -> np.ndarray:
    """One integer per (base, source) pair, so two samples can be checked for overlap."""
    return ((base_a * side + base_b) * side + source_a) * side + source_b


def carries_out(input_bits: np.ndarray) -> np.ndarray:
    """(N, T) the true carry out of every column of LSB-first ``input_bits`` (N, T, 2), by the carry rule."""
    carry = np.zeros(input_bits.shape[0], dtype=np.int64)
    out = np.empty(input_bits.shape[:2], dtype=np.int8)
    for step in range(input_bits.shape[1]):
        _, carry = add_column(input_bits[:, step, 0].astype(np.int64), input_bits[:, step, 1].astype(np.int64), carry)
        out[:, step] = carry
    return out


def expected_bits(base_bits: np.ndarray, carry_in: np.ndarray, column: int) -> np.ndarray:
    """(N, T − column − 1) what written addition writes after ``column``: the base's bits (N, T, 2), ``carry_in`` (N,).

    The interchange prediction: the columns after t computed from the base's bits with the source's carry out
    of column t arriving at column t + 1.
    """
    carry = np.asarray(carry_in, dtype=np.int64)
    bits = np.empty((base_bits.shape[0], base_bits.shape[1] - column - 1), dtype=np.int8)
    for offset, step in enumerate(range(column + 1, base_bits.shape[1])):
        bits[:, offset], carry = add_column(
            base_bits[:, step, 0].astype(np.int64), base_bits[:, step, 1].astype(np.int64), carry
        )
    return bits


def patch(base_state: np.ndarray, source_state: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """``h + (h_src − h) B Bᵀ``: the base state ``(…, H)`` with its part in span(B) (B: (H, k)) from the source."""
    return base_state + ((source_state - base_state) @ basis) @ basis.T


def run_on(weights: RNNWeights, inputs: np.ndarray, column: int, state: np.ndarray):
    """The network from ``state`` (N, H) in place of ``h_column``, over the later columns of ``inputs`` (N, T, 2).

    Returns the :class:`~explainer.model.network.ForwardPass` of columns ``column + 1 … T − 1``.
    """
    return forward(weights, inputs[:, column + 1 :], initial_state=state)


def unit_basis(hidden_units: int, units) -> np.ndarray:
    """(H, k) the columns of the identity for ``units``: patching them copies exactly those units."""
    return np.eye(hidden_units)[:, sorted(int(unit) for unit in units)]


def direction_basis(direction: np.ndarray) -> np.ndarray:
    """(H, 1) a direction scaled to unit length."""
    direction = np.asarray(direction, dtype=np.float64)
    norm = float(np.linalg.norm(direction))
    if not np.isfinite(norm) or norm == 0:
        raise ValueError("a direction must be a non-zero, finite vector.")
    return (direction / norm)[:, None]


@dataclass(frozen=True)
class _Prepared:
    """The plain runs of a sample, and what written addition predicts for each transplant."""

    inputs: np.ndarray  # (N, T, 2) base bits
    base_hidden: np.ndarray  # (N, T, H)
    source_hidden: np.ndarray  # (N, T, H)
    expected: tuple[np.ndarray, ...]  # per column t: (N, T − t − 1)
    carries_differ: np.ndarray  # (C, N) base and source carry out of column t differ


def sample_bits(sample: InterchangeSample) -> tuple[np.ndarray, np.ndarray]:
    """The base's and the source's LSB-first input bits, each (N, T, 2) int8."""
    base = np.stack([ints_to_bits(sample.base_a, sample.timesteps), ints_to_bits(sample.base_b, sample.timesteps)], -1)
    source = np.stack(
        [ints_to_bits(sample.source_a, sample.timesteps), ints_to_bits(sample.source_b, sample.timesteps)], -1
    )
    return base, source


def carries_differ(sample: InterchangeSample) -> np.ndarray:
    """(C, N) whether base and source carry out of column t differ: the triples where a transplant must change bits."""
    base, source = sample_bits(sample)
    return (carries_out(base) != carries_out(source)).T[: len(sample.columns)]


def _prepare(weights: RNNWeights, sample: InterchangeSample) -> _Prepared:
    base_bits, source_bits = sample_bits(sample)  # (N, T, 2) each
    both = forward(weights, np.concatenate([base_bits, source_bits])).hidden  # (2N, T, H)
    source_carry = carries_out(source_bits)  # (N, T)
    expected = tuple(expected_bits(base_bits, source_carry[:, t], t) for t in sample.columns)
    inputs = base_bits.astype(np.float64)
    return _Prepared(inputs, both[: sample.pairs], both[sample.pairs :], expected, carries_differ(sample))


def _successes(weights: RNNWeights, prepared: _Prepared, bases: list[np.ndarray]) -> np.ndarray:
    """(A, C, N) did every later bit match, for each alignment basis, column and pair?

    All alignments of one column run as one batch, a column at a time, and a run leaves the batch at its first
    wrong bit: a carry that did not move shows at once (column t + 1's bit depends on it), so about half the runs
    stop after one step instead of running to the end.
    """
    count, timesteps, _ = prepared.inputs.shape
    columns = timesteps - 1
    success = np.zeros((len(bases), columns, count), dtype=bool)
    for t in range(columns):
        base_state, source_state = prepared.base_hidden[:, t], prepared.source_hidden[:, t]
        states = np.concatenate([patch(base_state, source_state, basis) for basis in bases])  # (A·N, H)
        alive = np.arange(len(bases) * count)  # runs whose bits so far all matched
        for step in range(t + 1, timesteps):
            pair = alive % count
            run = forward(weights, prepared.inputs[pair, step : step + 1], initial_state=states)
            right = (run.output_probability[:, 0] >= 0.5) == prepared.expected[t][pair, step - t - 1]
            alive, states = alive[right], run.hidden[right, 0]
        success[:, t].flat[alive] = True
    return success


@dataclass(frozen=True, eq=False)
class AlignmentIIA:
    """One alignment's interchange intervention accuracy, beside what a probe on the same subspace reads."""

    name: str
    kind: str  # "state", "units", "unit", "direction"
    basis: np.ndarray  # (H, k)
    iia: float  # share of triples whose every later bit matched
    iia_where_carries_differ: float  # the same, over triples whose base and source carry out of t differ
    iia_where_carries_agree: float
    iia_by_column: np.ndarray  # (C,)
    probe_reading: float  # accuracy of a linear read-out of the carry from this subspace, on all visited states
    outside_span_share: float  # for a direction: the length of its part outside the visited span (NaN otherwise)


def _iia(name, kind, basis, success, differ, reading, outside) -> AlignmentIIA:
    return AlignmentIIA(
        name=name,
        kind=kind,
        basis=read_only(basis),
        iia=float(success.mean()),
        iia_where_carries_differ=float(success[differ].mean()) if differ.any() else float("nan"),
        iia_where_carries_agree=float(success[~differ].mean()) if (~differ).any() else float("nan"),
        iia_by_column=read_only(success.mean(axis=1)),
        probe_reading=reading,
        outside_span_share=outside,
    )


def interchange_accuracy(
    weights: RNNWeights, sample: InterchangeSample, alignments: list[tuple[str, str, np.ndarray]]
) -> tuple[AlignmentIIA, ...]:
    """IIA of each ``(name, kind, basis)`` alignment on every triple of ``sample``, beside the probe's reading.

    All alignments run in one batch per column. Kind "random" (the floor's directions) gets no probe reading.
    """
    prepared = _prepare(weights, sample)
    success = _successes(weights, prepared, [basis for *_, basis in alignments])
    span = visited_span(weights)
    rows = []
    for index, (name, kind, basis) in enumerate(alignments):
        reading = _probe_reading(weights, basis) if kind != "random" else float("nan")
        outside = float(np.linalg.norm(basis - span @ (span.T @ basis))) if basis.shape[1] == 1 else float("nan")
        rows.append(_iia(name, kind, basis, success[index], prepared.carries_differ, reading, outside))
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


def _gradient(weights: RNNWeights, prepared: _Prepared, direction: np.ndarray) -> tuple[float, np.ndarray]:
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
    prepared = _prepare(weights, training)
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
    training_success = _successes(weights, prepared, [direction[:, None]])[0]
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


@lru_cache(maxsize=8)
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
        return f"carry units {', '.join(str(unit) for unit in table.carry_units)} together"
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
        f"The learned direction was fitted on {learned.training.triples:,} other interventions (training IIA "
        f"{learned.training_iia:.1%}) and is scored here on held-out ones. {learned.outside_span_share:.0%} of its "
        f"length lies outside the {learned.visited_dimensions} directions that hold {VISITED_VARIANCE:.0%} of the "
        "variance of the states the network visits"
    )
    if LEARNED_IN_SPAN in names:
        in_span = table.row(LEARNED_IN_SPAN)
        sentence += (
            f"; patching along its in-span part alone moves the carry in {in_span.iia_where_carries_differ:.1%} "
            "of the interventions where carries differ"
        )
    return sentence + "."


# --------------------------------------------------------------------------------------------------
# One pair: transplant the carry at one column.
# --------------------------------------------------------------------------------------------------


def flipped_carry_source(a: int, b: int, column: int) -> tuple[int, int]:
    """The pair that agrees with ``a + b`` in every column but ``column``, where it carries the other way.

    Column t's bits become 1 + 1 (carry out 1 whatever comes in) where ``a + b`` carries 0 out of it, and 0 + 0
    (carry out 0) where it carries 1: the smallest change that flips the carry leaving column t.
    """
    bit = 1 << column
    carries = ((a + b) ^ a ^ b) >> 1  # bit t: the carry out of column t (the carry into t + 1, by the carry rule)
    if (carries >> column) & 1:
        return a & ~bit, b & ~bit
    return a | bit, b | bit


@dataclass(frozen=True, eq=False)
class PairTransplant:
    """One base pair with part of one source pair's ``h_column`` transplanted, against the plain run."""

    a: int
    b: int
    source_a: int
    source_b: int
    column: int
    plain_bits: np.ndarray  # (T,) the network's bits for a + b
    patched_bits: np.ndarray  # (T,) the same run with the transplant (columns ≤ t are the plain run's)
    expected_bits: np.ndarray  # (T,) written addition: a + b's bits up to t, then with the source's carry
    plain_hidden: np.ndarray  # (T, H)
    patched_hidden: np.ndarray  # (T, H) h_t is the transplanted state; before it, the plain run's
    source_carry: int  # the source's carry out of column t
    base_carry: int  # the base's carry out of column t

    @property
    def matches(self) -> np.ndarray:
        """(T,) whether each patched bit is the one written addition predicts."""
        return self.patched_bits == self.expected_bits

    @property
    def moved(self) -> bool:
        """Did every later bit follow the prediction?"""
        return bool(self.matches[self.column + 1 :].all())


def transplant_pair(
    weights: RNNWeights, a: int, b: int, column: int, basis: np.ndarray, source: tuple[int, int] | None = None
) -> PairTransplant:
    """Run ``a + b`` with span(basis) of ``h_column`` taken from ``source`` (default: :func:`flipped_carry_source`).

    Both pairs run over ``T = max(8, bits of either sum)`` columns; ``column`` must leave a later column to write.
    """
    source_a, source_b = source if source is not None else flipped_carry_source(a, b, column)
    timesteps = timesteps_for_sum_bits(max((a + b).bit_length(), (source_a + source_b).bit_length()))
    if not 0 <= column < timesteps - 1:
        raise ValueError(f"column must be 0–{timesteps - 2} for these pairs; got {column}.")
    base_bits = np.stack([ints_to_bits([a], timesteps), ints_to_bits([b], timesteps)], -1)  # (1, T, 2)
    source_bits = np.stack([ints_to_bits([source_a], timesteps), ints_to_bits([source_b], timesteps)], -1)
    plain = forward(weights, base_bits)
    source_hidden = forward(weights, source_bits).hidden
    state = patch(plain.hidden[:, column], source_hidden[:, column], basis)
    rest = run_on(weights, base_bits.astype(np.float64), column, state)
    plain_bits = (plain.output_probability[0] >= 0.5).astype(np.int8)
    patched_bits = plain_bits.copy()
    patched_bits[column + 1 :] = rest.output_probability[0] >= 0.5
    patched_hidden = plain.hidden[0].copy()
    patched_hidden[column] = state[0]
    patched_hidden[column + 1 :] = rest.hidden[0]
    source_carry = int(carries_out(source_bits)[0, column])
    expected = ints_to_bits([a + b], timesteps)[0]
    expected[column + 1 :] = expected_bits(base_bits, np.array([source_carry]), column)[0]
    return PairTransplant(
        a=a,
        b=b,
        source_a=int(source_a),
        source_b=int(source_b),
        column=column,
        plain_bits=read_only(plain_bits),
        patched_bits=read_only(patched_bits),
        expected_bits=read_only(expected),
        plain_hidden=read_only(plain.hidden[0]),
        patched_hidden=read_only(patched_hidden),
        source_carry=source_carry,
        base_carry=int(carries_out(base_bits)[0, column]),
    )
