"""The words a student may not know, each with one plain sentence: one glossary for every view.

A view that shows one of these terms explains it where it appears, from here: as a widget's ``help=`` tooltip
(:func:`explain`) or as a short caption under the view (:func:`words_caption`). Where a plain word does the job,
the view uses the plain word instead and needs no entry. Nothing here imports streamlit.
"""

from __future__ import annotations

GLOSSARY: dict[str, str] = {
    "logit": "The number the network turns into its answer: above 0 it writes 1, below 0 it writes 0; "
    "the further from 0, the surer it is.",
    "Shapley value": "A fair way to split a total between parts that act together: each part gets its average "
    "effect over every order in which the parts could be added.",
    "zonotope": "A shape the verifier draws around many hidden states at once, so one calculation covers them "
    "all instead of one state at a time.",
    "abstract state": "A box of hidden states (a range for every unit) that the proof treats as one state.",
    "column pattern": "The two bits of one column: 0 0, 0 1, 1 0 or 1 1. A proof step must hold for each pattern.",
    "k-means": "A way to sort points into a chosen number of groups, each point going to the nearest group "
    "centre; run from several random starts (seeds), and the best grouping kept.",
    "fidelity": "How often the extracted machine writes exactly the network's bits, over the sums counted.",
    "attractor": "A hidden state the network settles into when the same column pattern repeats, like a ball "
    "rolling to the bottom of a bowl.",
    "direction of most spread": "Hidden states have 16 numbers each; these two directions (principal "
    "components) keep as much of the differences between states as any flat picture can. The share says how much.",
    "probe weight × spread": "How much a unit moves the probe's reading: the size of the probe's weight on the "
    "unit times how much that unit varies.",
    "linear probe": "A straight cut through the hidden numbers that tries to read the carry off them; it only "
    "reads, it does not change the network.",
    "binary cross-entropy": "The training loss: small when the network gives a high chance to each right bit, "
    "large when it is confident and wrong.",
    "loss": "The number training pushes down: how far the network's answers are from the right bits.",
    "ablation": "Switching hidden units off (or holding them at a value) to see what the network does without them.",
    "counterexample": "A sum the network gets wrong, found by the verifier and checked by running the network.",
}


def explain(term: str) -> str:
    """The plain sentence for ``term``. Raises ``KeyError`` naming the known terms if there is none, so a view
    cannot show an unexplained word by mistake."""
    try:
        return GLOSSARY[term]
    except KeyError:
        raise KeyError(f"no glossary entry for {term!r}; known terms: {', '.join(sorted(GLOSSARY))}") from None


def words_caption(*terms: str) -> str:
    """A one-line caption for a view's research words: ``"Words here: **logit**: … · **fidelity**: …"``."""
    return "Words here: " + " · ".join(f"**{term}**: {explain(term)}" for term in terms)
