"""The "Transplant the carry" view, driven through Streamlit's AppTest on the page's insight wiring."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from explainer import load_weights
from explainer.analysis.interchange import CARRY_UNITS, interchange_table
from ui.interchange import VIEW_NAME

APP = "apps/insight_app.py"


def test_the_view_shows_the_table_and_words_that_follow_the_numbers():
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.segmented_control(key="insight_view").set_value(VIEW_NAME).run()
    assert not app.exception
    table = interchange_table(load_weights())
    text = " ".join(markdown.value for markdown in app.markdown)
    carry = table.row(CARRY_UNITS)
    # The shipped carry units move the carry in well under 95% of the interventions where carries differ: the page
    # must not say the network uses the carry there, and it says what the transplant measured instead.
    assert carry.iia_where_carries_differ < 0.95
    assert f"moved the carry in {carry.iia_where_carries_differ:.1%}" in text
    assert "carry units" in text and "not all of it" in text
    assert "the network uses the carry held there" in text  # the whole state (100%)
    assert "held-out" in text
    captions = " ".join(caption.value for caption in app.caption)
    assert "Population: 1,024 (base, source) pairs" in captions
    frames = [frame.value for frame in app.dataframe]
    assert any("IIA where carries differ" in frame.columns for frame in frames)
