"""The "Transplant the carry" view, driven through Streamlit's AppTest on the page's insight wiring."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from explainer import load_weights
from explainer.analysis.alignment_search import CARRY_UNITS, PROBE_DIRECTION, WHOLE_STATE, interchange_table
from explainer.paths import PROJECT_ROOT
from ui.interchange import VIEW_NAME
from ui.state import TRANSPLANT_COLUMN, TRANSPLANT_SOURCE, TRANSPLANT_SOURCE_A, TRANSPLANT_SOURCE_B, TRANSPLANT_WHAT

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
    app.select_slider(key=TRANSPLANT_COLUMN).set_value(2).run()
    assert not app.exception
    text = " ".join(markdown.value for markdown in app.markdown)
    # 50 + 18: column 2 holds 0 + 0 with no carry in, so the source sets it to 1 + 1 (54 + 22) and carries 1.
    assert "Source: 54 + 22" in text and "carries 1 out of column 2 where 50 + 18 carries 0" in text
    assert "the later bits followed written addition" in text  # the whole state, the default
    assert app.get("plotly_chart")  # the heatmaps (and the IIA chart)
    (frame,) = [f.value for f in app.dataframe if "as predicted" in f.value.columns]
    assert list(frame["as predicted"])[:3] == ["", "", ""] and set(frame["as predicted"][3:]) == {"✓"}
    app.selectbox(key=TRANSPLANT_WHAT).set_value(PROBE_DIRECTION).run()
    text = " ".join(markdown.value for markdown in app.markdown)
    assert "the later bits did not all follow" in text


PAGE = str(PROJECT_ROOT / "streamlit_app.py")
TRANSPLANT_LINK = {"section": "what-did-it-learn", "view": "transplant-the-carry"}


def _page(query: dict[str, str]) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.query_params.update({**TRANSPLANT_LINK, **query})
    return app.run()


def _text(app: AppTest) -> str:
    return " ".join(markdown.value for markdown in app.markdown)


def test_a_link_opens_the_transplant_as_named():
    app = _page({"a": "50", "b": "18", "patch_t": "3", "patch": "probes-direction"})
    assert not app.exception
    assert not app.warning, [warning.value for warning in app.warning]
    assert app.select_slider(key=TRANSPLANT_COLUMN).value == 3
    assert app.selectbox(key=TRANSPLANT_WHAT).value == PROBE_DIRECTION
    assert "After transplanting the probe's direction at column 3" in _text(app)
    assert app.query_params["patch_t"] == "3" and app.query_params["patch"] == "probes-direction"


def test_junk_in_the_link_gets_a_notice_and_the_default():
    app = _page({"patch_t": "99", "patch": "![x](https://evil.example/p.png)", "patch_a": "1e3", "patch_b": "4"})
    assert not app.exception
    warnings = " ".join(warning.value for warning in app.warning)
    assert "patch_t=99 is not a column from 0 to 6" in warnings
    assert "patch=` ![x](https://evil.example/p.png) `" in warnings  # quoted: shown as text, not an image
    assert "(patch_a=1e3, patch_b=4) cannot be used" in warnings
    assert "Using the pair that differs only in column t" in warnings
    assert app.select_slider(key=TRANSPLANT_COLUMN).value == 0
    assert app.selectbox(key=TRANSPLANT_WHAT).value == WHOLE_STATE
    assert app.radio(key=TRANSPLANT_SOURCE).value == "flipped"
    # The address bar now says what the page shows.
    assert app.query_params["patch_t"] == "0" and app.query_params["patch"] == "whole-state"
    assert "patch_a" not in app.query_params


def test_the_link_follows_the_choices_and_leaves_with_the_view():
    app = _page({})
    app.select_slider(key=TRANSPLANT_COLUMN).set_value(4).run()
    app.selectbox(key=TRANSPLANT_WHAT).set_value(CARRY_UNITS).run()
    assert app.query_params["patch_t"] == "4" and app.query_params["patch"] == "carry-units-together"
    app.radio(key=TRANSPLANT_SOURCE).set_value("typed").run()
    app.text_input(key=TRANSPLANT_SOURCE_A).input("7").run()
    assert not app.exception
    assert app.query_params["patch_a"] == "7" and app.query_params["patch_b"]
    app.segmented_control(key="insight_view").set_value("Carry probe").run()
    assert not any(name in app.query_params for name in ("patch_t", "patch", "patch_a", "patch_b"))


def test_a_typed_source_in_a_link_is_used():
    # 50 + 18 carries 0 out of column 3; 8 + 8 carries 1 out of it: the later bits follow that carry.
    app = _page({"patch_t": "3", "patch_a": "8", "patch_b": "8"})
    assert not app.exception and not app.warning
    assert app.radio(key=TRANSPLANT_SOURCE).value == "typed"
    assert app.text_input(key=TRANSPLANT_SOURCE_A).value == "8"
    text = _text(app)
    assert "Source: 8 + 8, which carries 1 out of column 3 where 50 + 18 carries 0" in text
    assert "the later bits followed written addition" in text


def test_a_typed_source_uses_its_own_carry_and_bad_input_gets_a_message():
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.segmented_control(key="insight_view").set_value(VIEW_NAME).run()
    app.select_slider(key=TRANSPLANT_COLUMN).set_value(2).run()
    app.radio(key=TRANSPLANT_SOURCE).set_value("typed").run()
    # The boxes start at the flipped pair for column 2.
    assert app.text_input(key=TRANSPLANT_SOURCE_A).value == "54"
    assert app.text_input(key=TRANSPLANT_SOURCE_B).value == "22"
    # A source that carries the same way out of column 2 as 50 + 18 (0): the prediction is the plain sum.
    app.text_input(key=TRANSPLANT_SOURCE_A).input("1").run()
    app.text_input(key=TRANSPLANT_SOURCE_B).input("2").run()
    text = _text(app)
    assert "Source: 1 + 2, which carries the same way: 0 out of column 2 where 50 + 18 carries 0" in text
    (frame,) = [f.value for f in app.dataframe if "as predicted" in f.value.columns]
    assert set(frame["as predicted"][3:]) == {"✓"}
    # Bad input: a message, no traceback, no transplant.
    app.text_input(key=TRANSPLANT_SOURCE_A).input("½").run()
    assert not app.exception
    errors = " ".join(error.value for error in app.error)
    assert "Source a must be a whole number written with the digits 0–9" in errors
    assert "Source:" not in _text(app)
    # A source longer than the pair's 8 columns.
    app.text_input(key=TRANSPLANT_SOURCE_A).input("300").run()
    errors = " ".join(error.value for error in app.error)
    assert "300 + 2 needs 9 columns, and 50 + 18 runs over 8" in errors
    assert not app.exception


def test_the_pages_first_sentence_is_the_whole_state_transplant():
    """The page opens by saying the network keeps the carry in its hidden state and that a transplanted state's
    carry is what every later column follows: that is the whole state's row, 100% where the carries differ."""
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    first = app.markdown[0].value
    assert "keeping what it needs (the carry) in its hidden state" in first
    assert "every later column follows that carry" in first
    whole = interchange_table(load_weights()).row(WHOLE_STATE)
    assert whole.iia_where_carries_differ == 1.0 and whole.iia == 1.0
