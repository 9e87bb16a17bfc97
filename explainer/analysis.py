"""What did the network learn? Probes, projections, an extracted state machine, ablations, and checks.

Every analysis here runs over *all* pairs (16,384 with 7-bit operands, 65,536 with 8-bit operands) and is
cached per network: :class:`~explainer.network.RNNWeights` hash by a fingerprint of their values, and a
hidden-unit override is turned into a hashable tuple (:func:`override_key`) before it keys a cache.
Cached results are frozen dataclasses holding read-only arrays, so one result can serve every session.

All of it rests on one observation: the network is deterministic, so two pairs whose first t columns
agree have the same ``h_0 … h_t``. The exhaustive sets are therefore computed on a *prefix tree*: each
distinct prefix of input columns is run once and weighted by the number of pairs that share it
(:func:`exhaustive_states`). That is exactly equivalent to running every pair (the tests check it against
:func:`explainer.evaluation.evaluate`) and about four times cheaper, which is what keeps each analysis
under a second.

Input columns are coded as one symbol ``2·a_t + b_t`` (0: 0+0, 1: 0+1, 2: 1+0, 3: 1+1), as in
:data:`INPUT_SYMBOLS`.
"""

from __future__ import annotations

import random
import re
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from explainer.encoding import MAX_OPERAND, MIN_TIMESTEPS, TRAINING_OPERAND_BITS
from explainer.network import RNNWeights, activate, forward, read_only, sigmoid
from explainer.trace import AdditionTrace

# (bit of a, bit of b) for each input symbol 2·a + b.
INPUT_SYMBOLS: tuple[tuple[int, int], ...] = ((0, 0), (0, 1), (1, 0), (1, 1))
# Exhaustive sets are kept to 8-bit operands: 4**8 = 65,536 pairs is the largest the page grids.
MAX_EXHAUSTIVE_OPERAND_BITS = 8
# The length view's default: from the training length to the page's 64-bit limit.
DEFAULT_LENGTHS: tuple[int, ...] = tuple(range(8, 65, 4))
# Above this the scatter only gets slower to send, not more informative.
MAX_STATE_SPACE_POINTS = 4000
# Pair-steps k-means is fitted on when extracting the machine: enough to find every kind of state the
# network visits (the rarest, the first column, is 1/8 of all steps), few enough to sweep k in well under 1 s.
KMEANS_SAMPLE = 4000

HiddenOverride = tuple[np.ndarray, np.ndarray]
OverrideKey = tuple[tuple[int, float], ...] | None


# --------------------------------------------------------------------------------------------------
# Ablation: which hidden units are overridden, in forms for the network, for caches, and for URLs.
# --------------------------------------------------------------------------------------------------


def ablation_override(
    hidden_units: int, zeroed: set[int] | frozenset[int] | tuple[int, ...] = (), clamped: dict[int, float] | None = None
) -> HiddenOverride | None:
    """The ``hidden_override = (mask (H,) bool, values (H,) float)`` that :func:`explainer.forward` takes.

    ``zeroed`` units are held at 0 and ``clamped`` units at the given value in [0, 1] (a sigmoid unit's
    range) at every timestep. Returns ``None`` when nothing is ablated, so callers can pass it straight on.
    """
    clamped = dict(clamped or {})
    if isinstance(hidden_units, bool) or not isinstance(hidden_units, int) or hidden_units < 1:
        raise ValueError(f"hidden_units must be a positive int; got {hidden_units!r}.")
    for unit in [*zeroed, *clamped]:
        if isinstance(unit, bool) or not isinstance(unit, int | np.integer) or not 0 <= unit < hidden_units:
            raise ValueError(f"unit {unit!r} does not exist: this network has units 0–{hidden_units - 1}.")
    both = sorted(set(zeroed) & set(clamped))
    if both:
        raise ValueError(f"unit(s) {both} are both zeroed and clamped; pick one for each unit.")
    for unit, value in clamped.items():
        if not isinstance(value, int | float | np.floating | np.integer) or not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"unit {unit} is clamped to {value!r}; a sigmoid unit's value must be in [0, 1].")
    if not zeroed and not clamped:
        return None
    mask = np.zeros(hidden_units, dtype=bool)
    values = np.zeros(hidden_units, dtype=np.float64)
    for unit in zeroed:
        mask[int(unit)] = True
    for unit, value in clamped.items():
        mask[int(unit)] = True
        values[int(unit)] = float(value)
    return mask, values


def override_key(hidden_override: HiddenOverride | None) -> OverrideKey:
    """A hashable form of a hidden override, ``((unit, value), …)`` sorted by unit, or ``None``."""
    if hidden_override is None:
        return None
    mask, values = (np.asarray(part) for part in hidden_override)
    if mask.ndim != 1 or mask.shape != values.shape:
        raise ValueError(f"hidden_override must be (mask (H,), values (H,)); got shapes {mask.shape}, {values.shape}.")
    units = np.flatnonzero(mask.astype(bool))
    if units.size == 0:
        return None
    return tuple((int(unit), float(values[unit])) for unit in units)


def override_from_key(key: OverrideKey, hidden_units: int) -> HiddenOverride | None:
    """Inverse of :func:`override_key` for a network with ``hidden_units`` units."""
    if key is None:
        return None
    mask = np.zeros(hidden_units, dtype=bool)
    values = np.zeros(hidden_units, dtype=np.float64)
    for unit, value in key:
        if not 0 <= unit < hidden_units:
            raise ValueError(f"the override names unit {unit}, but this network has units 0–{hidden_units - 1}.")
        mask[unit] = True
        values[unit] = value
    return mask, values


# A clamp value as format_ablation_query writes it (``{value:g}``): ASCII digits, an optional point and exponent.
_CLAMP_VALUE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_UNIT_DIGITS = 3  # units are 0–63; a longer number is refused before int() (which refuses 4,300+ digits itself)


def _shown(text: str) -> str:
    """A piece of a link as quoted in a message: a 5,000-character piece is not repeated back in full."""
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _unit_number(piece: str) -> int | None:
    """``piece`` as a unit number if it is 1–3 ASCII digits, else ``None`` (Python's int() takes ``٣``)."""
    return int(piece) if piece.isascii() and piece.isdigit() and len(piece) <= _UNIT_DIGITS else None


