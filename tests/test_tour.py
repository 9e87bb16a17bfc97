"""The guided tour: its stops as data (explainer/tour.py) and on the page (ui/tour.py), driven by AppTest."""

from __future__ import annotations

import json
import re

import numpy as np
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
    assert "at least 100%" not in STOPS[2].text(weights)
    zeroed = STOPS[3]
    assert zeroed.zeroed_units(weights) == tuple(units)
    assert str(zeroed.trace(weights).predicted_sum) in zeroed.text(weights)
    breaks = STOPS[5]
    trace = breaks.trace(weights)
    assert not trace.is_correct and breaks.column(weights) == int((~trace.correct).argmax())
    assert f"writes {trace.predicted_sum} instead of {trace.true_sum}" in breaks.text(weights)


def test_where_it_breaks_is_the_verifiers_counterexample_on_both_shipped_networks(weights):
    """One story: stop 6 shows the sum in the verdict file, over its columns, on either shipped network."""
    from explainer.files.keras_file import LONG_MODEL_PATH, SHIPPED_MODEL_PATH
    from explainer.verify.verdict import verdict_file_path

    example = json.loads(verdict_file_path(SHIPPED_MODEL_PATH).read_text())["counterexample"]
    breaks = STOPS[5]
    assert breaks.operands(weights) == (example["a"], example["b"], example["columns"])
    assert breaks.title_for(weights) == "Where it breaks"
    assert f"{example['a']} + {example['b']} over {example['columns']} columns" in breaks.text(weights)
    long_sums = load_weights(LONG_MODEL_PATH)
    assert breaks.operands(long_sums) == breaks.operands(weights)
    assert breaks.trace(long_sums).is_correct
    assert breaks.title_for(long_sums) != "Where it breaks"
    assert "this network gets it right" in breaks.text(long_sums)


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
    assert app.text_input(key="a_text").value == str(stop.operands(load_weights(str(page_model_path())))[0])
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
    app.button(key="tour_restart").click().run()  # restartable from the page's tools
    assert app.session_state["tour_stop"] == 0
    assert app.query_params["tour"] == ["1"] or app.query_params["tour"] == "1"


def test_a_bad_tour_link_gets_a_message():
    app = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=60)
    app.query_params["tour"] = "12"
    app.run()
    assert any("tour stop tour=12 does not exist" in warning.value for warning in app.warning)
    assert not app.exception


# Issue 23 item 8: the stops say what was measured. A causal word needs an intervention behind it, and none
# of these sentences has one that supports "the carry is kept there" (issue 25's transplant is what would).
CAUSAL_PHRASES = (
    "lived in",
    "lives in",
    "holds the carry",
    "hold the carry",
    "tips",
    "is a switch",
    "learned the carry",
)


def test_no_stop_says_the_carry_lives_in_units_or_that_memory_tips_the_bit(weights):
    for stop in STOPS:
        text = stop.text(weights).lower()
        assert not [phrase for phrase in CAUSAL_PHRASES if phrase in text], (stop.title, text)


def test_the_zeroing_stop_reports_where_the_errors_fall_as_computed(weights):
    from explainer.analysis import carry_probe, error_locations, make_ablation
    from explainer.tour import _percent

    zeroed = STOPS[3]
    ablation = make_ablation(weights.hidden_units, set(carry_probe(weights).top_carry_units))
    where = error_locations(weights, ablation)
    assert where.wrong_rate_without_carry > 0.05  # 12.8% for the shipped network: not only the carry breaks
    text = zeroed.text(weights)
    assert f"{_percent(where.wrong_rate_with_carry)} of the time where a carry comes in" in text
    assert f"{_percent(where.wrong_rate_without_carry)} where none does" in text


