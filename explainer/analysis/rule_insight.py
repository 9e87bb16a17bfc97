""" "What did it learn?" for any rule (:mod:`explainer.rules`): the rule's machine state under every column, the
state space coloured by it, a linear readout of it, ablation, the correctness map, accuracy against length and
the transplant (an interchange intervention on the rule's state). Numpy only; every function that runs the
network over many inputs is cached per network (:func:`explainer.byte_cache.byte_cache`, keyed by the rule's
name and the weights' fingerprint), and for a shipped network read from its shipped file
(:mod:`explainer.analysis.shipped_analyses`).

The state of a finite rule is its minimal machine's (``rule.machine`` minimised: carry, borrow, remainder; the
six states divisibility's written form keeps merge into the three it needs). Balanced brackets has
no finite machine; its state is the depth (opens minus closes), or "closed too many" once the string has closed
a bracket it never opened (nothing after that can balance it): :data:`BROKEN`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from explainer.analysis.mealy import MealyMachine, minimise, symbol_bits
from explainer.analysis.rule_accuracy import DepthAccuracy, accuracy_by_depth, check_columns
from explainer.analysis.rule_extraction import RuleMachineComparison, extract_rule_machine
from explainer.analysis.shipped_analyses import shipped
from explainer.byte_cache import byte_cache
from explainer.model.ablation import make_ablation
from explainer.model.accuracy import accuracy_on
from explainer.model.network import RNNWeights, forward, read_only
from explainer.rules import Rule, rule_named
from explainer.rules.brackets import balanced_so_far, depths
from explainer.rules.rule import columns_to_symbols

BROKEN = -1  # the brackets state once a ")" closed nothing: no later bracket can balance the string
# Brackets' depths are drawn as classes 0 … DEEPEST_CLASS − 1, then "this deep or deeper", then "closed too many".
DEEPEST_CLASS = 6
# The readout's units: the few it weighs most, for the transplant of part of the state.
READOUT_UNITS = 3
# Ablation and its baseline run on every input whose numbers fit this many bits (4,096 inputs each; 12 brackets).
ABLATION_COLUMNS = {1: 12, 2: 6, 3: 4}
# Accuracy against length: random inputs of these many columns, this many per length, from this seed.
LENGTHS = (8, 16, 24, 32, 40, 48, 56, 64)
LENGTH_SAMPLES = 200
LENGTH_SEED = 0
# The transplant: this many base inputs of the training set, each with one source drawn from it (seeded).
TRANSPLANT_BASES = 512
TRANSPLANT_SEED = 0
# Above this the scatter only gets slower to send, not more informative (as addition's state space).
MAX_POINTS = 4000


# --------------------------------------------------------------------------------------------------
# The rule's state under every column.
# --------------------------------------------------------------------------------------------------


@functools.cache
def minimal_machine(rule_name: str) -> MealyMachine:
    """The rule's machine minimised, its states named by the rule's states they merge (start = state 0)."""
    machine = rule_named(rule_name).machine
    if machine is None:
        raise ValueError("balanced brackets has no finite machine; its state is the depth.")
    minimal, block = minimise(machine)
    names = tuple(
        _merged_name([name for name, merged in zip(machine.state_names, block, strict=True) if merged == state])
        for state in range(minimal.state_count)
    )
    return MealyMachine(names, minimal.start, minimal.next_state, minimal.output)


def _merged_name(names: list[str]) -> str:
    """One name for states that merge: their shared first part if they have one ("remainder 0"), else all."""
    heads = {name.split(", ")[0] for name in names}
    return heads.pop() if len(heads) == 1 else " or ".join(names)


def rule_states(rule: Rule, inputs: np.ndarray) -> np.ndarray:
    """The rule's state after each column, ``(N, T)`` int, for inputs ``(N, T, W)``.

    A finite rule's minimal machine's state number; for brackets the depth, or :data:`BROKEN` from the first
    column whose ")" closed nothing.
    """
    inputs = np.asarray(inputs)
    if rule.machine is None:
        depth = depths(inputs[..., 0])
        broken = np.minimum.accumulate(depth, axis=-1) < 0
        return np.where(broken, BROKEN, depth)
    machine = minimal_machine(rule.name)
    symbols = columns_to_symbols(inputs)
    states = np.empty(symbols.shape, dtype=np.int64)
    current = np.full(symbols.shape[0], machine.start)
    for step in range(symbols.shape[1]):
        current, _ = machine.step(current, symbols[:, step])
        states[:, step] = current
    return states


def outputs_from(rule: Rule, states: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """The bits the rule writes under ``inputs (N, R, W)`` when it starts in ``states (N,)`` instead of its start."""
    inputs = np.asarray(inputs)
    if rule.machine is None:
        start = np.asarray(states, dtype=np.int64)[:, None]
        depth = start + depths(inputs[..., 0])
        broken = (start < 0) | (np.minimum.accumulate(depth, axis=-1) < 0)
        return ((depth == 0) & ~broken).astype(np.int64)
    machine = minimal_machine(rule.name)
    symbols = columns_to_symbols(inputs)
    current = np.asarray(states, dtype=np.int64)
    written = np.empty(symbols.shape, dtype=np.int64)
    for step in range(symbols.shape[1]):
        current, written[:, step] = machine.step(current, symbols[:, step])
    return written


def state_classes(rule: Rule, states: np.ndarray) -> np.ndarray:
    """States as the classes the figures colour (a finite rule's states as they are; brackets' depths capped)."""
    states = np.asarray(states)
    if rule.machine is not None:
        return states
    return np.where(states == BROKEN, DEEPEST_CLASS + 1, np.minimum(states, DEEPEST_CLASS))


def class_names(rule: Rule) -> tuple[str, ...]:
    """The name of each class of :func:`state_classes`, in the rule's own words ("carry 0", "depth 2")."""
    if rule.machine is not None:
        return minimal_machine(rule.name).state_names
    return (
        *(f"depth {depth}" for depth in range(DEEPEST_CLASS)),
        f"depth {DEEPEST_CLASS} or more",
        "closed too many",
    )


