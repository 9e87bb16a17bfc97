"""Training live in the page: the warm worker trains exactly what a fresh child would; settings and views
survive a switch of section; the section and view go into the address bar."""

from __future__ import annotations

import json
import subprocess

import pytest
from streamlit.testing.v1 import AppTest

from explainer.paths import PROJECT_ROOT
from explainer.training.recipes import TrainingSettings
from explainer.training.worker import settings_line, warm_worker_command, worker_command

SETTINGS = TrainingSettings("fast", 3, 16, 0.05, 48)


def checkpoints_of(lines: str) -> list[dict]:
    return [json.loads(line)["checkpoint"] for line in lines.splitlines() if '"checkpoint"' in line]


def test_a_warm_worker_trains_the_same_weights_as_a_fresh_child():
    fresh = subprocess.run(
        worker_command(SETTINGS), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, check=True
    )
    # Settings sent only after "ready": the worker has run its throwaway warm-up step first.
    worker = subprocess.Popen(
        warm_worker_command(), cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout.readline().strip() == '{"ready": true}'
        output, _ = worker.communicate(settings_line(SETTINGS) + "\n", timeout=600)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    warm = subprocess.CompletedProcess(worker.args, worker.returncode, output)
    expected, got = checkpoints_of(fresh.stdout), checkpoints_of(warm.stdout)
    assert [record["step"] for record in got] == [0, 16, 32, 48]
    for record in (*expected, *got):
        record.pop("train_seconds")  # the only field that may differ: time
    assert got == expected


def test_a_warm_worker_that_is_not_needed_exits_quietly():
    done = subprocess.run(
        warm_worker_command(), input="", cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0 and done.stdout.strip() == '{"ready": true}'


def start(query: dict[str, str] | None = None) -> AppTest:
    app = AppTest.from_file("../streamlit_app.py", default_timeout=60)
    for name, value in (query or {}).items():
        app.query_params[name] = value
    app.run()
    assert not app.exception
    return app


def test_training_settings_and_the_insight_view_survive_a_switch_of_section():
    app = start()
    app.segmented_control(key="section").set_value("Train it yourself").run()
    app.selectbox(key="train_recipe").set_value("fast").run()
    app.number_input(key="train_seed").set_value(42).run()
    app.segmented_control(key="section").set_value("The weights").run()
    app.segmented_control(key="section").set_value("Train it yourself").run()
    assert not app.exception
    assert app.selectbox(key="train_recipe").value == "fast"
    assert app.number_input(key="train_seed").value == 42
    app.segmented_control(key="section").set_value("What did it learn?").run()
    app.segmented_control(key="insight_view").set_value("State space").run()
    app.segmented_control(key="section").set_value("Inside one step").run()
    app.segmented_control(key="section").set_value("What did it learn?").run()
    assert not app.exception and not app.warning
    assert app.segmented_control(key="insight_view").value == "State space"


def test_the_section_and_view_go_into_the_address_bar_and_a_link_opens_them():
    app = start()
    app.segmented_control(key="section").set_value("What did it learn?").run()
    app.segmented_control(key="insight_view").set_value("State space").run()
    assert app.query_params["section"] == "what-did-it-learn" and app.query_params["view"] == "state-space"
    app.segmented_control(key="section").set_value("The weights").run()
    assert app.query_params["section"] == "the-weights" and "view" not in app.query_params
    shared = start({"section": "what-did-it-learn", "view": "extracted-machine", "a": "3", "b": "5"})
    assert shared.segmented_control(key="section").value == "What did it learn?"
    assert shared.segmented_control(key="insight_view").value == "Extracted machine"
    assert not shared.warning


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"section": "nowhere"}, "section=nowhere is not one of"),
        ({"section": "side-by-side"}, "needs a network you trained or uploaded"),
        ({"section": "what-did-it-learn", "view": "<script>"}, "view=` <script> ` is not one of"),
    ],
)
def test_a_link_to_a_section_or_view_that_is_not_there_gives_a_notice(query, expected):
    app = start(query)
    assert any(expected in warning.value for warning in app.warning), [warning.value for warning in app.warning]
    assert app.segmented_control(key="section").value in {"Inside one step", "What did it learn?"}


def test_a_bad_training_limit_is_explained_on_the_page_not_as_a_traceback(monkeypatch):
    import explainer.serving.keras_slots as keras_jobs

    monkeypatch.setenv("ADDITION_UNFOLDED_MAX_TRAININGS", "lots")
    monkeypatch.setattr(keras_jobs, "_slots", None)  # read again, as a fresh server would
    app = AppTest.from_file("apps/training_app.py", default_timeout=60)
    app.run()
    app.button(key="train_button").click().run()
    assert not app.exception
    errors = [error.value for error in app.error]
    assert any("ADDITION_UNFOLDED_MAX_TRAININGS must be a whole number from 1 to 16" in error for error in errors)
    assert "training_runs" not in app.session_state  # nothing queued that could never run
