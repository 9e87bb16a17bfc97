"""The extracted machine: cluster the hidden states, read off a transition table, minimise it, and compare
it with the carry machine of written addition."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from explainer.analysis.ablation import Ablation
from explainer.analysis.exhaustive import INPUT_SYMBOLS, ExhaustiveStates, exhaustive_states, weighted_mean
from explainer.encoding import TRAINING_OPERAND_BITS, add_column
from explainer.network import RNNWeights, check_ablation, read_only

# Pair-steps k-means is fitted on when extracting the machine: enough to find every kind of state the
# network visits (the rarest, the first column, is 1/8 of all steps), few enough to sweep k in well under 1 s.
KMEANS_SAMPLE = 4000
# k-means depends on its random start, so the machine is extracted once per seed and one is kept by
# MACHINE_CHOICE: the result must not hang on one lucky (or unlucky) seed, and the page shows how stable it is.
MACHINE_SEEDS = tuple(range(10))
MACHINE_CHOICE = (
    "the minimal machine most seeds agree on; among those seeds, the best fidelity of the raw machine on the "
    "16,384 pairs, then the fewest clusters, then the lowest seed"
)


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
_COLUMNS = [[add_column(a, b, carry) for a, b in INPUT_SYMBOLS] for carry in (0, 1)]  # (sum bit, carry out)
CARRY_MACHINE = _frozen_machine(
    ("carry 0", "carry 1"),
    0,
    np.array([[carry_out for _, carry_out in row] for row in _COLUMNS]),
    np.array([[sum_bit for sum_bit, _ in row] for row in _COLUMNS]),
)


def minimise(machine: MealyMachine) -> tuple[MealyMachine, np.ndarray]:
    """The smallest machine with the same behaviour, by partition refinement (Moore's algorithm).

    Unreachable states are dropped first; undefined transitions are treated as going to a sink that
    answers nothing, so only states that are undefined in the same places can merge. The sink never merges
    with a real state (even one with no observed successors), so every observed transition keeps its output.
    States are numbered in breadth-first order from the start.
    Returns ``(minimal machine, block of each original state or −1)``.
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
    # Start from "same outputs on every input", then split blocks until successors agree as well. The sink
    # starts in a block of its own: a real state with no observed successors answers nothing too, but the
    # transitions *into* it were observed, and merging it with "never seen" would erase their outputs.
    block = {state: (state == sink, tuple(output[state])) for state in alive}
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


@dataclass(frozen=True)
class SeedRun:
    """What one k-means seed gave: its cluster count, how far its raw machine is from the network, and the
    minimal machine it boils down to (``minimal_key`` is equal exactly when two minimal tables are equal)."""

    seed: int
    cluster_count: int
    raw_fidelity_7bit: float
    minimal_states: int
    equivalent: bool  # the minimal machine is the carry machine of written addition
    minimal_key: bytes


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
    seed: int  # the k-means seed whose clustering was kept (by MACHINE_CHOICE)
    seed_runs: tuple[SeedRun, ...]  # every seed tried, in order: how stable the extraction is
    raw_fidelity_7bit: float  # the raw (cluster) machine, before minimising, on the 16,384 pairs
    raw_fidelity_8bit: float  # … and on the 65,536 8-bit pairs: it can differ from the network where minimal cannot

    def stability_sentence(self) -> str:
        """'k-means with 10 seeds (0–9): 8 of 10 give a machine that minimises to …' — for captions."""
        runs = self.seed_runs
        same = [run for run in runs if run.minimal_key == self._kept_run.minimal_key]
        seeds = f"{runs[0].seed}–{runs[-1].seed}" if len(runs) > 1 else f"{runs[0].seed}"
        states = self.minimal.state_count
        what = "the 2-state carry machine" if self.equivalent_to_carry_machine else f"this {states}-state machine"
        sentence = (
            f"k-means with {len(runs)} seed{'s' if len(runs) != 1 else ''} ({seeds}): {len(same)} of {len(runs)} "
            f"give{'s' if len(same) == 1 else ''} a machine that minimises to {what}"
        )
        others = [run for run in runs if run.minimal_key != self._kept_run.minimal_key]
        if others:
            sentence += "; the others minimise to " + ", ".join(
                f"{run.minimal_states} state{'s' if run.minimal_states != 1 else ''} (seed {run.seed}"
                f"{', the carry machine' if run.equivalent else ''})"
                for run in others
            )
        counts = sorted(run.cluster_count for run in runs)
        sentence += (
            f". Cluster counts: {', '.join(str(count) for count in counts)}. Kept: seed {self.seed}'s "
            f"{self.cluster_count} clusters ({MACHINE_CHOICE})."
        )
        return sentence

    @property
    def _kept_run(self) -> SeedRun:
        return next(run for run in self.seed_runs if run.seed == self.seed)

    def fidelity_sentence(self, network_exact_8bit: float) -> str:
        """What the fidelity numbers do and do not show; ``network_exact_8bit`` is the network's exact accuracy
        on the 65,536 8-bit pairs (run with the same ablation)."""
        sentence = (
            "Fidelity: the share of pairs on which the machine, run on its own, writes exactly the network's bits."
        )
        if self.equivalent_to_carry_machine:
            sentence += (
                " The minimal machine is the carry machine, which writes the true sum, so its fidelity is the "
                f"network's own exact accuracy ({network_exact_8bit:.2%} on the 65,536 8-bit pairs): not an "
                "independent test."
            )
        sentence += (
            f" The raw machine, before minimising ({self.raw.state_count} states: {self.cluster_count} clusters and "
            f"the start), can differ from the network: it writes the network's bits on {self.raw_fidelity_7bit:.2%} "
            f"of the 16,384 pairs it was read from and on {self.raw_fidelity_8bit:.2%} of the 65,536 8-bit pairs "
            "(9 columns; a transition it never saw counts as a miss)."
        )
        return sentence

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
    # |p − c|² = |p|² − 2 p·c + |c|²; |p|² is the same for every centroid, so the argmin does without it
    # (this runs hundreds of times per extraction: one seed sweep per k-means seed).
    distance = (centroids**2).sum(1)[None] - 2 * points @ centroids.T  # (M, k)
    return distance.argmin(1)


def _machine_from_clusters(states: ExhaustiveStates, labels: np.ndarray, clusters: int) -> tuple[MealyMachine, float]:
    """Majority-vote transition table (state, symbol) → (next cluster, network's output bit)."""
    start = clusters  # the raw machine's last state is h_{-1} = 0
    source = np.where(states.parent >= 0, labels[np.maximum(states.parent, 0)], start)
    row = source * 4 + states.symbol
    outcome = labels * 2 + states.predicted_bit
    cells = ((clusters + 1) * 4, clusters * 2)
    tally = np.bincount(
        np.ravel_multi_index((row, outcome), cells), weights=states.weight, minlength=cells[0] * cells[1]
    )
    tally = tally.reshape(cells)
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
    return weighted_mean(all_agree[leaves], states.weight[leaves])


def _cluster_sweep(training: ExhaustiveStates, max_clusters: int, seed: int) -> tuple:
    """One seed: the fewest clusters in 2…``max_clusters`` whose raw machine writes the network's bits on every
    training pair, or the best one. Returns ``(raw fidelity, clusters, centroids, raw machine, consistency)``."""
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
    return best


@lru_cache(maxsize=8)
def _extract_machine(
    weights: RNNWeights, ablation: Ablation | None, max_clusters: int, seeds: tuple[int, ...]
) -> ExtractedMachine:
    training = exhaustive_states(weights, TRAINING_OPERAND_BITS, ablation)
    longer = exhaustive_states(weights, 8, ablation)
    candidates, runs = {}, []
    for seed in seeds:
        raw_fidelity, clusters, centroids, raw, consistency = _cluster_sweep(training, max_clusters, seed)
        minimal, mapping = minimise(raw)
        equivalent, pairing, counter_symbols = compare_machines(minimal, CARRY_MACHINE)
        key = minimal.next_state.tobytes() + minimal.output.tobytes() + bytes([minimal.start])
        runs.append(SeedRun(seed, clusters, raw_fidelity, minimal.state_count, equivalent, key))
        candidates[seed] = (raw, consistency, centroids, minimal, mapping, equivalent, pairing, counter_symbols)
    # MACHINE_CHOICE: the most common minimal machine, then the best raw fidelity, the fewest clusters, the lowest seed.
    agreeing = {run.minimal_key: sum(other.minimal_key == run.minimal_key for other in runs) for run in runs}
    kept = min(runs, key=lambda run: (-agreeing[run.minimal_key], -run.raw_fidelity_7bit, run.cluster_count, run.seed))
    raw, consistency, centroids, minimal, mapping, equivalent, pairing, counter_symbols = candidates[kept.seed]
    clusters = kept.cluster_count
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
        seed=kept.seed,
        seed_runs=tuple(runs),
        raw_fidelity_7bit=kept.raw_fidelity_7bit,
        raw_fidelity_8bit=machine_fidelity(raw, longer),
    )