def _hidden(weights: RNNWeights, inputs: np.ndarray) -> np.ndarray:
    return forward(weights, inputs).hidden  # (N, T, H)


# --------------------------------------------------------------------------------------------------
# 1. The state space, and a linear readout of the state.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RuleStateSpace:
    """Every h_t over the rule's training set, projected on its two principal directions (P points drawn)."""

    rule: str
    points: np.ndarray  # (P, 2)
    point_class: np.ndarray  # (P,) the class (state) of each point, :func:`state_classes`
    point_weight: np.ndarray  # (P,) how many (input, column) steps each point stands for
    explained_variance_ratio: np.ndarray  # (2,)
    steps: int  # (input, column) steps in all


@shipped("rule_state_space")
@byte_cache(8 * 2**20)
def rule_state_space(weights: RNNWeights, rule_name: str, max_points: int = MAX_POINTS) -> RuleStateSpace:
    """PCA of every hidden state over the rule's training set; points that fall within 1/150 of the plot's width
    and share a state are drawn once, weighted (cached per network)."""
    rule = rule_named(rule_name)
    inputs, _ = rule.training_set()
    hidden = _hidden(weights, inputs).reshape(-1, weights.hidden_units)  # (N·T, H)
    classes = state_classes(rule, rule_states(rule, inputs)).ravel()
    centred = hidden - hidden.mean(0)
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / len(centred))
    order = np.argsort(eigenvalues)[::-1][:2]
    components = eigenvectors[:, order].T  # (2, H)
    components *= np.where(components[np.arange(2), np.abs(components).argmax(1)] < 0, -1.0, 1.0)[:, None]
    projected = centred @ components.T  # (N·T, 2)
    span = np.ptp(projected, axis=0).max() or 1.0
    cells = np.floor(projected / (span / 150)).astype(np.int64)
    _, first, inverse = np.unique(np.column_stack([cells, classes]), axis=0, return_index=True, return_inverse=True)
    represented = np.bincount(inverse.ravel())
    if first.size > max_points:
        keep = np.sort(np.argsort(-represented, kind="stable")[:max_points])
        first, represented = first[keep], represented[keep]
    return RuleStateSpace(
        rule=rule.name,
        points=read_only(projected[first]),
        point_class=read_only(classes[first]),
        point_weight=read_only(represented),
        explained_variance_ratio=read_only(eigenvalues[order] / max(float(eigenvalues.sum()), 1e-300)),
        steps=len(hidden),
    )


