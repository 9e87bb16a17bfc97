"""Training on a rule's page (issue 26) through Streamlit's AppTest: "Train it yourself" on ``?rule=subtraction``
trains subtraction, the run becomes the page's network, and the verdict, the written form and the replay follow it;
addition's page does not offer the run, and subtraction's offers it again."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from explainer.analysis.state_probe import state_probe
from explainer.model.trace import trace_rule
from explainer.rules import RULES
from explainer.sections import TRAINING_SECTION
from tests.support.training import train_and_wait
from tests.support.widgets import source_radio
from ui import rule_page
from ui.rule_page import drawing_key, verdict_line
from ui.session_networks import SOURCE_SHIPPED, SOURCE_TRAINED
from ui.state import REPLAY_CHECKPOINT, RULE, RUNS, SECTION

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
SUBTRACTION = RULES["subtraction"]


def no_exception(app: AppTest) -> None:
    assert not app.exception, [exception.value for exception in app.exception]


def verdict(app: AppTest) -> str:
    (line,) = [markdown.value for markdown in app.markdown if markdown.value.startswith("## ")]
    return line.removeprefix("## ")


def drawn_for(weights) -> bool:
    """Whether the page drew subtraction's written form of 50 − 18 for ``weights`` (with its probe's reading)."""
    trace = trace_rule(weights, SUBTRACTION, (50, 18))
    probe = state_probe(weights, SUBTRACTION)
    return rule_page._DRAWINGS.get(drawing_key(trace, probe.decode(trace.hidden))) is not None


def test_training_on_the_subtraction_page_gives_the_page_its_network():
    app = AppTest.from_file(APP, default_timeout=300)
    app.query_params.update({"rule": "subtraction", "a": "50", "b": "18"})
    app.run()
    no_exception(app)
    assert source_radio(app).options == [SOURCE_SHIPPED]
    assert TRAINING_SECTION in app.segmented_control(key=SECTION).options
    app.segmented_control(key=SECTION).set_value(TRAINING_SECTION).run()
    no_exception(app)
    assert app.query_params["section"] == "train-it-yourself"
    captions = " ".join(caption.value for caption in app.caption)
    assert "Uploading weights is for addition only" in captions
    app.selectbox(key="train_recipe").set_value("fast").run()
    app.number_input(key="train_seed").set_value(0)
    app.number_input(key="train_max_steps").set_value(2_000)
    rule_page._DRAWINGS.clear()
    train_and_wait(app)
    no_exception(app)
    (run,) = app.session_state[RUNS]
    assert run.settings.rule == "subtraction" and run.status == "finished"
    last = run.checkpoints[-1]
    # The run is the page's network, at its last checkpoint: the verdict names it and the written form is its.
    assert source_radio(app).value == SOURCE_TRAINED
    assert source_radio(app).options == [SOURCE_SHIPPED, SOURCE_TRAINED]
    label = f"Your network (step {last.step:,})"
    assert verdict(app) == verdict_line(trace_rule(last.weights, SUBTRACTION, (50, 18)), label)
    assert drawn_for(last.weights)
    # Replaying the first checkpoint (an untrained network): everything follows it.
    first = run.checkpoints[0]
    rule_page._DRAWINGS.clear()
    app.select_slider(key=REPLAY_CHECKPOINT).set_value(first.step).run()
    no_exception(app)
    first_trace = trace_rule(first.weights, SUBTRACTION, (50, 18))
    assert verdict(app) == verdict_line(first_trace, f"Your network (step {first.step:,})")
    assert drawn_for(first.weights) and not drawn_for(last.weights)
    # Addition's page keeps the run (it is subtraction's) but does not offer it; back on subtraction it is offered.
    app.selectbox(key=RULE).set_value("addition").run()
    no_exception(app)
    assert source_radio(app).options[-1] != SOURCE_TRAINED
    assert SOURCE_TRAINED not in source_radio(app).options
    assert app.session_state[RUNS] == [run]
    app.selectbox(key=RULE).set_value("subtraction").run()
    no_exception(app)
    assert source_radio(app).options == [SOURCE_SHIPPED, SOURCE_TRAINED]
    source_radio(app).set_value(SOURCE_TRAINED).run()
    no_exception(app)
    assert verdict(app).startswith("Your network (step ")
