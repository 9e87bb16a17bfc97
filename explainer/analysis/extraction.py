"""The extracted machine: cluster the hidden states, read off a transition table, minimise it, and compare
it with the carry machine of written addition."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.analysis.exhaustive import ExhaustiveStates, exhaustive_states, weighted_mean
from explainer.analysis.mealy import (
    CARRY_MACHINE,
    MealyMachine,
    compare_machines,
    frozen_machine,
    minimise,
    symbols_to_pair,
)
from explainer.byte_cache import byte_cache
from explainer.model.ablation import Ablation
from explainer.model.encoding import TRAINING_OPERAND_BITS
from explainer.model.network import RNNWeights, check_ablation, read_only
from explainer.wording import a_or_an, plural

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

    def states_of(self, hidden: np.ndarray) -> np.ndarray:
        """The state of the minimal machine each hidden state of one run is in: ``hidden`` (T, H) → (T,) state
        numbers, through each h_t's nearest cluster (−1 for a cluster minimising dropped as unreachable)."""
        hidden = np.asarray(hidden, dtype=np.float64)
        if hidden.ndim != 2 or hidden.shape[1] != self.centroids.shape[1]:
            raise ValueError(f"hidden must be (T, {self.centroids.shape[1]}); got {hidden.shape}.")
        return self.cluster_to_minimal[nearest_centroid(hidden, self.centroids)]

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


def kmeans(
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
    labels = nearest_centroid(points, centroids)
    weighted = points * weight[:, None]
    for _ in range(iterations):
        membership = np.zeros((clusters, len(points)))
        membership[labels, np.arange(len(points))] = 1.0  # (k, M): a matrix product sums each cluster at once
        mass = membership @ weight  # (k,)
        totals = membership @ weighted  # (k, H)
        centroids = np.where(mass[:, None] > 0, totals / np.maximum(mass, 1e-300)[:, None], centroids)
        updated = nearest_centroid(points, centroids)
        if (updated == labels).all():
            break
        labels = updated
    return centroids


def nearest_centroid(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    # |p − c|² = |p|² − 2 p·c + |c|²; |p|² is the same for every centroid, so the argmin does without it
    # (this runs hundreds of times per extraction: one seed sweep per k-means seed).
    distance = (centroids**2).sum(1)[None] - 2 * points @ centroids.T  # (M, k)
    return distance.argmin(1)


def _machine_from_clusters(states: ExhaustiveStates, labels: np.ndarray, clusters: int) -> tuple[MealyMachine, float]:
    """Majority-vote transition table (state, symbol) → (next cluster, network's output bit)."""
    source = np.where(states.parent >= 0, labels[np.maximum(states.parent, 0)], clusters)
    return majority_machine(source, states.symbol, labels, states.predicted_bit, states.weight, clusters, 4)


def majority_machine(
    source: np.ndarray,
    symbol: np.ndarray,
    labels: np.ndarray,
    predicted_bit: np.ndarray,
    weight: np.ndarray,
    clusters: int,
    symbol_count: int,
) -> tuple[MealyMachine, float]:
    """The raw machine of clustered steps, by majority vote, and the share of steps that agree with it.

    Each step (arrays ``(M,)``) goes from cluster ``source`` (``clusters`` for the start, h_{-1} = 0) on input
    ``symbol`` to cluster ``labels`` writing ``predicted_bit``, and counts ``weight`` times.
    """
    start = clusters  # the raw machine's last state is h_{-1} = 0
    row = source * symbol_count + symbol
    outcome = labels * 2 + predicted_bit
    cells = ((clusters + 1) * symbol_count, clusters * 2)
    tally = np.bincount(np.ravel_multi_index((row, outcome), cells), weights=weight, minlength=cells[0] * cells[1])
    tally = tally.reshape(cells)
    seen = tally.sum(1) > 0
    best = tally.argmax(1)
    next_state = np.where(seen, best // 2, -1).reshape(clusters + 1, symbol_count)
    output = np.where(seen, best % 2, -1).reshape(clusters + 1, symbol_count)
    consistency = float(tally.max(1).sum() / tally.sum())
    names = (*(f"C{index}" for index in range(clusters)), "start")
    return frozen_machine(names, start, next_state, output), consistency


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
        centroids = kmeans(training.hidden[sample], sample_count.astype(np.float64), clusters, rng)
        labels = nearest_centroid(training.hidden, centroids)
        raw, consistency = _machine_from_clusters(training, labels, clusters)
        fidelity = machine_fidelity(raw, training)
        if best is None or fidelity > best[0]:
            best = (fidelity, clusters, centroids, raw, consistency)
        if fidelity == 1.0:  # the fewest clusters that reproduce the network on every training pair
            break
    return best


@byte_cache(16 * 2**20)
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
        f"{clusters} clusters of hidden states (plus the start) give {a_or_an(raw.state_count)} "
        f"{raw.state_count}-state table that minimises to {plural(minimal.state_count, 'state')}. "
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