@dataclass(frozen=True, eq=False)
class StateReadout:
    """A linear readout of the rule's state from h_t (least squares onto one column per state, the largest wins)."""

    rule: str
    accuracy: float  # share of the training set's (input, column) steps whose state it reads right
    unit_importance: np.ndarray  # (H,) weight × spread of each unit
    top_units: tuple[int, ...]  # the READOUT_UNITS units it weighs most, largest first


@shipped("state_readout")
@byte_cache(2**20)
def state_readout(weights: RNNWeights, rule_name: str) -> StateReadout:
    """Fit the readout on the intact network's hidden states over the rule's training set (cached per network)."""
    rule = rule_named(rule_name)
    inputs, _ = rule.training_set()
    hidden = _hidden(weights, inputs).reshape(-1, weights.hidden_units)
    classes = state_classes(rule, rule_states(rule, inputs)).ravel()
    present = np.unique(classes)
    targets = (classes[:, None] == present[None, :]).astype(np.float64)  # (M, C)
    design = np.column_stack([hidden, np.ones(len(hidden))])
    coefficients, *_ = np.linalg.lstsq(design, targets, rcond=None)  # (H + 1, C)
    read = present[(design @ coefficients).argmax(1)]
    importance = np.linalg.norm(coefficients[:-1], axis=1) * hidden.std(0)
    top = tuple(int(unit) for unit in np.argsort(-importance, kind="stable")[:READOUT_UNITS])
    return StateReadout(rule.name, float((read == classes).mean()), read_only(importance), top)


# --------------------------------------------------------------------------------------------------
# 3. Ablation.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RuleAblation:
    """Exact accuracy with each unit zeroed, on every input of ``columns`` columns (or bits of each number)."""

    rule: str
    columns: int
    inputs: int
    intact: float
    zeroed: np.ndarray  # (H,) exact accuracy with that unit alone zeroed

    def units_that_matter(self, drop: float = 0.01) -> tuple[int, ...]:
        """Units whose zeroing costs more than ``drop`` of exact accuracy, most costly first."""
        cost = self.intact - self.zeroed
        return tuple(int(unit) for unit in np.argsort(-cost, kind="stable") if cost[unit] > drop)


def _ablation_set(rule: Rule) -> tuple[int, tuple[np.ndarray, np.ndarray]]:
    columns = rule.training_columns if rule.machine is None else ABLATION_COLUMNS[rule.input_width]
    return columns, rule.exhaustive_set(columns)


@shipped("rule_ablation")
@byte_cache(2**20)
def rule_ablation(weights: RNNWeights, rule_name: str) -> RuleAblation:
    """Zero each unit alone and measure exact accuracy on the rule's short inputs (cached per network)."""
    rule = rule_named(rule_name)
    columns, (inputs, targets) = _ablation_set(rule)
    zeroed = [
        accuracy_on(weights, inputs, targets, make_ablation(weights.hidden_units, {unit})).exact_accuracy
        for unit in range(weights.hidden_units)
    ]
    intact = accuracy_on(weights, inputs, targets).exact_accuracy
    return RuleAblation(rule.name, columns, len(inputs), intact, read_only(np.array(zeroed)))


# --------------------------------------------------------------------------------------------------
# 4. The correctness map.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RuleCorrectness:
    """Wrong output bits of every input of the rule's exhaustive check, laid out as a grid.

    Two numbers: ``wrong[a, b]``; one number: ``wrong[a // side, a % side]`` (a strip over a, wrapped into rows);
    three numbers: ``wrong[a, b, c]`` (the page shows one slice at a chosen c). NaN marks inputs outside the
    rule's domain (a < b for subtraction).
    """

    rule: str
    columns: int  # bits of each number
    timesteps: int  # columns each input ran for
    wrong: np.ndarray

    @property
    def exact(self) -> float:
        inside = self.wrong[~np.isnan(self.wrong)]
        return float((inside == 0).mean())

    @property
    def checked(self) -> int:
        return int((~np.isnan(self.wrong)).sum())