def parse_ablation_query(ablate: str, clamp: str, hidden_units: int) -> tuple[frozenset[int], dict[int, float]]:
    """Read ablations from URL query values: ``ablate="3,7"`` (units to zero), ``clamp="5:0.9,2:0.1"``.

    Returns ``(zeroed, clamped)``. Raises ``ValueError`` naming the bad piece, so a page can warn and fall
    back to no ablation: anything but ASCII digits, a unit clamped twice, a value that is not a plain
    number. The result is also validated by :func:`ablation_override`.
    """
    zeroed: set[int] = set()
    clamped: dict[int, float] = {}
    for piece in filter(None, (part.strip() for part in (ablate or "").split(","))):
        unit = _unit_number(piece)
        if unit is None:
            raise ValueError(f"ablate={_shown(ablate)}: {_shown(piece)} is not a unit number; write e.g. ablate=3,7.")
        zeroed.add(unit)
    for piece in filter(None, (part.strip() for part in (clamp or "").split(","))):
        unit_text, separator, value_text = piece.partition(":")
        unit = _unit_number(unit_text.strip())
        if not separator or unit is None:
            raise ValueError(f"clamp={_shown(clamp)}: {_shown(piece)} is not unit:value; write e.g. clamp=5:0.9.")
        if not _CLAMP_VALUE.fullmatch(value_text.strip()) or not np.isfinite(float(value_text)):
            raise ValueError(f"clamp={_shown(clamp)}: {_shown(value_text)} is not a number between 0 and 1.")
        if unit in clamped:
            raise ValueError(f"clamp={_shown(clamp)}: unit {unit} is clamped twice; give each unit one value.")
        clamped[unit] = float(value_text)
    ablation_override(hidden_units, zeroed, clamped)  # raises for units out of range, overlaps, bad values
    return frozenset(zeroed), clamped


def format_ablation_query(zeroed: set[int] | frozenset[int], clamped: dict[int, float]) -> dict[str, str]:
    """The query parameters that :func:`parse_ablation_query` reads back; empty ones are left out."""
    params = {}
    if zeroed:
        params["ablate"] = ",".join(str(unit) for unit in sorted(zeroed))
    if clamped:
        params["clamp"] = ",".join(f"{unit}:{clamped[unit]:g}" for unit in sorted(clamped))
    return params


# --------------------------------------------------------------------------------------------------
# The exhaustive sets, computed once per distinct prefix.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ExhaustiveStates:
    """The network on every pair with operands below ``2**operand_bits``, stored as a prefix tree.

    A *node* is a distinct prefix of input columns, i.e. one timestep of many pairs at once. M nodes, H
    units, T timesteps; level t holds ``min(4**(t+1), 4**operand_bits)`` nodes. ``weight`` says how many
    pairs pass through a node, so weighted statistics over nodes equal statistics over all pair-steps.
    """

    operand_bits: int
    timesteps: int  # T = max(8, operand_bits + 1), as in explainer.evaluation.exhaustive_dataset
    level_offsets: np.ndarray  # (T + 1,) nodes of level t are [level_offsets[t], level_offsets[t + 1])
    hidden: np.ndarray  # (M, H) h_t
    timestep: np.ndarray  # (M,) t
    parent: np.ndarray  # (M,) node of the same pairs at t − 1; −1 at t = 0 (the parent is h_{-1} = 0)
    symbol: np.ndarray  # (M,) input column 2·a_t + b_t
    weight: np.ndarray  # (M,) number of pairs through this node
    carry_in: np.ndarray  # (M,) true carry into column t
    carry_out: np.ndarray  # (M,) true carry out of column t
    predicted_bit: np.ndarray  # (M,) the network's output bit o_t ≥ 0.5
    true_bit: np.ndarray  # (M,) bit t of a + b

    @property
    def column_sum(self) -> np.ndarray:
        """(M,) a_t + b_t + carry_in: 0–3, the quantity written addition looks at."""
        return (self.symbol >> 1) + (self.symbol & 1) + self.carry_in

    def level(self, timestep: int) -> slice:
        return slice(int(self.level_offsets[timestep]), int(self.level_offsets[timestep + 1]))

    def leaf_index(self, a_values: np.ndarray, b_values: np.ndarray) -> np.ndarray:
        """(N,) the last-level node of each pair: its columns interleaved as base-4 digits, LSB first."""
        a_values = np.asarray(a_values, dtype=np.int64)
        b_values = np.asarray(b_values, dtype=np.int64)
        index = np.zeros(np.broadcast(a_values, b_values).shape, dtype=np.int64)
        for position in range(self.operand_bits):
            column = 2 * ((a_values >> position) & 1) + ((b_values >> position) & 1)
            index += column << (2 * position)
        return self.level_offsets[self.timesteps - 1] + index

    def along_paths(self, values: np.ndarray, combine: np.ufunc) -> np.ndarray:
        """Accumulate a per-node quantity from the root down: ``out[n] = combine(out[parent], values[n])``."""
        result = np.array(values)
        for step in range(1, self.timesteps):
            nodes = self.level(step)
            result[nodes] = combine(result[self.parent[nodes]], result[nodes])
        return result


def _network_step(
    weights: RNNWeights, previous: np.ndarray, symbol: int, hidden_override: HiddenOverride | None
) -> np.ndarray:
    """One step of the RNN from the states ``previous`` (L, H), through :func:`activate` like ``forward``."""
    column = np.array(INPUT_SYMBOLS[symbol], dtype=np.float64)  # (2,) bit of a, bit of b
    return activate(column @ weights.input_weights + previous @ weights.recurrent_weights, hidden_override)  # (L, H)


