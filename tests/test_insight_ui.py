"""The "What did it learn?" views and ablation controls, driven through Streamlit's AppTest.

``tests/apps/insight_app.py`` wires ``ui.insight`` as the page does and prints ``pair``, ``answer`` and
``ablation`` lines, so each test can see what the views are working on.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from ui.insight import VIEWS

APP = "apps/insight_app.py"
TIMEOUT = 60  # seconds: the first run imports TensorFlow to load the shipped model


def shown(app: AppTest) -> dict[str, str]:
    """The page's ``name: value`` lines."""
    lines = [markdown.value for markdown in app.markdown if ": " in markdown.value]
    return dict(
        line.split(": ", 1) for line in lines if line.split(": ", 1)[0] in {"pair", "answer", "ablation", "loaded"}
    )


def run_app(**query_params: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in query_params.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception
    return app


@pytest.mark.parametrize("ablated", [False, True], ids=["intact", "ablated"])
def test_every_view_renders(ablated):
    app = run_app(**({"ablate": "3,10"} if ablated else {}))
    for view in VIEWS:
        app.segmented_control(key="insight_view").set_value(view).run()
        assert not app.exception, view
        captions = " ".join(caption.value for caption in app.caption)
        assert "What to look for" in captions, view
    if ablated:  # the ablation view compares against the intact network and shows what flipped
        app.segmented_control(key="insight_view").set_value("Ablation").run()
        labels = [metric.label for metric in app.metric]
        assert "Bits flipped in this pair" in labels


def test_probe_view_names_the_carry_units_and_reads_this_pair():
    app = run_app()
    values = {metric.label: metric.value for metric in app.metric}
    assert values["Probe accuracy, all steps"] == "100.00%"
    assert values["This pair"] == "agrees"


def test_machine_view_reports_full_fidelity_and_the_carry_machine():
    app = run_app()
    app.segmented_control(key="insight_view").set_value("Extracted machine").run()
    values = {metric.label: metric.value for metric in app.metric}
    assert values["States after minimising"] == "2"
    assert values["Fidelity, 16,384 pairs"] == "100.00%"
    assert values["Fidelity, 65,536 8-bit pairs"] == "100.00%"
    assert any("is the 2-state carry machine" in message.value for message in app.success)


def test_url_restores_the_ablation():
    intact = shown(run_app())
    app = run_app(ablate="3,7", clamp="5:0.9")
    assert app.multiselect(key="ablate_zeroed").value == [3, 7]
    assert app.multiselect(key="ablate_clamped").value == [5]
    assert app.slider(key="ablate_clamp_5").value == pytest.approx(0.9)
    page = shown(app)
    assert page["ablation"] == "units 3, 7 zeroed; unit 5 held at 0.9"
    assert page["answer"] != intact["answer"] == "68"  # 50 + 18 goes wrong without its carry units
    assert not app.warning


@pytest.mark.parametrize(
    ("ablate", "clamp"), [("3,x", ""), ("99", ""), ("", "5:2"), ("", "5"), ("2", "2:0.5"), ("💥", "nan:nan")]
)
def test_junk_in_the_url_falls_back_to_no_ablation_with_a_warning(ablate, clamp):
    app = run_app(ablate=ablate, clamp=clamp)
    assert app.warning and "no units are ablated" in app.warning[0].value
    assert shown(app)["ablation"] == "no ablation"
    assert shown(app)["answer"] == "68"
    assert "ablate" not in app.query_params and "clamp" not in app.query_params


def test_choosing_units_updates_the_answer_and_the_url():
    app = run_app()
    app.multiselect(key="ablate_zeroed").set_value([10]).run()
    assert app.query_params["ablate"] == "10"
    assert shown(app)["ablation"] == "unit 10 zeroed"
    app.button(key="ablate_clear").click().run()
    assert shown(app)["ablation"] == "no ablation"
    assert "ablate" not in app.query_params
    app.button(key="ablate_carry_units").click().run()
    assert shown(app)["ablation"].endswith("zeroed")
    assert app.multiselect(key="ablate_zeroed").value


def test_correctness_map_loads_a_wrong_pair_into_the_main_view():
    app = run_app(ablate="3,7")
    app.segmented_control(key="insight_view").set_value("Correctness map").run()
    app.radio(key="correctness_bits").set_value(8).run()
    app.selectbox(key="correctness_wrong_pair").select_index(1).run()  # fills the a and b boxes below
    a_value = app.number_input(key="correctness_a").value
    b_value = app.number_input(key="correctness_b").value
    app.button(key="correctness_load").click().run()
    assert not app.exception
    page = shown(app)
    assert page["pair"] == f"{a_value} + {b_value}"
    assert page["loaded"] == f"{a_value} + {b_value}"
    assert app.text_input(key="a_text").value == str(a_value)
    assert int(page["answer"]) != a_value + b_value  # a wrong pair, as the picker promised


def test_the_ablation_view_says_where_the_errors_fall_from_the_data_and_compares_every_unit():
    from explainer import load_weights
    from explainer.analysis import error_locations, make_ablation

    app = run_app(ablate="3,7,10,11")
    app.segmented_control(key="insight_view").set_value("Ablation").run()
    captions = " ".join(caption.value for caption in app.caption)
    assert "exactly where" not in captions  # the old claim, now a computed share
    expected = error_locations(load_weights(), make_ablation(16, {3, 7, 10, 11})).sentence()
    assert expected in captions and "of them are in columns where a carry comes in" in expected
    app.toggle(key="ablation_every_unit").set_value(True).run()
    assert not app.exception
    (table,) = [frame for frame in app.dataframe if "at mean: % exact (16,384 pairs)" in frame.value.columns]
    assert len(table.value) == 16
    # In percent, as the sentence above it: the sentence's "unit (x%)" figures appear in the table's column.
    zeroed = table.value["zeroed: % exact (16,384 pairs)"]
    assert zeroed.max() > 1 and zeroed.max() <= 100
    for unit, percent in re.findall(r"(\d+) \((\d+\.\d)%\)", captions + " ".join(c.value for c in app.caption)):
        assert float(percent) == pytest.approx(float(zeroed[table.value["unit"] == int(unit)].iloc[0]), abs=0.05)


def test_the_logit_view_states_the_measured_share_not_that_memory_tips_the_bit(shipped_weights):
    from explainer.analysis import carried_part_turns_the_bit

    app = run_app()
    app.segmented_control(key="insight_view").set_value("Logit split").run()
    captions = " ".join(caption.value for caption in app.caption)
    assert f"{carried_part_turns_the_bit(shipped_weights):.1%} of them" in captions  # 58.3%, computed
    assert "tips the bit" not in captions
