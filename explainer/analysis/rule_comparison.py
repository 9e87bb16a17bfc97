""" "Compare the rules": every rule's shipped network side by side, worked out once and shipped.

The comparison is about the shipped networks only, and working it out takes ~40 s of one core (each rule's
machine extraction, correctness map, readout, transplant): a visitor who opened it first on a fresh server waited
about a minute. So ``python -m explainer.analysis.shipped_analyses`` (with every rule's other analyses,
:mod:`explainer.analysis.shipped_analyses`) writes it to ``assets/rules/comparison.json`` with the fingerprint of each
network it was worked out for; the page reads that file when every fingerprint
matches the networks it has, and works it out itself otherwise (``tests/test_rule_comparison.py`` recomputes the
file and compares).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

from explainer.analysis.rule_accuracy import check_columns
from explainer.analysis.rule_insight import (
    READOUT_UNITS,
    minimal_machine,
    rule_correctness,
    rule_depth_accuracy,
    rule_machine_comparison,
    rule_transplant,
    state_readout,
)
from explainer.model.network import RNNWeights
from explainer.paths import PROJECT_ROOT
from explainer.rules import RULES

COMPARISON_PATH = PROJECT_ROOT / "assets" / "rules" / "comparison.json"


def comparison_record(
    weights_of: Callable[[str], RNNWeights], progress: Callable[[int, str], None] | None = None
) -> dict:
    """Every rule's row of the comparison (the "proved" column apart: it is read from the verdicts), the states
    each finite rule needs and its network's machine has, and brackets' nesting answers, for ``weights_of(name)``.
    ``progress(done, label)`` is told before each rule is worked out."""
    rows, needed, found, nested_right, deepest, fingerprints = [], {}, {}, [], 0, {}
    for done, (name, rule) in enumerate(RULES.items()):
        if progress is not None:
            progress(done, rule.label)
        weights = weights_of(name)
        fingerprints[name] = weights.fingerprint
        readout = state_readout(weights, name)
        transplant = rule_transplant(weights, name)
        units_name = next(key for key in transplant.follows if key != "whole state")
        if rule.machine is None:
            depth = rule_depth_accuracy(weights)
            nested_right, deepest = [bool(right) for right in depth.nested_right], depth.deepest_nesting_right
            states_needed, states_found = "no finite number", "—"
            exact = f"right to nesting {depth.deepest_nesting_right} (of {len(depth.nested_right)})"
        else:
            comparison = rule_machine_comparison(weights, name)
            needed[name] = minimal_machine(name).state_count
            found[name] = comparison.minimal.state_count
            states_needed = str(needed[name])
            states_found = f"{found[name]}" + (" (same machine)" if comparison.isomorphic else "")
            exact = f"{rule_correctness(weights, name).exact:.2%} up to {check_columns(rule)} bits"
        rows.append(
            {
                "rule": rule.label,
                "what it keeps": rule.state_called,
                "states the rule needs": states_needed,
                "states in the network's machine": states_found,
                "readout names the state": f"{readout.accuracy:.1%}",
                "transplant: whole state": f"{transplant.follows_where_it_changes['whole state']:.1%}",
                f"transplant: {READOUT_UNITS} units": f"{transplant.follows_where_it_changes[units_name]:.1%}",
                "exact on every short input": exact,
            }
        )
    return {
        "fingerprints": fingerprints,
        "rows": rows,
        "needed": needed,
        "found": found,
        "nested_right": nested_right,
        "deepest_nesting_right": deepest,
    }


def read_comparison(fingerprints: Mapping[str, str]) -> dict | None:
    """The shipped comparison if it was worked out for exactly these networks (``{rule: fingerprint}``), else None."""
    try:
        record = json.loads(COMPARISON_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("fingerprints") != dict(fingerprints):
        return None
    return record


def write_comparison(weights_of: Callable[[str], RNNWeights]) -> Path:
    """Work out the comparison for ``weights_of(name)`` and write it to :data:`COMPARISON_PATH`."""
    record = comparison_record(weights_of)
    COMPARISON_PATH.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return COMPARISON_PATH