@lru_cache(maxsize=4)
def _exhaustive_states(weights: RNNWeights, operand_bits: int, key: OverrideKey) -> ExhaustiveStates:
    hidden_override = override_from_key(key, weights.hidden_units)
    timesteps = max(MIN_TIMESTEPS, operand_bits + 1)
    pairs = 4**operand_bits
    levels_hidden, levels_symbol, levels_parent = [], [], []
    previous = np.zeros((1, weights.hidden_units))  # h_{-1} = 0
    offset_previous = -1  # the root is not stored; t = 0 nodes get parent −1
    offsets = [0]
    for step in range(timesteps):
        size_previous = previous.shape[0]
        if step < operand_bits:
            # New prefixes: the new column is the most significant base-4 digit, so node p·… = symbol·L + p.
            new = np.concatenate([_network_step(weights, previous, symbol, hidden_override) for symbol in range(4)])
            symbols = np.repeat(np.arange(4), size_previous)
            parents = np.tile(np.arange(size_previous), 4)
        else:
            # Past the operands' width every column is 0 + 0: each prefix has one continuation.
            new = _network_step(weights, previous, 0, hidden_override)
            symbols = np.zeros(size_previous, dtype=np.int64)
            parents = np.arange(size_previous)
        levels_hidden.append(new)
        levels_symbol.append(symbols)
        levels_parent.append(parents + offset_previous if step > 0 else np.full(new.shape[0], -1))
        offset_previous = offsets[-1]
        offsets.append(offsets[-1] + new.shape[0])
        previous = new
    hidden = np.concatenate(levels_hidden)  # (M, H)
    symbol = np.concatenate(levels_symbol).astype(np.int8)
    parent = np.concatenate(levels_parent).astype(np.int64)
    level_offsets = np.array(offsets, dtype=np.int64)
    timestep = np.repeat(np.arange(timesteps), np.diff(level_offsets)).astype(np.int64)
    weight = pairs // np.diff(level_offsets)[timestep]

    a_bit, b_bit = symbol >> 1, symbol & 1
    carry_in = np.zeros(symbol.size, dtype=np.int8)
    carry_out = np.zeros(symbol.size, dtype=np.int8)
    for step in range(timesteps):
        nodes = slice(offsets[step], offsets[step + 1])
        if step > 0:
            carry_in[nodes] = carry_out[parent[nodes]]
        carry_out[nodes] = (a_bit[nodes] + b_bit[nodes] + carry_in[nodes]) >= 2
    true_bit = ((a_bit + b_bit + carry_in) & 1).astype(np.int8)
    probability = sigmoid(hidden @ weights.output_weights)[:, 0]  # (M,)
    return ExhaustiveStates(
        operand_bits=operand_bits,
        timesteps=timesteps,
        level_offsets=read_only(level_offsets),
        hidden=read_only(hidden),
        timestep=read_only(timestep),
        parent=read_only(parent),
        symbol=read_only(symbol),
        weight=read_only(weight),
        carry_in=read_only(carry_in),
        carry_out=read_only(carry_out),
        predicted_bit=read_only((probability >= 0.5).astype(np.int8)),
        true_bit=read_only(true_bit),
    )


def _check_operand_bits(operand_bits: object) -> int:
    if isinstance(operand_bits, bool) or not isinstance(operand_bits, int | np.integer):
        raise ValueError(f"operand_bits must be an int; got {operand_bits!r}.")
    if not 1 <= operand_bits <= MAX_EXHAUSTIVE_OPERAND_BITS:
        raise ValueError(
            f"operand_bits must be 1–{MAX_EXHAUSTIVE_OPERAND_BITS} (7: the 16,384 training pairs, 8: all 65,536 "
            f"8-bit pairs); got {operand_bits}."
        )
    return int(operand_bits)


def exhaustive_states(
    weights: RNNWeights, operand_bits: int = TRAINING_OPERAND_BITS, hidden_override: HiddenOverride | None = None
) -> ExhaustiveStates:
    """Every pair below ``2**operand_bits`` run through the network, one node per distinct prefix (cached)."""
    return _exhaustive_states(weights, _check_operand_bits(operand_bits), override_key(hidden_override))


# --------------------------------------------------------------------------------------------------
# 1. The carry probe.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CarryProbe:
    """A linear read-out of the true carry-out from ``h_t``: carry ≈ ``h_t · coefficients + intercept ≥ ½``.

    Fitted by least squares on every timestep of all 16,384 training pairs of the intact network. One probe
    serves every timestep, so 100% accuracy at each step means the carry sits in the same place throughout.
    """

    coefficients: np.ndarray  # (H,)
    intercept: float
    accuracy: float  # over all 131,072 pair-steps
    accuracy_by_timestep: np.ndarray  # (T,) T = 8
    unit_importance: np.ndarray  # (H,) |coefficient| × the unit's standard deviation
    ranked_units: tuple[int, ...]  # every unit, most carry-tied first
    top_carry_units: tuple[int, ...]  # units whose importance is at least half the largest
    unit_mean: np.ndarray  # (H,) average activity: the natural value to clamp a unit to
    margin: float  # smallest distance of any score from the ½ threshold (how cleanly it separates)

    threshold: float = 0.5

    def score(self, hidden: np.ndarray) -> np.ndarray:
        """Probe score for hidden states ``(…, H)`` → ``(…)``; ≥ 0.5 reads as carry 1."""
        hidden = np.asarray(hidden, dtype=np.float64)
        if hidden.shape[-1] != self.coefficients.shape[0]:
            raise ValueError(f"hidden states must end in {self.coefficients.shape[0]} units; got shape {hidden.shape}.")
        return hidden @ self.coefficients + self.intercept

    def decode(self, hidden: np.ndarray) -> np.ndarray:
        """The probe's carry bits for hidden states ``(…, H)`` (e.g. ``trace.hidden`` (T, H) → (T,)) as int8."""
        return (self.score(hidden) >= self.threshold).astype(np.int8)


def first_disagreement(decoded: np.ndarray, truth: np.ndarray) -> int | None:
    """The first timestep where two bit rows differ, or ``None`` if they agree everywhere."""
    decoded, truth = np.asarray(decoded), np.asarray(truth)
    if decoded.shape != truth.shape:
        raise ValueError(f"the rows must have the same shape; got {decoded.shape} and {truth.shape}.")
    differ = np.flatnonzero(decoded != truth)
    return int(differ[0]) if differ.size else None


def _weighted_mean(values: np.ndarray, weight: np.ndarray) -> float:
    return float((values * weight).sum() / weight.sum())