@shipped("rule_correctness")
@byte_cache(8 * 2**20)
def rule_correctness(weights: RNNWeights, rule_name: str) -> RuleCorrectness:
    """Every input of the rule's exhaustive check, right or wrong (finite rules; cached per network)."""
    rule = rule_named(rule_name)
    if rule.machine is None:
        raise ValueError(f"{rule.label} is checked by nesting depth: use accuracy_by_depth.")
    columns = check_columns(rule)
    side = 2**columns
    wrong = np.full((side,) * rule.input_width, np.nan, dtype=np.float32)
    numbers = rule.numbers_below(columns)  # (N, W), in the order exhaustive_chunks runs them
    counts = np.concatenate([accuracy_on(weights, *piece).wrong_bits for piece in rule.exhaustive_chunks(columns)])
    wrong[tuple(numbers.T)] = counts
    if rule.input_width == 1:
        root = 2 ** (columns // 2)
        wrong = wrong.reshape(side // root, root)
    return RuleCorrectness(rule.name, columns, rule.exhaustive_columns(columns), read_only(wrong))


@shipped("rule_depth_accuracy", rule_name="brackets")
@byte_cache(2**20)
def rule_depth_accuracy(weights: RNNWeights) -> DepthAccuracy:
    """:func:`accuracy_by_depth`, cached per network."""
    return accuracy_by_depth(weights)


# --------------------------------------------------------------------------------------------------
# 5. Accuracy against length.
# --------------------------------------------------------------------------------------------------


def random_inputs(rule: Rule, columns: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random inputs of exactly ``columns`` columns as ``(inputs (N, T, W), targets (N, T))``.

    Numbers have ``columns − 2`` random bits, so every rule's result fits (three numbers and 3·a need two more);
    for a − b the larger comes first. Brackets: random strings that never close more than they opened (a
    uniform string almost always does within a few brackets, after which every answer is "no").
    The targets are the rule's own (``rule.encode``: plain arithmetic).
    """
    if rule.machine is None:
        strings = np.empty((count, columns), dtype=np.int8)
        depth = np.zeros(count, dtype=np.int64)
        for step in range(columns):
            strings[:, step] = np.where(depth == 0, 1, rng.integers(0, 2, count))
            depth += 2 * strings[:, step].astype(np.int64) - 1
        return strings[..., None], balanced_so_far(strings)
    bits = rng.integers(0, 2, size=(count, rule.input_width, columns - 2))
    encoded = []
    for row in bits:
        numbers = [sum(int(bit) << position for position, bit in enumerate(number)) for number in row]
        if rule.admits is not None:  # as rule.sample does: each draw sorted into the domain (a − b: larger first)
            numbers.sort(reverse=True)
        encoded.append(rule.encode(numbers, columns))
    return np.stack([columns for columns, _ in encoded]), np.stack([targets for _, targets in encoded])


@dataclass(frozen=True, eq=False)
class LengthRow:
    columns: int
    inputs: int
    exact_accuracy: float


@shipped("rule_accuracy_by_length")
@byte_cache(2**20)
def rule_accuracy_by_length(weights: RNNWeights, rule_name: str) -> tuple[LengthRow, ...]:
    """Exact accuracy on :data:`LENGTH_SAMPLES` random inputs at each of :data:`LENGTHS` columns (seeded)."""
    rule = rule_named(rule_name)
    rng = np.random.default_rng(LENGTH_SEED)
    rows = []
    for columns in LENGTHS:
        inputs, targets = random_inputs(rule, columns, LENGTH_SAMPLES, rng)
        exact = accuracy_on(weights, inputs, targets[..., None]).exact_accuracy
        rows.append(LengthRow(columns, LENGTH_SAMPLES, exact))
    return tuple(rows)


# --------------------------------------------------------------------------------------------------
# 6. The transplant: an interchange intervention on the rule's state.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RuleTransplant:
    """Transplant h_t (or some of its units) from a source input whose state after column t differs, run on with
    the base's later columns, and ask whether every later bit is the one the rule writes from the source's state.

    ``follows[name]`` is that rate over every (base, column) pair whose states differ; ``changes`` is the share
    of those pairs where the source's state must change a later bit (where following it is more than
    staying put). ``stays`` is the rate at which the later bits stay the base's own: the baseline of no effect.
    """

    rule: str
    pairs: int  # (base, column) pairs whose states differ
    bases: int
    timesteps: int
    follows: dict[str, float]  # "whole state", "units a, b, c" → share of pairs that follow the source's state
    follows_where_it_changes: dict[str, float]  # … among the pairs where a later bit must change
    stays: dict[str, float]  # … share where the later bits stay exactly the base's
    changes: float
    units: tuple[int, ...]


def _patch(
    weights: RNNWeights, inputs: np.ndarray, hidden: np.ndarray, source_hidden: np.ndarray, units: np.ndarray, step: int
) -> np.ndarray:
    """Later output bits ``(N, T − step − 1)`` after h_step's ``units`` are replaced by the source's."""
    patched = hidden[:, step].copy()
    patched[:, units] = source_hidden[:, step][:, units]
    run = forward(weights, inputs[:, step + 1 :], initial_state=patched)
    return (run.output_probability >= 0.5).astype(np.int64)


@shipped("rule_transplant")
@byte_cache(2**20)
def rule_transplant(weights: RNNWeights, rule_name: str) -> RuleTransplant:
    """The transplant's rates for the whole state and for the readout's top units (cached per network)."""
    rule = rule_named(rule_name)
    rng = np.random.default_rng(TRANSPLANT_SEED)
    inputs, _ = rule.training_set()
    chosen = rng.choice(len(inputs), size=min(TRANSPLANT_BASES, len(inputs)), replace=False)
    sources = rng.choice(len(inputs), size=chosen.size, replace=True)
    base, source = inputs[chosen], inputs[sources]
    base_states, source_states = rule_states(rule, base), rule_states(rule, source)
    hidden, source_hidden = _hidden(weights, base), _hidden(weights, source)
    base_bits = (forward(weights, base).output_probability >= 0.5).astype(np.int64)
    units = state_readout(weights, rule_name).top_units
    alignments = {"whole state": np.arange(weights.hidden_units), _units_name(units): np.array(units)}
    totals = {name: [0, 0, 0] for name in alignments}  # follows, follows where it changes, stays
    pairs = changing = 0
    timesteps = inputs.shape[1]
    for step in range(timesteps - 1):
        differ = base_states[:, step] != source_states[:, step]
        if not differ.any():
            continue
        rest = base[differ, step + 1 :]
        expected = outputs_from(rule, source_states[differ, step], rest)  # (n, R)
        changes = (expected != base_bits[differ, step + 1 :]).any(axis=1)
        pairs += int(differ.sum())
        changing += int(changes.sum())
        for name, chosen_units in alignments.items():
            written = _patch(weights, base[differ], hidden[differ], source_hidden[differ], chosen_units, step)
            followed = (written == expected).all(axis=1)
            totals[name][0] += int(followed.sum())
            totals[name][1] += int((followed & changes).sum())
            totals[name][2] += int((written == base_bits[differ, step + 1 :]).all(axis=1).sum())
    share = lambda count, whole: count / whole if whole else float("nan")  # noqa: E731
    return RuleTransplant(
        rule=rule.name,
        pairs=pairs,
        bases=int(chosen.size),
        timesteps=timesteps,
        follows={name: share(counts[0], pairs) for name, counts in totals.items()},
        follows_where_it_changes={name: share(counts[1], changing) for name, counts in totals.items()},
        stays={name: share(counts[2], pairs) for name, counts in totals.items()},
        changes=share(changing, pairs),
        units=units,
    )


def _units_name(units: tuple[int, ...]) -> str:
    return "units " + ", ".join(str(unit) for unit in units)


# --------------------------------------------------------------------------------------------------
# 2. The extracted machine (explainer.analysis.rule_extraction), cached; words for its inputs.
# --------------------------------------------------------------------------------------------------


@shipped("rule_machine_comparison")
@byte_cache(2**20)
def rule_machine_comparison(weights: RNNWeights, rule_name: str) -> RuleMachineComparison:
    """:func:`extract_rule_machine` for the rule, cached per network (finite rules only)."""
    return extract_rule_machine(weights, rule_named(rule_name))


def columns_text(symbols: Sequence[int], input_names: Sequence[str]) -> str:
    """Input columns (machine symbols, LSB first) in words: ``"a b = 1 0, then 1 1"``."""
    width = len(input_names)
    columns = [" ".join(str(bit) for bit in symbol_bits(int(symbol), width)) for symbol in symbols]
    return f"{' '.join(input_names)} = " + ", then ".join(columns)