def extract_machine(
    weights: RNNWeights,
    ablation: Ablation | None = None,
    max_clusters: int = 16,
    seeds: tuple[int, ...] = MACHINE_SEEDS,
) -> ExtractedMachine:
    """Cluster the hidden states, read off and minimise the transition table, and measure its fidelity.

    Clusters come from weighted k-means (k-means++ seeding) over every h_t of the 16,384 training pairs; for
    each seed, k is the smallest number in 2…``max_clusters`` whose machine writes the network's bits on every
    training pair, or the best one if none does. One seed's result is kept by ``MACHINE_CHOICE``; every seed's
    is in ``seed_runs``. Fidelity of the minimal machine is measured on the 16,384 pairs and on all 65,536 8-bit
    pairs (operands and sequences longer than anything the clusters were fitted on); when the minimal machine
    is the carry machine, that fidelity is simply the network's exact accuracy, so the raw machine's fidelity
    (``raw_fidelity_8bit``) is the one that can show the clustering missing something. Cached per network.
    """
    if isinstance(max_clusters, bool) or not isinstance(max_clusters, int) or not 2 <= max_clusters <= 64:
        raise ValueError(f"max_clusters must be an int in 2–64; got {max_clusters!r}.")
    seeds = tuple(int(seed) for seed in seeds)
    if not seeds:
        raise ValueError("seeds must name at least one k-means seed.")
    check_ablation(weights, ablation)
    return _extract_machine(weights, ablation, max_clusters, seeds)
