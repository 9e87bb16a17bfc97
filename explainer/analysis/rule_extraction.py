"""The machine extracted from a rule's network (:mod:`explainer.rules`), compared with the rule's minimal machine.

The same method as addition's (:mod:`explainer.analysis.extraction`): k-means over the hidden states, a
majority-vote transition table, minimised; here over the rule's training set run as whole sequences (no prefix
tree, which is addition's), and for one k-means seed. The comparison says whether the network's machine is the
rule's (an explicit pairing of states when it is, a shortest input where they part otherwise) and how faithful it
is beyond the inputs it was read from (every input of the rule's exhaustive check). As Kolen (1994) warns, a
machine read off finitely many inputs is a claim about those inputs: ``fidelity`` says on which.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.analysis.extraction import KMEANS_SAMPLE, kmeans, majority_machine, nearest_centroid
from explainer.analysis.mealy import MealyMachine, compare_machines, minimise
from explainer.analysis.rule_accuracy import check_columns
from explainer.model.network import RNNWeights, forward
from explainer.rules import Rule
from explainer.rules.rule import columns_to_symbols


@dataclass(frozen=True, eq=False)
class RuleMachineComparison:
    """A rule network's extracted machine beside the rule's minimal machine."""

    rule: str
    cluster_count: int  # k: clusters of h_t (the raw machine has k + 1 states with the start)
    raw: MealyMachine
    minimal: MealyMachine  # the raw machine minimised
    rule_minimal: MealyMachine  # the rule's own machine minimised
    equivalent: bool  # the two minimal machines write the same bits on every input
    pairing: dict[int, int]  # extracted minimal state → the rule's minimal state (empty unless one-to-one)
    counterexample: tuple[int, ...] | None  # a shortest input (symbols, LSB first) where they part
    training_fidelity: float  # share of training inputs on which ``minimal`` writes the network's bits everywhere
    fidelity: float  # … of every input of the exhaustive check (``check_columns`` columns)
    fidelity_columns: int

    @property
    def isomorphic(self) -> bool:
        """Equivalent with the same number of states, paired one to one: the same machine, states renamed."""
        return self.equivalent and self.minimal.state_count == self.rule_minimal.state_count and bool(self.pairing)


def _network_run(weights: RNNWeights, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(hidden (N, T, H), output bits (N, T), symbols (N, T))`` of the network on ``inputs (N, T, W)``."""
    run = forward(weights, inputs)
    return run.hidden, (run.output_probability >= 0.5).astype(np.int64), columns_to_symbols(inputs)


def _fidelity(machine: MealyMachine, bits: np.ndarray, symbols: np.ndarray) -> float:
    return float((machine.run(symbols) == bits).all(axis=1).mean())


def extract_rule_machine(
    weights: RNNWeights, rule: Rule, max_clusters: int = 48, seed: int = 0
) -> RuleMachineComparison:
    """Cluster the network's hidden states on the rule's training set, read off and minimise the table, compare.

    k is the smallest in 2…``max_clusters`` whose raw machine writes the network's bits on every training input
    (or the best). The shipped networks need many more clusters than states before a table writes their bits on
    every training input (divisibility 23, three numbers 29), hence the default of 48; minimising merges them.
    Raises ``ValueError`` for a rule with no finite machine (balanced brackets).
    """
    if rule.machine is None:
        raise ValueError(f"{rule.label} has no finite machine to compare with; measure it by depth instead.")
    inputs, _ = rule.training_set()
    hidden, bits, symbols = _network_run(weights, inputs)
    count, timesteps, units = hidden.shape
    points = hidden.reshape(-1, units)  # (N·T, H)
    rng = np.random.default_rng(seed)
    sample = np.unique(rng.choice(len(points), size=min(KMEANS_SAMPLE, len(points)), replace=False))
    best = None
    for clusters in range(2, max_clusters + 1):
        centroids = kmeans(points[sample], np.ones(sample.size), clusters, np.random.default_rng(seed))
        labels = nearest_centroid(points, centroids).reshape(count, timesteps)  # (N, T)
        source = np.concatenate([np.full((count, 1), clusters), labels[:, :-1]], axis=1)  # (N, T): the start first
        raw, _ = majority_machine(
            source.ravel(),
            symbols.ravel(),
            labels.ravel(),
            bits.ravel(),
            np.ones(labels.size),
            clusters,
            2**rule.input_width,
        )
        fidelity = _fidelity(raw, bits, symbols)
        if best is None or fidelity > best[0]:
            best = (fidelity, clusters, raw)
        if fidelity == 1.0:
            break
    _, clusters, raw = best
    minimal, _ = minimise(raw)
    rule_minimal, _ = minimise(rule.machine)
    equivalent, pairing, counterexample = compare_machines(minimal, rule_minimal)
    columns = check_columns(rule)
    agree = [
        (minimal.run(chunk_symbols) == chunk_bits).all(axis=1)
        for _, chunk_bits, chunk_symbols in (
            _network_run(weights, chunk) for chunk, _ in rule.exhaustive_chunks(columns)
        )
    ]
    return RuleMachineComparison(
        rule=rule.name,
        cluster_count=clusters,
        raw=raw,
        minimal=minimal,
        rule_minimal=rule_minimal,
        equivalent=equivalent,
        pairing=pairing,
        counterexample=counterexample,
        training_fidelity=_fidelity(minimal, bits, symbols),
        fidelity=float(np.concatenate(agree).mean()),
        fidelity_columns=columns,
    )
