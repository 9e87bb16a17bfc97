"""Training in the page for the page's rule (issue 26): Train trains the rule in ``st.session_state["rule"]``, the
run records it, and a run is offered as the page's network only while the page shows its rule."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.support.training import train_and_wait
from tests.support.widgets import source_radio
from ui.state import RULE


def offered(app: AppTest) -> str:
    return next(m.value for m in app.markdown if m.value.startswith("offered runs: ")).removeprefix("offered runs: ")


def test_train_trains_the_pages_rule_and_its_run_stays_with_that_rule():
    app = AppTest.from_file("apps/rule_training_app.py", default_timeout=300)
    app.session_state[RULE] = "subtraction"
    app.run()
    assert not app.exception
    app.selectbox(key="train_recipe").set_value("fast").run()
    app.number_input(key="train_seed").set_value(0)
    app.number_input(key="train_max_steps").set_value(2_000)
    train_and_wait(app)
    assert not app.exception
    run = app.session_state["training_runs"][-1]
    assert run.settings.rule == "subtraction" and run.status == "finished"
    assert run.checkpoints[-1].exact_accuracy == 1.0 and run.checkpoints[-1].weights.input_width == 2
    assert "every input of its check set (all 32,896 pairs)" in run.outcome
    assert offered(app) == "subtraction"
    assert source_radio(app).value == "Trained in this session"
    # The same session back on addition: the subtraction run is kept but not offered as an adder.
    app.session_state[RULE] = "addition"
    app.run()
    assert not app.exception
    assert offered(app) == "none" and source_radio(app).options == ["Shipped model"]
    assert len(app.session_state["training_runs"]) == 1
    app.session_state[RULE] = "subtraction"
    app.run()
    assert offered(app) == "subtraction"