def test_the_carry_stop_compares_the_same_column_without_a_carry(weights):
    from explainer import trace_addition

    stop = STOPS[1]
    trace = stop.trace(weights)
    quiet = trace_addition(weights, 126, 1, trace.timesteps)
    assert quiet.carry_in[1] == 0 and trace.carry_in[1] == 1
    assert (quiet.input_bits[1] == trace.input_bits[1]).all()  # the same bits in column 1
    unit = int(np.argmax(np.abs(trace.recurrent_part[1])))
    text = stop.text(weights)
    memory_term = f"{quiet.recurrent_part[1, unit]:+.2f}"
    assert f"In 126 + 1, the same column with no carry coming in, its memory term is {memory_term}" in text


def page_text(source: str) -> str:
    """Python source with adjacent string literals joined ("a "\n  f"b" → "a b") and runs of spaces as one."""
    return " ".join(re.sub(r'"\s*\n\s*f?"', "", source).split())


def test_retired_over_claims_are_gone_from_the_page_source():
    retired = (
        "The carry lived in those units",
        "is what tips the bit",
        "the zeroed units carry the carry",
        "the network has learned the carry rule itself",
        "memory is a switch",
        "That jump is the carry appearing",
        "differ in the units that hold the carry",
        "are driven by memory rather than by the bits",
    )
    for path in [PROJECT_ROOT / "explainer" / "tour.py", *sorted((PROJECT_ROOT / "ui").glob("*.py"))]:
        source = page_text(path.read_text(encoding="utf-8"))
        assert not [phrase for phrase in retired if phrase in source], path


# Issue 23 item 6: networks without carry units (one unit; all-zero weights) get every stop's words.
def _networks_without_carry_units():
    from explainer.model.network import RNNWeights
    from tests.support.networks import random_weights

    return {
        "one unit": random_weights(1, seed=0),
        "all zero": RNNWeights(np.zeros((2, 16)), np.zeros((16, 16)), np.zeros((16, 1))),
    }


@pytest.mark.parametrize("name", ["one unit", "all zero"])
def test_every_stop_has_words_on_a_network_without_carry_units(name):
    from explainer.analysis import carry_probe

    network = _networks_without_carry_units()[name]
    assert carry_probe(network).top_carry_units == ()
    for stop in STOPS:
        assert stop.text(network) and 0 <= stop.column(network) < stop.trace(network).timesteps, stop.title
    assert STOPS[3].zeroed_units(network) == ()
    for index in (2, 3):
        assert "No carry units are named" in STOPS[index].text(network)
    assert "nothing is zeroed here" in STOPS[3].text(network)


def test_leaving_the_tour_puts_back_the_column_count():
    app = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=60)
    app.query_params["a"] = "3"
    app.query_params["b"] = "5"
    app.query_params["n"] = "70"
    app.run()
    assert app.number_input(key="columns").value == 70
    app.button(key="tour_start").click().run()
    assert app.number_input(key="columns").value != 70  # the stop's own pair runs over its own columns
    app.button(key="tour_leave").click().run()
    assert not app.exception
    assert app.number_input(key="columns").value == 70
    assert app.query_params["n"] in ("70", ["70"])
    assert any("3 + 5 = 8" in block.value for block in app.markdown)


@pytest.mark.parametrize("name", ["one unit", "all zero"])
def test_the_tour_on_an_uploaded_network_without_carry_units_has_words_and_gives_the_page_back(name):
    from ui.session_networks import UploadedWeights

    app = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=60)
    app.session_state["uploaded_weights"] = UploadedWeights(_networks_without_carry_units()[name], "plain.npz")
    app.session_state["pending_model_source"] = "Uploaded weights"
    app.query_params.update({"a": "3", "b": "5", "n": "70"})
    app.run()
    before = [block.value for block in app.markdown if block.value.startswith("## ")]
    assert before and "plain.npz" in before[0], before
    app.button(key="tour_start").click().run()
    for stop in range(len(STOPS)):
        assert not app.exception, stop
        failed = [warning.value for warning in app.warning if "could not be computed" in warning.value]
        assert not failed, (stop + 1, failed)
        if stop + 1 < len(STOPS):
            app.button(key="tour_next").click().run()
    app.button(key="tour_finish").click().run()
    assert app.number_input(key="columns").value == 70
    assert [block.value for block in app.markdown if block.value.startswith("## ")] == before  # the same verdict


