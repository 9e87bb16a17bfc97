"""Tables for a rule's "Proof at every length" view (``ui/rule_proof.py``): pure functions of the verifier's JSON
and of :class:`explainer.analysis.rule_accuracy.DepthAccuracy`."""

from __future__ import annotations

from explainer.analysis.rule_accuracy import DepthAccuracy


def written_bits(bits: list[int]) -> str:
    """Bits as the written form shows them: the highest column first."""
    return "".join(str(int(bit)) for bit in reversed(bits))


def counterexample_bits_table(example: dict) -> dict[str, list[str]]:
    """The network's bits and the rule's over a counterexample's columns (a verifier counterexample of a rule)."""
    return {
        "": ["the network writes", "the rule writes"],
        f"bits, column {example['columns']} … 1": [
            written_bits(example["network_bits"]),
            written_bits(example["rule_bits"]),
        ],
    }


def depth_table(depths: DepthAccuracy) -> dict[str, list]:
    """Per deepest nesting: how many strings of ``depths.columns`` brackets reach it, and the share answered right."""
    order = sorted(depths.by_depth)
    return {
        "deepest nesting": order,
        f"strings of {depths.columns} brackets": [depths.strings_by_depth[depth] for depth in order],
        "answered right in every column": [f"{depths.by_depth[depth]:.1%}" for depth in order],
    }
