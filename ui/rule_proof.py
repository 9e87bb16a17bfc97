""" "Proof at every length" for a rule other than addition: what the verifier concluded about the network shown.

- The rule's shipped network: its verdict is precomputed (``python -m explainer.verify --rule NAME`` writes
  ``assets/rules/<name>.verdict.json``), read once per server process, a proof's certificate re-checked by the
  separate checker then (:func:`explainer.verify.verdict.shipped_rule_verdict`).
- Another network (trained or uploaded for the rule): a button runs the same verifier in a child process, under
  the page's time limit and the verifier's memory bound, as addition's view does
  (:func:`explainer.verify.verdict.rule_verdict_in_child`); once per network and rule for the whole server.
- Balanced brackets: no finite machine computes the rule, so there is nothing to prove; the view shows where the
  network breaks as nesting deepens (:func:`explainer.analysis.rule_accuracy.accuracy_by_depth`).

The lead wires :func:`rule_proof_ui` in as a view of "What did it learn?" for a rule.
"""

from __future__ import annotations

import streamlit as st

from explainer.analysis.rule_accuracy import DEEPEST_NESTING
from explainer.analysis.rule_insight import rule_depth_accuracy
from explainer.byte_cache import ByteCache
from explainer.figures.rule_proof import counterexample_bits_table, depth_table
from explainer.model.network import RNNWeights
from explainer.rules import Rule
from explainer.verify.memory import VERIFIER_MEMORY_BYTES
from explainer.verify.verdict import KEPT_VERDICT_BYTES, PAGE_TIME_LIMIT, rule_verdict_in_child, shipped_rule_verdict
from explainer.wording import plural
from ui.charts import show_table

VIEW_NAME = "Proof at every length"


@st.cache_resource(show_spinner=False)
def _computed() -> ByteCache:
    """Verdicts computed in the page, keyed by rule and network, shared by every session of the server process."""
    return ByteCache(KEPT_VERDICT_BYTES)


@st.cache_resource(show_spinner=False)  # one entry per rule: the shipped file does not change while serving
def _shipped(rule_name: str) -> dict | None:
    return shipped_rule_verdict(rule_name)


def _depths(weights: RNNWeights):
    """Accuracy by nesting depth, once per brackets network: the cache "What did it learn?" and "Compare the rules"
    read (and the server's background work fills, :mod:`explainer.analysis.rule_warmup`)."""
    return rule_depth_accuracy(weights)


def _key(rule: Rule, weights: RNNWeights) -> str:
    return f"{rule.name}:{weights.fingerprint}"


def known_rule_verdict(rule: Rule, weights: RNNWeights) -> dict | None:
    """The verdict on ``weights`` for ``rule`` if it is already known (shipped, or computed earlier), else None."""
    shipped = _shipped(rule.name)
    if shipped is not None and shipped.get("fingerprint") == weights.fingerprint:
        return {**shipped, "source": "precomputed"}
    return _computed().get(_key(rule, weights))


def _numbers(rule: Rule, numbers: list[int]) -> str:
    return ", ".join(f"{name} = {value}" for name, value in zip(rule.input_names, numbers, strict=True))


def _counterexample_ui(rule: Rule, verdict: dict) -> None:
    example = verdict["counterexample"]
    columns, wrong = example["columns"], example["wrong_column"]
    st.error(
        f"**Wrong in column {wrong + 1} (t = {wrong}):** {_numbers(rule, example['numbers'])} over "
        f"{plural(columns, 'column')}",
        icon=":material/cancel:",
    )
    st.markdown(
        f"Under column {wrong + 1} the network writes {example['network_bits'][wrong]} where the rule writes "
        f"{example['rule_bits'][wrong]}. Checked by running the network and by plain arithmetic on the numbers."
    )
    show_table(counterexample_bits_table(example), key="rule_proof_bits")
    if columns > wrong + 1:
        st.caption(
            f"The last column only makes a ≥ b, as {rule.label.lower()} requires; it changes no earlier bit: the "
            f"network reads the columns in order, so the first {wrong + 1} decide the mistake."
        )
    below = verdict.get("no_counterexample_below")
    if below is not None and below >= wrong + 1:
        st.markdown(
            f"**Bounded proof:** every input of fewer than {wrong + 1} columns is proved right, so this is the "
            "shortest failure."
        )
    elif below is not None:
        st.warning(
            f"**Bounded proof:** every input of fewer than {plural(below, 'column')} is proved right, but the proof "
            f"stops there, so a failure of {below} to {wrong} columns is not ruled out: this is the shortest "
            "*found*, not a proved minimum.",
            icon=":material/warning:",
        )


