"""The "Transplant the carry" view, driven through Streamlit's AppTest on the page's insight wiring."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from explainer import load_weights
from explainer.analysis.alignment_search import CARRY_UNITS, interchange_table
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
    assert any("% IIA where carries differ" in frame.columns for frame in frames)


def test_transplanting_into_this_pair_shows_each_column_against_the_prediction():
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.segmented_control(key="insight_view").set_value(VIEW_NAME).run()
    app.select_slider(key="interchange_column").set_value(2).run()
    assert not app.exception
    text = " ".join(markdown.value for markdown in app.markdown)
    # 50 + 18: column 2 holds 0 + 0 with no carry in, so the source sets it to 1 + 1 (54 + 22) and carries 1.
    assert "Source: 54 + 22" in text and "carries 1 out of column 2 where 50 + 18 carries 0" in text
    assert "the later bits followed written addition" in text  # the whole state, the default
    assert app.get("plotly_chart")  # the heatmaps (and the IIA chart)
    (frame,) = [f.value for f in app.dataframe if "as predicted" in f.value.columns]
    assert list(frame["as predicted"])[:3] == ["", "", ""] and set(frame["as predicted"][3:]) == {"✓"}
    app.selectbox(key="interchange_alignment").set_value("the probe's direction").run()
    text = " ".join(markdown.value for markdown in app.markdown)
    assert "the later bits did not all follow" in text