def test_the_first_stop_unfolds_the_sum_so_its_answer_appears_bit_by_bit():
    """Issue 22 item 1: stop 1 says "watch its answer … appear bit by bit": it opens with the later columns
    covered (the switch off); the next stop, about carries across the whole sum, shows it all."""
    from ui.state import SHOW_WHOLE_SUM

    app = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=60)
    app.query_params["tour"] = "1"
    app.run()
    assert not app.exception
    assert "appear bit by bit" in " ".join(block.value for block in app.markdown)
    assert app.toggle(key=SHOW_WHOLE_SUM).value is False
    assert app.session_state["timestep"] == 0
    assert any("Columns after t = 0 are covered" in caption.value for caption in app.caption)
    app.button(key="tour_next").click().run()
    assert app.toggle(key=SHOW_WHOLE_SUM).value is True


def test_while_a_stop_is_read_the_next_stops_numbers_are_worked_out(weights):
    # Stop 5's words need the extracted machine (about a second, cold). Reading stop 4 starts that work in the
    # background, so pressing "Next stop" finds it done: here the machine is cached without Next being pressed.
    import threading

    from explainer.analysis.extraction import MACHINE_SEEDS, _extract_machine
    from ui.tour import _prepare_stop

    _prepare_stop.clear()
    _extract_machine.cache_clear()
    app = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=60)
    app.query_params["tour"] = "4"
    app.run()
    assert not app.exception
    prepared = [thread for thread in threading.enumerate() if thread.name == "tour-stop-5"]
    assert prepared, "reading stop 4 started no work on stop 5"
    prepared[0].join(timeout=120)
    assert not prepared[0].is_alive()
    key = ((weights, None, 16, MACHINE_SEEDS), ())  # how extract_machine calls its cached part
    assert _extract_machine.cache.get(key) is not None, "stop 5's machine was not worked out in the background"


def test_each_slow_stop_says_what_it_is_working_out_in_plain_words():
    # Shown in the card (st.spinner) while a cold stop's numbers are computed: words, not markup or code names.
    for stop in STOPS:
        assert stop.working.endswith("…") and not re.search(r"[`*_$<>{}\\]|\(\)", stop.working), stop.working
    slow = {stop.title for stop in STOPS if stop.working != STOPS[0].working}
    assert {"Its states, grouped", "Zero them and watch it break"} <= slow


# Issue 26: the tour is addition's; its last stop points to the other rules, side by side.
def test_the_last_stops_pointer_names_every_other_rule_and_links_to_their_comparison():
    from urllib.parse import parse_qs

    from explainer.rules import RULES
    from explainer.tour import RULES_POINTER_LINK, rules_pointer
    from ui.rule_page import COMPARE_SECTION
    from ui.state import slug

    query = parse_qs(RULES_POINTER_LINK.removeprefix("?"), strict_parsing=True)
    assert query["rule"][0] in RULES and query["rule"][0] != "addition"
    assert query["section"] == [slug(COMPARE_SECTION)]
    words = rules_pointer()
    for name, rule in RULES.items():
        if name != "addition":
            assert rule.label.split(",")[0].removesuffix(" so far").lower() in words, name
    assert f"“{COMPARE_SECTION}”" in words
    causal = ("holds", "keeps", "stores", "uses", "because", *CAUSAL_PHRASES)
    assert not [word for word in causal if word in words.lower()]


def test_only_the_last_stop_shows_the_pointer_to_the_rules():
    from explainer.tour import RULES_POINTER_LINK, rules_pointer

    app = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=60)
    app.query_params["tour"] = str(len(STOPS) - 1)
    app.run()
    assert not app.exception
    assert not any(block.value == rules_pointer() for block in app.markdown)
    app.button(key="tour_next").click().run()
    assert not app.exception and app.session_state["tour_stop"] == len(STOPS) - 1
    assert any(block.value == rules_pointer() for block in app.markdown)
    links = [element for element in app.get("link_button") if element.proto.url == RULES_POINTER_LINK]
    assert len(links) == 1
