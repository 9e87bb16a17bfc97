"""The guided tour: its stops as data (explainer/tour.py) and on the page (ui/tour.py), driven by AppTest."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from explainer import load_weights
from explainer.files.keras_file import page_model_path
from explainer.paths import PROJECT_ROOT
from explainer.sections import INSIGHT_SECTION, SECTIONS
from explainer.tour import STOPS, stop_number
from ui.insight import VIEWS


@pytest.fixture(scope="module")
def weights():
    return load_weights(str(page_model_path()))


def test_the_tour_has_six_to_nine_stops_each_naming_a_real_section_and_view():
    assert 6 <= len(STOPS) <= 9
    for stop in STOPS:
        assert stop.section in SECTIONS, stop.section
        assert (stop.view in VIEWS) if stop.section == INSIGHT_SECTION else stop.view is None


def test_every_stop_says_two_or_three_sentences_with_numbers_from_the_network(weights):
    for stop in STOPS:
        text = stop.text(weights)
        sentences = [part for part in re.split(r"(?<=[.!?])\s+(?=[A-Z“*])", text) if part.strip()]
        assert 2 <= len(sentences) <= 4, (stop.title, sentences)
    # The numbers are the network's own: the probe's carry units, the ablated sum.
    from explainer.analysis import carry_probe

    units = carry_probe(weights).top_carry_units
    assert all(str(unit) in STOPS[2].text(weights) for unit in units)
    zeroed = STOPS[3]
    assert zeroed.zeroed_units(weights) == tuple(units)
    assert str(zeroed.trace(weights).predicted_sum) in zeroed.text(weights)
    breaks = STOPS[5]
    trace = breaks.trace(weights)
    assert not trace.is_correct and breaks.column(weights) == int((~trace.correct).argmax())
    assert f"writes {trace.predicted_sum} instead of {trace.true_sum}" in breaks.text(weights)


@pytest.mark.parametrize("text", ["0", str(len(STOPS) + 1), "-1", "2.0", "x", "", "٣", "99999"])
def test_a_link_to_no_stop_is_refused(text):
    assert stop_number(text) is None


def test_a_link_opens_a_stop_and_leaving_restores_the_page():
    app = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=60)
    app.query_params["a"] = "12"
    app.query_params["b"] = "30"
    app.query_params["t"] = "2"
    app.query_params["tour"] = "4"
    app.run()
    assert not app.exception
    stop = STOPS[3]
    assert app.session_state["section"] == stop.section
    assert app.session_state["insight_view"] == stop.view
    assert app.text_input(key="a_text").value == str(stop.pair[0])
    assert app.multiselect(key="ablate_zeroed").value  # the carry units are zeroed
    assert any(f"stop 4 of {len(STOPS)}" in block.value for block in app.markdown)
    app.button(key="tour_next").click().run()
    assert app.session_state["insight_view"] == STOPS[4].view
    assert app.multiselect(key="ablate_zeroed").value == []
    app.button(key="tour_leave").click().run()
    assert not app.exception
    assert app.text_input(key="a_text").value == "12" and app.text_input(key="b_text").value == "30"
    assert app.session_state["timestep"] == 2
    assert app.session_state["section"] == "Inside one step"
    assert app.multiselect(key="ablate_zeroed").value == []
    assert "tour" not in app.query_params


def test_a_first_visit_is_offered_the_tour_and_can_dismiss_it():
    app = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=60).run()
    app.button(key="tour_dismiss").click().run()
    assert not [button for button in app.button if button.key == "tour_start"]
    app.button(key="tour_start_sidebar").click().run()  # restartable from the sidebar
    assert app.session_state["tour_stop"] == 0
    assert app.query_params["tour"] == ["1"] or app.query_params["tour"] == "1"


def test_a_bad_tour_link_gets_a_message():
    app = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=60)
    app.query_params["tour"] = "12"
    app.run()
    assert any("tour stop '12' does not exist" in warning.value for warning in app.warning)
    assert not app.exception
