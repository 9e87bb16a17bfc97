"""What did the network learn? Probes, projections, an extracted state machine, ablations, and checks.

One module per analysis; each runs over *all* pairs (16,384 with 7-bit operands, 65,536 with 8-bit
operands) through :mod:`explainer.analysis.exhaustive` and is cached per network and per
:class:`Ablation`:

- :mod:`~explainer.model.ablation`: which units are held, and its URL form (``?ablate=3,7&clamp=5:0.9``)
- :mod:`~explainer.analysis.ablation_effects`: every unit zeroed and held at its mean; where errors fall
- :mod:`~explainer.analysis.exhaustive`: every pair at once, as a prefix tree
- :mod:`~explainer.analysis.probe`: the carry probe
- :mod:`~explainer.analysis.state_space`: the state space (PCA)
- :mod:`~explainer.analysis.extraction`: the extracted finite-state machine
- :mod:`~explainer.analysis.correctness`: the correctness map and exact accuracy
- :mod:`~explainer.analysis.length`: accuracy at any length
- :mod:`~explainer.analysis.logit_split`: the logit split
- :mod:`~explainer.analysis.interchange`: interchange interventions (transplant the carry) and their IIA
- :mod:`~explainer.analysis.alignment_search`: the IIA table of alignments, the learned direction, the visited span
"""

from explainer.analysis import (
    ablation_effects,
    alignment_search,
    correctness,
    exhaustive,
    extraction,
    length,
)
from explainer.analysis.ablation_effects import (
    ErrorLocations,
    UnitAblation,
    error_locations,
    every_unit_ablated,
    every_unit_sentence,
)
from explainer.analysis.correctness import correctness_grid, exact_accuracy
from explainer.analysis.exhaustive import (
    INPUT_SYMBOLS,
    MAX_EXHAUSTIVE_OPERAND_BITS,
    ExhaustiveStates,
    exhaustive_states,
)
from explainer.analysis.extraction import (
    CARRY_MACHINE,
    KMEANS_SAMPLE,
    MACHINE_CHOICE,
    MACHINE_SEEDS,
    ExtractedMachine,
    MealyMachine,
    SeedRun,
    compare_machines,
    extract_machine,
    machine_fidelity,
    minimise,
    symbols_to_pair,
)
from explainer.analysis.length import (
    DEFAULT_LENGTHS,
    LengthAccuracy,
    accuracy_by_length,
    random_pairs_with_sum_bits,
)
from explainer.analysis.logit_split import LogitSplit, carried_part_turns_the_bit, logit_split, split_sentences
from explainer.analysis.probe import (
    CARRY_PROBE_MIN_ACCURACY,
    CARRY_UNIT_CRITERION,
    CARRY_UNIT_SHARE,
    PROBE_CARRY_IN,
    PROBE_CARRY_IN_LABEL,
    PROBE_CARRY_OUT,
    PROBE_CARRY_OUT_LABEL,
    CarryProbe,
    carry_probe,
    first_disagreement,
)
from explainer.analysis.state_space import MAX_STATE_SPACE_POINTS, StateSpace, state_space
from explainer.model.ablation import (
    Ablation,
    describe_ablation,
    format_ablation_query,
    make_ablation,
    parse_ablation_query,
)


def clear_caches() -> None:
    """Forget every cached analysis (for benchmarks that time cold runs, and for tests)."""
    for cached in (
        exhaustive._exhaustive_states,
        carry_probe,
        state_space,
        extraction._extract_machine,
        correctness._correctness_grid,
        correctness._exact_accuracy,
        length._accuracy_by_length,
        ablation_effects.every_unit_ablated,
        alignment_search._interchange_table,
        carried_part_turns_the_bit,
    ):
        cached.cache_clear()


__all__ = [
    "CARRY_MACHINE",
    "CARRY_PROBE_MIN_ACCURACY",
    "CARRY_UNIT_CRITERION",
    "CARRY_UNIT_SHARE",
    "DEFAULT_LENGTHS",
    "INPUT_SYMBOLS",
    "KMEANS_SAMPLE",
    "MACHINE_CHOICE",
    "MACHINE_SEEDS",
    "MAX_EXHAUSTIVE_OPERAND_BITS",
    "MAX_STATE_SPACE_POINTS",
    "PROBE_CARRY_IN",
    "PROBE_CARRY_IN_LABEL",
    "PROBE_CARRY_OUT",
    "PROBE_CARRY_OUT_LABEL",
    "Ablation",
    "CarryProbe",
    "ErrorLocations",
    "ExhaustiveStates",
    "ExtractedMachine",
    "LengthAccuracy",
    "LogitSplit",
    "MealyMachine",
    "SeedRun",
    "StateSpace",
    "UnitAblation",
    "accuracy_by_length",
    "carried_part_turns_the_bit",
    "carry_probe",
    "clear_caches",
    "compare_machines",
    "correctness_grid",
    "describe_ablation",
    "error_locations",
    "every_unit_ablated",
    "every_unit_sentence",
    "exact_accuracy",
    "exhaustive_states",
    "extract_machine",
    "first_disagreement",
    "format_ablation_query",
    "logit_split",
    "machine_fidelity",
    "make_ablation",
    "minimise",
    "parse_ablation_query",
    "random_pairs_with_sum_bits",
    "split_sentences",
    "state_space",
    "symbols_to_pair",
]
