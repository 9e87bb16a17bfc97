"""One glossary (explainer/glossary.py): every research word a view shows is explained where it appears.

Each view is opened with AppTest; its visible words (Markdown, captions, metric labels, chart titles and axes)
are searched for the research words below. A word shown must come with its glossary sentence on the same view
(a caption or a tooltip); the words the page replaced by plain ones, and developer details, must not show.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from explainer.glossary import GLOSSARY, explain, words_caption
from explainer.paths import PROJECT_ROOT
from tests.support.widgets import source_radio

APP = str(PROJECT_ROOT / "streamlit_app.py")
# A word as it may appear on the page → its glossary term.
RESEARCH_WORDS = {
    "logit": "logit",
    "Shapley": "Shapley value",
    "zonotope": "zonotope",
    "Abstract states": "abstract state",
    "k-means": "k-means",
    "Fidelity": "fidelity",
    "attractor": "attractor",
    "probe weight × spread": "probe weight × spread",
    "most spread": "direction of most spread",
}
# Replaced by plain words, or moved out of a student's view.
NEVER_SHOWN = ("PC1", "of variance", "cross-entropy", "Words per step", "python -m", "assets/", "_{")


def _visible(app: AppTest) -> tuple[str, str]:
    """(words on the view outside expanders, explanations on the view: captions and tooltips)."""
    words, explanations = [], []
    folded = {id(element.proto) for expander in app.get("expander") for element in expander.markdown}
    for kind in ("markdown", "caption", "error", "success", "warning", "info"):
        for element in app.get(kind):
            if kind == "caption":  # an expander's caption explains the expander's label
                explanations.append(str(element.value))
            if id(element.proto) not in folded:
                words.append(str(element.value))
    for metric in app.metric:
        words.append(metric.label)
        explanations.append(metric.proto.help)
    for chart in app.get("plotly_chart"):
        layout = json.loads(chart.proto.spec)["layout"]
        for name, axis in layout.items():
            if name.startswith(("xaxis", "yaxis")):
                words.append(str(axis.get("title", {}).get("text", "")))
        words.append(str(layout.get("title", {}).get("text", "")))
        words.extend(str(note.get("text", "")) for note in layout.get("annotations", []))
    for expander in app.get("expander"):
        words.append(expander.label)
    return "\n".join(words), "\n".join(explanations)


def test_every_entry_is_one_plain_sentence_and_unknown_terms_are_refused():
    for term, sentence in GLOSSARY.items():
        assert sentence.endswith(".") and 20 < len(sentence) < 260, term
    assert words_caption("logit").startswith("Words here: **logit**: ")
    with pytest.raises(KeyError, match="known terms"):
        explain("attention head")


@pytest.mark.parametrize(
    ("source", "view"),
    [
        ("Shipped model", "Carry probe"),
        ("Shipped model", "State space"),
        ("Shipped model", "Extracted machine"),
        ("Shipped model", "Logit split"),
        ("Shipped model", "Any length"),
        ("Shipped model", "Proof at every length"),
        ("Shipped long-sums model", "Proof at every length"),
    ],
)
def test_a_research_word_on_a_view_is_explained_there(source, view):
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    source_radio(app).set_value(source).run()
    app.segmented_control(key="section").set_value("What did it learn?").run()
    app.segmented_control(key="insight_view").set_value(view).run()
    assert not app.exception
    words, explanations = _visible(app)
    shown = {term for word, term in RESEARCH_WORDS.items() if word in words}
    for term in shown:
        assert explain(term) in explanations, (view, term)
    assert not [phrase for phrase in NEVER_SHOWN if phrase in words], view
    if view in ("Logit split", "Proof at every length", "Extracted machine"):
        assert shown  # the check above had something to check


def test_the_network_choice_names_the_long_sums_file_only_in_a_tooltip():
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    source_radio(app).set_value("Shipped long-sums model").run()
    captions = [caption for caption in app.caption if "fine-tuned on long sums" in caption.value]
    assert captions and "assets/" not in captions[0].value and "assets/model-long.keras" in captions[0].proto.help