@lru_cache(maxsize=8)
def carry_probe(weights: RNNWeights) -> CarryProbe:
    """Fit the carry probe on all 16,384 training pairs of ``weights`` (cached per network)."""
    states = exhaustive_states(weights, TRAINING_OPERAND_BITS)
    hidden, weight = states.hidden, states.weight.astype(np.float64)
    target = states.carry_out.astype(np.float64)
    design = np.column_stack([hidden, np.ones(len(hidden))])  # (M, H + 1): the last column is the intercept
    root = np.sqrt(weight)[:, None]  # weighted least squares = ordinary least squares on √w-scaled rows
    solution, *_ = np.linalg.lstsq(design * root, target * root[:, 0], rcond=None)
    coefficients, intercept = solution[:-1], float(solution[-1])
    score = hidden @ coefficients + intercept
    right = (score >= 0.5) == (target == 1)
    by_step = np.array(
        [_weighted_mean(right[states.level(t)], weight[states.level(t)]) for t in range(states.timesteps)]
    )
    mean = (hidden * weight[:, None]).sum(0) / weight.sum()
    spread = np.sqrt(((hidden - mean) ** 2 * weight[:, None]).sum(0) / weight.sum())
    importance = np.abs(coefficients) * spread
    ranked = tuple(int(unit) for unit in np.argsort(-importance, kind="stable"))
    top = tuple(unit for unit in ranked if importance[unit] >= 0.5 * importance.max())
    return CarryProbe(
        coefficients=read_only(coefficients),
        intercept=intercept,
        accuracy=_weighted_mean(right, weight),
        accuracy_by_timestep=read_only(by_step),
        unit_importance=read_only(importance),
        ranked_units=ranked,
        top_carry_units=top,
        unit_mean=read_only(mean),
        margin=float(np.abs(score - 0.5).min()),
    )


# --------------------------------------------------------------------------------------------------
# 2. The state space.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class StateSpace:
    """A 2-D principal-component view of every ``h_t`` over all 16,384 training pairs (P plotted points).

    Points closer than about 1/150 of the plot's width that share a carry and a column sum are drawn once,
    with ``point_weight`` saying how many pair-steps they stand for.
    """

    mean: np.ndarray  # (H,) the centre the projection subtracts
    components: np.ndarray  # (2, H) unit-length principal directions
    explained_variance_ratio: np.ndarray  # (2,) share of the total variance along each direction
    points: np.ndarray  # (P, 2)
    point_carry: np.ndarray  # (P,) true carry out of the column just read
    point_column_sum: np.ndarray  # (P,) a_t + b_t + carry in: 0–3
    point_weight: np.ndarray  # (P,) pair-steps represented

    def project(self, hidden: np.ndarray) -> np.ndarray:
        """Project hidden states ``(…, H)`` to ``(…, 2)``; ``project(np.zeros(H))`` is where h_{-1} sits."""
        hidden = np.asarray(hidden, dtype=np.float64)
        if hidden.shape[-1] != self.mean.shape[0]:
            raise ValueError(f"hidden states must end in {self.mean.shape[0]} units; got shape {hidden.shape}.")
        return (hidden - self.mean) @ self.components.T

    def path(self, hidden: np.ndarray) -> np.ndarray:
        """One addition's route ``(T + 1, 2)``: h_{-1} = 0, then h_0 … h_{T-1} from a trace ``(T, H)``."""
        hidden = np.asarray(hidden, dtype=np.float64)
        return self.project(np.vstack([np.zeros((1, hidden.shape[-1])), hidden]))


@lru_cache(maxsize=8)
def state_space(weights: RNNWeights, max_points: int = MAX_STATE_SPACE_POINTS) -> StateSpace:
    """PCA of every hidden state of the intact network on the training pairs (cached per network)."""
    states = exhaustive_states(weights, TRAINING_OPERAND_BITS)
    hidden, weight = states.hidden, states.weight.astype(np.float64)
    mean = (hidden * weight[:, None]).sum(0) / weight.sum()
    centred = hidden - mean
    covariance = (centred * weight[:, None]).T @ centred / weight.sum()  # (H, H)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)  # ascending
    order = np.argsort(eigenvalues)[::-1][:2]
    components = eigenvectors[:, order].T  # (2, H), or (1, H) for a one-unit network
    # Fix each direction's sign (eigh's is arbitrary) so the picture does not flip between machines.
    signs = components[np.arange(order.size), np.abs(components).argmax(1)] < 0
    components *= np.where(signs, -1.0, 1.0)[:, None]
    ratio = eigenvalues[order] / max(float(eigenvalues.sum()), 1e-300)
    if order.size < 2:  # one unit has one direction: the second axis is flat, so the plot stays 2-D
        components = np.vstack([components, np.zeros_like(components)])
        ratio = np.append(ratio, 0.0)
    projected = centred @ components.T  # (M, 2)

    span = np.ptp(projected, axis=0).max() or 1.0
    cells = np.floor(projected / (span / 150)).astype(np.int64)
    keys = np.column_stack([cells, states.carry_out, states.column_sum])
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    represented = np.bincount(inverse.ravel(), weights=weight)
    if first.size > max_points:  # keep the most-visited cells; the rare ones are still there in the table
        keep = np.sort(np.argsort(-represented, kind="stable")[:max_points])
        first, represented = first[keep], represented[keep]
    return StateSpace(
        mean=read_only(mean),
        components=read_only(components),
        explained_variance_ratio=read_only(ratio),
        points=read_only(projected[first]),
        point_carry=read_only(states.carry_out[first]),
        point_column_sum=read_only(states.column_sum[first]),
        point_weight=read_only(represented.astype(np.int64)),
    )


