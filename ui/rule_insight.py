"""A MINIMAL stand-in, replaced by the rulelearned branch: "What did it learn?" and "Compare the rules" for a rule.

The page calls :func:`rule_insight_ui` and :func:`compare_rules_ui` (``ui/rule_page.py``); this version shows the
network's exact accuracy, the extracted machine beside the rule's minimal machine, and a table of the rules.
"""

from __future__ import annotations

import streamlit as st

from explainer.analysis.rule_accuracy import accuracy_by_depth, check_columns, exhaustive_accuracy
from explainer.analysis.rule_extraction import extract_rule_machine
from explainer.files.keras_file import read_sidecar, rule_model_path
from explainer.model.network import RNNWeights
from explainer.rules import RULES, Rule

RULE_VIEWS: tuple[str, ...] = ("Accuracy and the machine",)


@st.cache_data(max_entries=32, show_spinner="Checking every short input…")
def _accuracy(name: str, fingerprint: str, _weights: RNNWeights) -> dict:
    rule = RULES[name]
    if rule.machine is None:
        return accuracy_by_depth(_weights).as_dict()
    return exhaustive_accuracy(_weights, rule).as_dict()


@st.cache_data(max_entries=16, show_spinner="Extracting the machine from the hidden states…")
def _machine(name: str, fingerprint: str, _weights: RNNWeights) -> dict:
    comparison = extract_rule_machine(_weights, RULES[name])
    return {
        "states": comparison.minimal.state_count,
        "rule states": comparison.rule_minimal.state_count,
        "isomorphic": comparison.isomorphic,
        "counterexample": comparison.counterexample,
        "fidelity": comparison.fidelity,
        "columns": comparison.fidelity_columns,
    }


def rule_insight_ui(rule: Rule, weights: RNNWeights) -> None:
    """The network's accuracy on every short input (by nesting depth for brackets) and, for a finite rule, the
    machine extracted from its hidden states beside the rule's minimal machine."""
    accuracy = _accuracy(rule.name, weights.fingerprint, weights)
    if rule.machine is None:
        st.markdown(
            f"**No finite machine computes {rule.label.lower()}**: the depth grows without bound. The network answers "
            f"every nesting “(” × d + “)” × d right up to d = {accuracy['deepest_nesting_right']} "
            f"(checked up to {accuracy['nested_checked_up_to']})."
        )
        return
    columns = check_columns(rule)
    st.markdown(
        f"**Exact on {accuracy['exact_accuracy']:.2%}** of the {accuracy['pairs']:,} inputs whose numbers fit "
        f"{columns} bits (every one of them, checked in numpy)."
    )
    if not st.toggle("Extract the machine from the hidden states (takes seconds)", key="rule_extract_machine"):
        return
    machine = _machine(rule.name, weights.fingerprint, weights)
    if machine["isomorphic"]:
        verdict = "the same machine as the rule's minimal one, states renamed"
    else:
        verdict = f"not the rule's minimal machine (they part on input {machine['counterexample']})"
    st.markdown(
        f"The machine read off the hidden states has **{machine['states']} states**; the rule needs "
        f"{machine['rule states']}. It is {verdict}. It writes the network's bits on {machine['fidelity']:.2%} of "
        f"the inputs whose numbers fit {machine['columns']} bits."
    )


def compare_rules_ui() -> None:
    """One row per rule: the states it needs and its shipped network's exact accuracy, as its sidecar records it
    (the numbers ``tests/test_rule_networks.py`` checks against a fresh measurement)."""
    rows = []
    for name, rule in RULES.items():
        if name == "addition":
            continue
        sidecar = read_sidecar(rule_model_path(name))
        if rule.machine is None:
            measured = f"right up to nesting {sidecar['accuracy_by_depth']['deepest_nesting_right']}"
        else:
            columns = check_columns(rule)
            exact = sidecar[f"accuracy_every_input_{columns}_columns"]["exact_accuracy"]
            measured = f"{exact:.2%} exact, numbers of {columns} bits"
        states = "unbounded" if rule.minimal_state_count is None else str(rule.minimal_state_count)
        rows.append({"rule": rule.label, "states it needs": states, "shipped network": measured})
    st.dataframe(rows, hide_index=True, key="compare_rules_table")