def _unknown_ui(verdict: dict) -> None:
    st.warning("**Not settled: neither proved for every length nor refuted**", icon=":material/help:")
    below = verdict.get("no_counterexample_below")
    if below is not None and below < 2:
        st.markdown("**No bounded proof:** the time ran out before the first column was proved.")
    elif below is not None:
        st.markdown(
            f"**Bounded proof:** every input of fewer than {plural(below, 'column')} is proved right (boxes of "
            "hidden states run forward from the start, every column at once). Beyond that, no failure was found, "
            "and no set of boxes closed into a proof for every length."
        )
    limit = verdict.get("time_limit", PAGE_TIME_LIMIT)
    st.markdown(
        f"What was tried, within {limit:.0f} s and {VERIFIER_MEMORY_BYTES / 2**20:.0f} MB for the searches' arrays:"
    )
    st.markdown("\n".join(f"- {attempt}" for attempt in verdict.get("tried", ())) or "- (nothing reported)")


def _proved_ui(rule: Rule, verdict: dict) -> None:
    st.success("**Proved for every length**", icon=":material/verified:")
    certificate = verdict.get("certificate") or {}
    block = certificate.get("block_columns", 1)
    boxes = certificate.get("boxes", [])
    states = certificate.get("machine", {}).get("state_names", [])
    st.markdown(
        f"Every hidden state the network reaches after "
        f"{'any column' if block == 1 else f'a multiple of {block} columns'} lies in one of "
        f"{len(boxes)} boxes, each labelled with one of the {len(states)} states of the {rule.state_called}, and the "
        "starting state lies in a box of the start. From every box, for every column it can read next, the "
        "verifier proved that the network writes the rule's bit and lands in a box of the right state. By "
        "induction every output at every length is right. The certificate was re-checked by the separate checker "
        "(its own arithmetic, rounding outwards)."
    )


def _verdict_ui(rule: Rule, verdict: dict) -> None:
    kind = verdict.get("verdict")
    if kind == "proved":
        _proved_ui(rule, verdict)
    elif kind == "counterexample":
        _counterexample_ui(rule, verdict)
    else:
        _unknown_ui(verdict)
    where = (
        f"precomputed for the shipped network by `python -m explainer.verify --rule {rule.name}`"
        if verdict.get("source") == "precomputed"
        else "computed in this page"
    )
    st.caption(f"Verdict {where}, in {verdict.get('seconds', 0):.1f} s of wall time.")


def _brackets_ui(rule: Rule, weights: RNNWeights) -> None:
    st.info(
        "**No finite machine computes this rule**, so there is nothing to prove at every length: the "
        f"{rule.state_called} grows without bound, and a network that keeps finitely many states apart must "
        "fail once the nesting is deeper than it can count.",
        icon=":material/all_inclusive:",
    )
    depths = _depths(weights)
    deepest = depths.deepest_nesting_right
    if deepest < len(depths.nested_right):
        broken = "(" * (deepest + 1) + ")" * (deepest + 1)
        st.markdown(f"**Where it breaks:** nesting {deepest + 1} deep is the first it gets wrong:")
        st.code(broken, language=None)
    else:
        st.markdown(f"Every nesting up to {DEEPEST_NESTING} deep is answered right; deeper ones were not tried.")
    show_table(depth_table(depths), key="rule_proof_depths")


def rule_proof_ui(rule: Rule, weights: RNNWeights) -> None:
    """The verdict on ``weights`` for ``rule``: shipped, computed on request, or (brackets) where it breaks."""
    if rule.machine is None:
        _brackets_ui(rule, weights)
        return
    verdict = known_rule_verdict(rule, weights)
    if verdict is None:
        st.markdown(
            "This is not the rule's shipped network, so its verdict is not known yet. The verifier tries to prove "
            "that it writes the rule's bit in every column of every input, or finds the shortest input it gets wrong."
        )
        if not st.button(
            f"Run the proof on this network (at most {PAGE_TIME_LIMIT:.0f} s)", key="rule_proof_run", type="primary"
        ):
            return
        with st.spinner(f"Running the verifier on this network (at most {PAGE_TIME_LIMIT:.0f} s)…", show_time=True):
            verdict = _computed().get_or_compute(
                _key(rule, weights), lambda: rule_verdict_in_child(weights, rule.name, PAGE_TIME_LIMIT)
            )
    _verdict_ui(rule, verdict)