# --------------------------------------------------------------------------------------------------
# 3. The extracted machine.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MealyMachine:
    """A finite-state machine that writes one output bit per input column (a Mealy machine).

    ``next_state[s, symbol]`` and ``output[s, symbol]`` are ``(S, 4)`` int arrays; −1 marks a transition
    never observed (the machine has no answer there, and every run through it counts as a disagreement).
    """

    state_names: tuple[str, ...]
    start: int
    next_state: np.ndarray  # (S, 4)
    output: np.ndarray  # (S, 4)

    @property
    def state_count(self) -> int:
        return len(self.state_names)

    def step(self, states: np.ndarray, symbols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised transition: ``(next states, outputs)``; an undefined state (−1) stays undefined."""
        states = np.asarray(states)
        known = states >= 0
        safe = np.where(known, states, 0)
        return (
            np.where(known, self.next_state[safe, symbols], -1),
            np.where(known, self.output[safe, symbols], -1),
        )

    def run(self, symbols: np.ndarray) -> np.ndarray:
        """Outputs ``(N, T)`` for input symbols ``(N, T)`` (2·a_t + b_t), starting from ``start``."""
        symbols = np.asarray(symbols, dtype=np.int64)
        if symbols.ndim != 2 or ((symbols < 0) | (symbols > 3)).any():
            raise ValueError("symbols must be an (N, T) array of input columns 2·a_t + b_t in 0–3.")
        states = np.full(symbols.shape[0], self.start)
        outputs = np.empty(symbols.shape, dtype=np.int64)
        for step in range(symbols.shape[1]):
            states, outputs[:, step] = self.step(states, symbols[:, step])
        return outputs

    def transition_records(self) -> list[dict]:
        """The table as rows (state, a, b, next state, output bit) for display; unobserved rows say so."""
        rows = []
        for state in range(self.state_count):
            for symbol, (a_bit, b_bit) in enumerate(INPUT_SYMBOLS):
                target = int(self.next_state[state, symbol])
                rows.append(
                    {
                        "state": self.state_names[state],
                        "a bit": a_bit,
                        "b bit": b_bit,
                        "next state": self.state_names[target] if target >= 0 else "(never seen)",
                        "output bit": int(self.output[state, symbol]) if target >= 0 else None,
                    }
                )
        return rows


def _frozen_machine(names: tuple[str, ...], start: int, next_state: np.ndarray, output: np.ndarray) -> MealyMachine:
    return MealyMachine(names, start, read_only(next_state.astype(np.int64)), read_only(output.astype(np.int64)))


# Written addition: the state is the carry; column a + b + carry writes its low bit and carries its high bit.
CARRY_MACHINE = _frozen_machine(
    ("carry 0", "carry 1"),
    0,
    np.array([[(a + b + c) >> 1 for a, b in INPUT_SYMBOLS] for c in (0, 1)]),
    np.array([[(a + b + c) & 1 for a, b in INPUT_SYMBOLS] for c in (0, 1)]),
)


def minimise(machine: MealyMachine) -> tuple[MealyMachine, np.ndarray]:
    """The smallest machine with the same behaviour, by partition refinement (Moore's algorithm).

    Unreachable states are dropped first; undefined transitions are treated as going to a sink that
    answers nothing, so only states that are undefined in the same places can merge. States are numbered
    in breadth-first order from the start. Returns ``(minimal machine, block of each original state or −1)``.
    """
    count = machine.state_count
    sink = count  # an extra state for "never seen"
    next_state = np.vstack([np.where(machine.next_state >= 0, machine.next_state, sink), np.full((1, 4), sink)])
    output = np.vstack([np.where(machine.next_state >= 0, machine.output, -1), np.full((1, 4), -1)])
    reachable, queue = {machine.start}, deque([machine.start])
    while queue:
        for target in next_state[queue.popleft()]:
            if int(target) not in reachable:
                reachable.add(int(target))
                queue.append(int(target))
    alive = sorted(reachable)
    # Start from "same outputs on every input", then split blocks until successors agree as well.
    block = {state: tuple(output[state]) for state in alive}
    while True:
        signature = {state: (block[state], tuple(block[int(t)] for t in next_state[state])) for state in alive}
        labels = {value: index for index, value in enumerate(sorted(set(signature.values()), key=repr))}
        refined = {state: labels[signature[state]] for state in alive}
        if len(set(refined.values())) == len(set(block.values())):
            block = refined
            break
        block = refined
    # Number blocks breadth-first from the start so that names are stable and the start is state 0.
    order: dict[int, int] = {}
    queue = deque([machine.start])
    while queue:
        state = queue.popleft()
        if block[state] in order:
            continue
        order[block[state]] = len(order)
        queue.extend(int(t) for t in next_state[state])
    sink_block = order.get(block[sink]) if sink in block else None
    kept = [b for b in order if order[b] != sink_block]
    renumber = {b: index for index, b in enumerate(sorted(kept, key=order.get))}
    representative = {block[state]: state for state in reversed(alive)}
    minimal_next = np.full((len(renumber), 4), -1)
    minimal_output = np.full((len(renumber), 4), -1)
    for b, index in renumber.items():
        state = representative[b]
        for symbol in range(4):
            target_block = block[int(next_state[state, symbol])]
            if target_block in renumber:
                minimal_next[index, symbol] = renumber[target_block]
                minimal_output[index, symbol] = output[state, symbol]
    mapping = np.array([renumber.get(block[state], -1) if state in block else -1 for state in range(count)])
    names = tuple(f"S{index}" for index in range(len(renumber)))
    return _frozen_machine(names, renumber[block[machine.start]], minimal_next, minimal_output), mapping


def compare_machines(first: MealyMachine, second: MealyMachine) -> tuple[bool, dict[int, int], tuple[int, ...] | None]:
    """Do two machines write the same bits on every input? Breadth-first search over pairs of states.

    Returns ``(equivalent, pairing, counterexample)``: ``pairing`` maps each reachable state of ``first`` to
    the state of ``second`` it runs alongside (one-to-one when both are minimal and equivalent), and
    ``counterexample`` is a shortest list of input symbols on which the outputs differ (``None`` if none).
    """
    start = (first.start, second.start)
    seen = {start: ()}
    queue = deque([start])
    pairing: dict[int, set[int]] = {}
    while queue:
        state_one, state_two = queue.popleft()
        pairing.setdefault(state_one, set()).add(state_two)
        for symbol in range(4):
            path = (*seen[(state_one, state_two)], symbol)
            next_one, next_two = int(first.next_state[state_one, symbol]), int(second.next_state[state_two, symbol])
            output_one, output_two = int(first.output[state_one, symbol]), int(second.output[state_two, symbol])
            if next_one < 0 or next_two < 0 or output_one != output_two:
                return False, {}, path
            if (next_one, next_two) not in seen:
                seen[(next_one, next_two)] = path
                queue.append((next_one, next_two))
    one_to_one = all(len(partners) == 1 for partners in pairing.values())
    return True, ({state: next(iter(p)) for state, p in pairing.items()} if one_to_one else {}), None


def symbols_to_pair(symbols: tuple[int, ...]) -> tuple[int, int]:
    """Input columns (LSB first) back to the operands ``(a, b)`` they spell."""
    a_value = sum((symbol >> 1) << position for position, symbol in enumerate(symbols))
    b_value = sum((symbol & 1) << position for position, symbol in enumerate(symbols))
    return a_value, b_value


@dataclass(frozen=True, eq=False)
class ExtractedMachine:
    """The finite-state machine read off the network's hidden states, and how well it stands in for it.

    ``raw`` has a start state (h_{-1} = 0) plus one state per cluster of hidden states; ``minimal`` is
    ``raw`` minimised. Fidelity is the fraction of pairs on which the machine, run on its own from the
    start, writes exactly the network's output bits at every timestep.
    """

    cluster_count: int  # k: clusters of h_t (the raw machine has k + 1 states with the start)
    centroids: np.ndarray  # (k, H)
    raw: MealyMachine
    consistency: float  # share of observed transitions (over all pair-steps) that agree with the table
    minimal: MealyMachine
    cluster_to_minimal: np.ndarray  # (k + 1,) the minimal state of each raw state (start last), −1 if unreachable
    fidelity_7bit: float  # over the 16,384 training pairs, 8 timesteps
    fidelity_8bit: float  # over all 65,536 8-bit pairs, 9 timesteps: longer than any training sequence
    equivalent_to_carry_machine: bool
    counterexample: tuple[int, int] | None  # a shortest pair (a, b) where the machine and written addition differ
    comparison: str  # the findings in a sentence or two

    def comparison_records(self) -> list[dict]:
        """Minimal table side by side with the carry machine (matched state by state when equivalent)."""
        _, pairing, _ = compare_machines(self.minimal, CARRY_MACHINE)
        rows = self.minimal.transition_records()
        for row, (state, symbol) in zip(rows, np.ndindex(self.minimal.state_count, 4), strict=True):
            carry = pairing.get(state)
            row["written addition: carry"] = carry
            row["written addition: output bit"] = None if carry is None else int(CARRY_MACHINE.output[carry, symbol])
        return rows


def _kmeans(
    points: np.ndarray, weight: np.ndarray, clusters: int, rng: np.random.Generator, iterations: int = 40
) -> np.ndarray:
    """Weighted k-means with k-means++ seeding. Returns centroids ``(clusters, H)``."""
    first = rng.choice(len(points), p=weight / weight.sum())
    centroids = [points[first]]
    nearest = ((points - centroids[0]) ** 2).sum(1)
    for _ in range(1, clusters):
        chance = weight * nearest
        if chance.sum() <= 0:  # fewer distinct points than clusters: reuse one
            centroids.append(points[first])
            continue
        centroids.append(points[rng.choice(len(points), p=chance / chance.sum())])
        nearest = np.minimum(nearest, ((points - centroids[-1]) ** 2).sum(1))
    centroids = np.array(centroids)
    labels = _nearest(points, centroids)
    weighted = points * weight[:, None]
    for _ in range(iterations):
        membership = np.zeros((clusters, len(points)))
        membership[labels, np.arange(len(points))] = 1.0  # (k, M): a matrix product sums each cluster at once
        mass = membership @ weight  # (k,)
        totals = membership @ weighted  # (k, H)
        centroids = np.where(mass[:, None] > 0, totals / np.maximum(mass, 1e-300)[:, None], centroids)
        updated = _nearest(points, centroids)
        if (updated == labels).all():
            break
        labels = updated
    return centroids


def _nearest(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    distance = (points**2).sum(1)[:, None] - 2 * points @ centroids.T + (centroids**2).sum(1)[None]  # (M, k)
    return distance.argmin(1)


def _machine_from_clusters(states: ExhaustiveStates, labels: np.ndarray, clusters: int) -> tuple[MealyMachine, float]:
    """Majority-vote transition table (state, symbol) → (next cluster, network's output bit)."""
    start = clusters  # the raw machine's last state is h_{-1} = 0
    source = np.where(states.parent >= 0, labels[np.maximum(states.parent, 0)], start)
    row = source * 4 + states.symbol
    outcome = labels * 2 + states.predicted_bit
    tally = np.zeros(((clusters + 1) * 4, clusters * 2))
    np.add.at(tally, (row, outcome), states.weight)
    seen = tally.sum(1) > 0
    best = tally.argmax(1)
    next_state = np.where(seen, best // 2, -1).reshape(clusters + 1, 4)
    output = np.where(seen, best % 2, -1).reshape(clusters + 1, 4)
    consistency = float(tally.max(1).sum() / tally.sum())
    names = (*(f"C{index}" for index in range(clusters)), "start")
    return _frozen_machine(names, start, next_state, output), consistency


def machine_fidelity(machine: MealyMachine, states: ExhaustiveStates) -> float:
    """Fraction of the pairs in ``states`` on which ``machine`` writes exactly the network's bits."""
    machine_state = np.empty(states.symbol.size, dtype=np.int64)
    agrees = np.empty(states.symbol.size, dtype=bool)
    for step in range(states.timesteps):
        nodes = states.level(step)
        before = np.full(nodes.stop - nodes.start, machine.start) if step == 0 else machine_state[states.parent[nodes]]
        machine_state[nodes], written = machine.step(before, states.symbol[nodes])
        agrees[nodes] = written == states.predicted_bit[nodes]
    all_agree = states.along_paths(agrees, np.logical_and)
    leaves = states.level(states.timesteps - 1)
    return _weighted_mean(all_agree[leaves], states.weight[leaves])


@lru_cache(maxsize=8)
def _extract_machine(weights: RNNWeights, key: OverrideKey, max_clusters: int, seed: int) -> ExtractedMachine:
    hidden_override = override_from_key(key, weights.hidden_units)
    training = exhaustive_states(weights, TRAINING_OPERAND_BITS, hidden_override)
    longer = exhaustive_states(weights, 8, hidden_override)
    # k-means is fitted on a sample of pair-steps (drawn by weight, so it represents all 131,072 of them);
    # every node is then assigned to its nearest centroid. The sample keeps the sweep over k fast.
    sampler = np.random.default_rng(seed)
    drawn = sampler.choice(len(training.weight), size=KMEANS_SAMPLE, p=training.weight / training.weight.sum())
    sample, sample_count = np.unique(drawn, return_counts=True)
    best = None
    for clusters in range(2, max_clusters + 1):
        rng = np.random.default_rng(seed)
        centroids = _kmeans(training.hidden[sample], sample_count.astype(np.float64), clusters, rng)
        labels = _nearest(training.hidden, centroids)
        raw, consistency = _machine_from_clusters(training, labels, clusters)
        fidelity = machine_fidelity(raw, training)
        if best is None or fidelity > best[0]:
            best = (fidelity, clusters, centroids, raw, consistency)
        if fidelity == 1.0:  # the fewest clusters that reproduce the network on every training pair
            break
    _, clusters, centroids, raw, consistency = best
    minimal, mapping = minimise(raw)
    equivalent, pairing, counter_symbols = compare_machines(minimal, CARRY_MACHINE)
    if equivalent:
        names = tuple(CARRY_MACHINE.state_names[pairing[state]] for state in range(minimal.state_count))
        minimal = MealyMachine(names, minimal.start, minimal.next_state, minimal.output)
    counterexample = symbols_to_pair(counter_symbols) if counter_symbols is not None else None
    # Minimising keeps behaviour, so the minimal machine is measured: it is the one the page draws.
    fidelity_7bit = machine_fidelity(minimal, training)
    fidelity_8bit = machine_fidelity(minimal, longer)
    summary = (
        f"{clusters} clusters of hidden states (plus the start) give a {raw.state_count}-state table that "
        f"minimises to {minimal.state_count} state{'s' if minimal.state_count != 1 else ''}. "
    )
    if equivalent:
        summary += (
            "It is the 2-state carry machine of written addition: one state means 'no carry', the other "
            "'carry 1', and every transition writes the same bit as pencil-and-paper addition."
        )
    else:
        a_value, b_value = counterexample
        summary += (
            "It is not the carry machine of written addition: the two first part ways on "
            f"{a_value} + {b_value}, in the 2^{len(counter_symbols) - 1} column."
        )
    return ExtractedMachine(
        cluster_count=clusters,
        centroids=read_only(centroids),
        raw=raw,
        consistency=consistency,
        minimal=minimal,
        cluster_to_minimal=read_only(mapping),
        fidelity_7bit=fidelity_7bit,
        fidelity_8bit=fidelity_8bit,
        equivalent_to_carry_machine=equivalent,
        counterexample=counterexample,
        comparison=summary,
    )


def extract_machine(
    weights: RNNWeights, hidden_override: HiddenOverride | None = None, max_clusters: int = 16, seed: int = 0
) -> ExtractedMachine:
    """Cluster the hidden states, read off and minimise the transition table, and measure its fidelity.

    Clusters come from weighted k-means (k-means++ seeding with ``seed``) over every h_t of the 16,384
    training pairs; k is the smallest number in 2…``max_clusters`` whose machine writes the network's bits
    on every training pair, or the best one if none does. The 8-bit fidelity is then a held-out check:
    operands and sequences longer than anything the clusters were fitted on. Cached per network.
    """
    if isinstance(max_clusters, bool) or not isinstance(max_clusters, int) or not 2 <= max_clusters <= 64:
        raise ValueError(f"max_clusters must be an int in 2–64; got {max_clusters!r}.")
    return _extract_machine(weights, override_key(hidden_override), max_clusters, int(seed))


# --------------------------------------------------------------------------------------------------
# 5. The correctness map.
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _correctness_grid(weights: RNNWeights, operand_bits: int, key: OverrideKey) -> np.ndarray:
    states = _exhaustive_states(weights, operand_bits, key)
    wrong = states.along_paths((states.predicted_bit != states.true_bit).astype(np.int64), np.add)
    side = np.arange(2**operand_bits)
    a_values, b_values = np.meshgrid(side, side, indexing="ij")
    return read_only(wrong[states.leaf_index(a_values, b_values)].astype(np.int16))


def correctness_grid(
    weights: RNNWeights, operand_bits: int = TRAINING_OPERAND_BITS, hidden_override: HiddenOverride | None = None
) -> np.ndarray:
    """Wrong output bits for every pair, ``(2**bits, 2**bits)`` int, indexed ``[a, b]`` (cached).

    ``grid.ravel()`` equals ``evaluate(weights, operand_bits, hidden_override).wrong_bits``.
    """
    return _correctness_grid(weights, _check_operand_bits(operand_bits), override_key(hidden_override))


# --------------------------------------------------------------------------------------------------
# 6. Any length.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LengthAccuracy:
    """Accuracy on random pairs whose sum has exactly ``sum_bits`` bits (the network runs that many steps)."""

    sum_bits: int
    pairs: int
    exact_accuracy: float
    bit_accuracy: float
    first_wrong_pair: tuple[int, int] | None


def random_pairs_with_sum_bits(sum_bits: int, count: int, seed: int = 0) -> list[tuple[int, int]]:
    """``count`` random pairs ``(a, b)``, both ≤ 2**64 − 1, whose sum has exactly ``sum_bits`` bits.

    The sum is uniform over the ``sum_bits``-bit numbers and ``a`` uniform over the splits allowed, with
    Python's arbitrary-precision ints (NumPy's int64 would overflow at 64 bits). Same seed, same pairs.
    """
    if isinstance(sum_bits, bool) or not isinstance(sum_bits, int) or not 1 <= sum_bits <= 65:
        raise ValueError(f"sum_bits must be 1–65 (two operands up to 2**64 − 1); got {sum_bits!r}.")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive int; got {count!r}.")
    generator = random.Random(f"{seed}:{sum_bits}")  # seeded per length, so adding lengths changes nothing
    pairs = []
    for _ in range(count):
        total = generator.randint(2 ** (sum_bits - 1), 2**sum_bits - 1)
        a_value = generator.randint(max(0, total - MAX_OPERAND), min(total, MAX_OPERAND))
        pairs.append((a_value, total - a_value))
    return pairs


def _bits_of(values: list[int], timesteps: int) -> np.ndarray:
    """LSB-first bits of Python ints of any size as ``(N, timesteps)`` int8, via their bytes."""
    width = (timesteps + 7) // 8
    raw = b"".join(value.to_bytes(width, "little") for value in values)
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8).reshape(len(values), width), axis=1, bitorder="little")
    return bits[:, :timesteps].astype(np.int8)


@lru_cache(maxsize=16)
def _accuracy_by_length(
    weights: RNNWeights, lengths: tuple[int, ...], pairs_per_length: int, seed: int, key: OverrideKey
) -> tuple[LengthAccuracy, ...]:
    hidden_override = override_from_key(key, weights.hidden_units)
    rows = []
    for sum_bits in lengths:
        pairs = random_pairs_with_sum_bits(sum_bits, pairs_per_length, seed)
        timesteps = max(MIN_TIMESTEPS, sum_bits)
        a_bits = _bits_of([a for a, _ in pairs], timesteps)
        b_bits = _bits_of([b for _, b in pairs], timesteps)
        true_bits = _bits_of([a + b for a, b in pairs], timesteps)  # Python's + is the reference
        inputs = np.stack([a_bits, b_bits], axis=-1)  # (N, T, 2)
        predicted = (forward(weights, inputs, hidden_override).output_probability >= 0.5).astype(np.int8)
        exact = (predicted == true_bits).all(axis=1)  # (N,)
        wrong = np.flatnonzero(~exact)
        rows.append(
            LengthAccuracy(
                sum_bits=sum_bits,
                pairs=len(pairs),
                exact_accuracy=float(exact.mean()),
                bit_accuracy=float((predicted == true_bits).mean()),
                first_wrong_pair=pairs[int(wrong[0])] if wrong.size else None,
            )
        )
    return tuple(rows)


def accuracy_by_length(
    weights: RNNWeights,
    lengths: tuple[int, ...] | range = DEFAULT_LENGTHS,
    pairs_per_length: int = 200,
    seed: int = 0,
    hidden_override: HiddenOverride | None = None,
) -> tuple[LengthAccuracy, ...]:
    """Exact accuracy against sum length (``sum_bits`` in ``lengths``, each 1–65) on random pairs (cached).

    A network trained on 8-bit sums that still adds 64-bit ones has learned the column rule, not a table.
    """
    lengths = tuple(int(length) for length in lengths)
    if not lengths:
        raise ValueError("lengths is empty; give e.g. range(8, 65, 4).")
    for length in lengths:
        random_pairs_with_sum_bits(length, 1)  # validates the length with a helpful message
    if isinstance(pairs_per_length, bool) or not isinstance(pairs_per_length, int) or pairs_per_length < 1:
        raise ValueError(f"pairs_per_length must be a positive int; got {pairs_per_length!r}.")
    return _accuracy_by_length(weights, lengths, pairs_per_length, int(seed), override_key(hidden_override))


# --------------------------------------------------------------------------------------------------
# 7. The logit split.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogitSplit:
    """Where the output logit ``z_t = h_t · W_o`` at one timestep comes from (H units).

    Each free unit j contributes ``W_o[j] · σ(u_j + r_j)`` with ``u = x_t · W_x`` (the current bits) and
    ``r = h_{t-1} · W_h`` (what the state carried in). σ is not additive, so the split is the two-player
    Shapley value with nothing (0) as the reference: ``from_input`` is the average of what adding u changes
    with and without r, ``from_carried_state`` likewise for r. Per unit::

        baseline_j = W_o[j] · σ(0)                               (no input, no memory: ½ · W_o[j])
        from_input_j = ½[(f(u, 0) − f(0, 0)) + (f(u, r) − f(0, r))]
        from_carried_j = ½[(f(0, r) − f(0, 0)) + (f(u, r) − f(u, 0))]          f(u, r) = W_o[j] · σ(u + r)

    so ``baseline + from_input + from_carried_state = z_t`` exactly. Units held by an ablation contribute
    ``W_o[j] · value`` as ``from_ablation`` and nothing else. At t = 0, ``r = 0`` and nothing is carried.
    """

    timestep: int
    logit: float
    probability: float
    baseline: float
    from_input: float
    from_carried_state: float
    from_ablation: float
    unit_baseline: np.ndarray  # (H,)
    unit_from_input: np.ndarray  # (H,)
    unit_from_carried_state: np.ndarray  # (H,)
    unit_from_ablation: np.ndarray  # (H,)


def logit_split(
    weights: RNNWeights, trace: AdditionTrace, timestep: int, hidden_override: HiddenOverride | None = None
) -> LogitSplit:
    """Split the output logit of ``trace`` at ``timestep`` into current bits versus carried-in state.

    ``hidden_override`` must be the one ``trace`` was made with (the trace does not record it).
    """
    if isinstance(timestep, bool) or not isinstance(timestep, int | np.integer) or not 0 <= timestep < trace.timesteps:
        raise ValueError(
            f"timestep must be 0–{trace.timesteps - 1} for this {trace.timesteps}-step trace; got {timestep!r}."
        )
    if trace.hidden_units != weights.hidden_units:
        raise ValueError(f"the trace has {trace.hidden_units} units but the weights have {weights.hidden_units}.")
    output_weights = weights.output_weights[:, 0]  # (H,)
    current = trace.input_part[timestep]  # (H,) u = x_t · W_x
    carried = trace.recurrent_part[timestep]  # (H,) r = h_{t-1} · W_h

    def contribution(input_term: np.ndarray, carried_term: np.ndarray) -> np.ndarray:
        return output_weights * sigmoid(input_term + carried_term)

    nothing = np.zeros_like(current)
    both, input_only = contribution(current, carried), contribution(current, nothing)
    carried_only, neither = contribution(nothing, carried), contribution(nothing, nothing)
    from_input = 0.5 * ((input_only - neither) + (both - carried_only))
    from_carried = 0.5 * ((carried_only - neither) + (both - input_only))
    baseline = neither
    held = np.zeros(weights.hidden_units, dtype=bool)
    from_ablation = np.zeros(weights.hidden_units)
    if hidden_override is not None:
        mask, values = (np.asarray(part) for part in hidden_override)
        held = mask.astype(bool)
        from_ablation = np.where(held, output_weights * values, 0.0)
    baseline, from_input, from_carried = (np.where(held, 0.0, part) for part in (baseline, from_input, from_carried))
    logit = float(trace.hidden[timestep] @ output_weights)
    return LogitSplit(
        timestep=int(timestep),
        logit=logit,
        probability=float(trace.output_probability[timestep]),
        baseline=float(baseline.sum()),
        from_input=float(from_input.sum()),
        from_carried_state=float(from_carried.sum()),
        from_ablation=float(from_ablation.sum()),
        unit_baseline=read_only(baseline),
        unit_from_input=read_only(from_input),
        unit_from_carried_state=read_only(from_carried),
        unit_from_ablation=read_only(from_ablation),
    )


def clear_caches() -> None:
    """Forget every cached analysis (for benchmarks that time cold runs, and for tests)."""
    for cached in (
        _exhaustive_states,
        carry_probe,
        state_space,
        _extract_machine,
        _correctness_grid,
        _accuracy_by_length,
    ):
        cached.cache_clear()
