"""Interchange interventions: transplant part of the hidden state from another sum and see whether the carry moves.

A probe *reads* the carry from ``h_t``; that does not show the network *uses* what the probe reads. The
interchange intervention (Geiger et al.; pyvene's "interchange intervention accuracy", IIA) does: run a
*base* pair, and at column t replace part of ``h_t`` by the same part of a *source* pair's ``h_t``, then run
on. If that part holds the carry the network uses, every later column is written as written addition says
it should be with the **source's carry out of column t** and the base's own bits; columns up to t are the
base's (``h_t`` is replaced after it has written column t's bit, so only the state carried forward changes).

Which part is replaced is an *alignment*, given as an orthonormal basis ``B`` (H, k) of a subspace:
``h ← h + (h_src − h) B Bᵀ``. The whole state is ``B = I``; a set of units is their columns of ``I``; a unit
direction ``v`` is ``B = v`` (``h ← h + v vᵀ(h_src − h)``).

This module holds the sample of (base, source) pairs, the intervention, the IIA of each alignment, and the
transplant into one pair. Which alignments are compared, the direction learned to make the swap work, the
visited span and the words for the page are :mod:`explainer.analysis.alignment_search`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.model.encoding import (
    TRAINING_OPERAND_BITS,
    add_column,
    ints_to_bits,
    timesteps_for_operand_bits,
    timesteps_for_sum_bits,
)
from explainer.model.network import RNNWeights, forward, read_only
from explainer.model.trace import carries
from explainer.wording import plural


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
            f"{plural(self.pairs, '(base, source) pair')} drawn uniformly from all {side * side:,} pairs with "
            f"a, b < {side} ({plural(self.timesteps, 'column')}), each transplanted at every column "
            f"t = 0–{self.columns[-1]}: {plural(self.triples, 'intervention')}"
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
class PreparedSample:
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
    return (carries(base)[1] != carries(source)[1]).T[: len(sample.columns)]


def prepare_sample(weights: RNNWeights, sample: InterchangeSample) -> PreparedSample:
    """Run every base and source pair of ``sample`` once, and predict each transplant's later bits."""
    base_bits, source_bits = sample_bits(sample)  # (N, T, 2) each
    both = forward(weights, np.concatenate([base_bits, source_bits])).hidden  # (2N, T, H)
    _, source_carry = carries(source_bits)  # (N, T)
    expected = tuple(expected_bits(base_bits, source_carry[:, t], t) for t in sample.columns)
    inputs = base_bits.astype(np.float64)
    return PreparedSample(inputs, both[: sample.pairs], both[sample.pairs :], expected, carries_differ(sample))


def transplant_successes(weights: RNNWeights, prepared: PreparedSample, bases: list[np.ndarray]) -> np.ndarray:
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


def alignment_iia(name, kind, basis, success, differ, reading, outside) -> AlignmentIIA:
    """An :class:`AlignmentIIA` from ``success`` (C, N) of :func:`transplant_successes` and ``differ`` (C, N)."""
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


# One pair: transplant the carry at one column.
# --------------------------------------------------------------------------------------------------


def flipped_carry_source(a: int, b: int, column: int) -> tuple[int, int]:
    """The pair that agrees with ``a + b`` in every column but ``column``, where it carries the other way.

    Column t's bits become 1 + 1 (carry out 1 whatever comes in) where ``a + b`` carries 0 out of it, and 0 + 0
    (carry out 0) where it carries 1: the smallest change that flips the carry leaving column t.
    """
    bit = 1 << column
    columns = max(column + 1, a.bit_length(), b.bit_length())
    _, carry_out = carries(np.stack([ints_to_bits([a], columns)[0], ints_to_bits([b], columns)[0]], -1))  # (T,)
    if carry_out[column]:
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
    weights: RNNWeights,
    a: int,
    b: int,
    column: int,
    basis: np.ndarray,
    source: tuple[int, int] | None = None,
    timesteps: int | None = None,
) -> PairTransplant:
    """Run ``a + b`` with span(basis) of ``h_column`` taken from ``source`` (default: :func:`flipped_carry_source`).

    Both pairs run over ``T = max(timesteps, 8, bits of either sum)`` columns (``timesteps``: the page's column
    count, when it gives the pair more than it needs); ``column`` must leave a later column to write.
    """
    source_a, source_b = source if source is not None else flipped_carry_source(a, b, column)
    needed = timesteps_for_sum_bits(max((a + b).bit_length(), (source_a + source_b).bit_length()))
    timesteps = max(needed, timesteps or 0)
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
    source_carry = int(carries(source_bits)[1][0, column])
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
        base_carry=int(carries(base_bits)[1][0, column]),
    )
