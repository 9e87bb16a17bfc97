"""The training panel driven through Streamlit's AppTest, on ``tests/apps/training_app.py``.

That page shows, for 50 + 18, which network every view uses (label, fingerprint, answer), then the side-by-side
comparison and the training panel, exactly as ``streamlit_app.py`` wires them. Training runs in a child process
(TensorFlow's import alone takes seconds on a busy machine), so the timeouts are generous.
"""

from __future__ import annotations

import io
import itertools
import pickle
import subprocess
import sys

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from explainer import load_weights, trace_addition
from explainer.files.npz_file import MAX_NPZ_BYTES, weights_to_npz_bytes
from explainer.paths import PROJECT_ROOT
from explainer.serving.training_runs import TrainingRun
from explainer.training.recipes import RECIPE_CHECK_EVERY, RECIPE_LEARNING_RATES, Checkpoint, TrainingSettings
from explainer.training.worker import checkpoint_from_record
from tests.support.training import train_and_wait
from tests.support.widgets import source_radio
from ui.charts import unpack

APP = "apps/training_app.py"
TIMEOUT = 300  # seconds: a training run starts TensorFlow in a fresh process
TRAIN_STEPS = 300  # the fast recipe solves seed 0 at step 208


def shown(app: AppTest) -> dict[str, str]:
    """The page's ``name: value`` lines (source, fingerprint, answer)."""
    lines = [markdown.value for markdown in app.markdown if ": " in markdown.value]
    return dict(line.split(": ", 1) for line in lines if line.split(": ", 1)[0] in {"source", "fingerprint", "answer"})


def fresh_app() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.run()
    assert not app.exception
    return app


@pytest.fixture(scope="module")
def trained_app() -> AppTest:
    app = fresh_app()
    app.selectbox(key="train_recipe").set_value("fast").run()
    app.number_input(key="train_seed").set_value(0)  # the page starts at seed 1; fast solves seed 0 at step 208
    app.number_input(key="train_max_steps").set_value(TRAIN_STEPS)
    train_and_wait(app)
    assert not app.exception
    return app


def test_nothing_trains_until_train_is_pressed():  # Keras stays out: test_the_page_side_never_imports_keras
    app = fresh_app()
    assert shown(app)["source"] == "Shipped model"
    assert "training_runs" not in app.session_state
    assert source_radio(app).options == ["Shipped model"]
    # Changing settings reruns the page but trains nothing.
    app.selectbox(key="train_recipe").set_value("fast").run()
    app.number_input(key="train_seed").set_value(3).run()
    assert "training_runs" not in app.session_state
    # The recipe brought its own defaults.
    assert app.number_input(key="train_learning_rate").value == pytest.approx(RECIPE_LEARNING_RATES["fast"])


def test_the_page_side_never_imports_keras():
    # Once keras is imported, Streamlit clears its session after every rerun of every session; training runs
    # in a child process instead. (A fresh interpreter: this test process has Keras loaded by other tests.)
    code = (
        "import sys, ui.training, ui.model_source, ui.side_by_side, explainer.training.sweep, "
        "explainer.files.npz_file, explainer.files.keras_export; "
        "assert 'keras' not in sys.modules"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


def test_pressing_train_makes_a_session_model_and_the_views_follow_it(trained_app, shipped_weights):
    run = trained_app.session_state["training_runs"][-1]
    assert run.status == "finished"
    steps = [checkpoint.step for checkpoint in run.checkpoints]
    assert steps[0] == 0 and steps[-1] <= TRAIN_STEPS
    assert all(later - earlier == RECIPE_CHECK_EVERY["fast"] for earlier, later in itertools.pairwise(steps))
    last = run.checkpoints[-1]
    assert last.exact_accuracy == 1.0  # the fast recipe finds the carry from seed 0 within the limit
    # The whole page switched to the new network, at its last checkpoint.
    assert source_radio(trained_app).value == "Trained in this session"
    values = shown(trained_app)
    assert values["source"] == f"Your network (step {last.step:,})"
    assert values["fingerprint"] == last.weights.fingerprint != shipped_weights.fingerprint
    assert values["answer"] == str(trace_addition(last.weights, 50, 18).predicted_sum)
    # Side by side: the shipped network's verdict and the session's, for the same pair.
    verdicts = [markdown.value for markdown in trained_app.markdown if " says 50 + 18 = " in markdown.value]
    assert len(verdicts) == 2 and verdicts[0].startswith("**Shipped model**")
    assert {"side_by_side_shipped_chart", "side_by_side_other_chart", "training_curves_chart"} <= chart_keys(
        trained_app
    )
    labels = [button.label for button in trained_app.get("download_button")]
    assert any(label.endswith("(.npz)") for label in labels) and any(label.endswith("(.keras)") for label in labels)


def test_another_session_still_sees_the_shipped_model(trained_app, shipped_weights):
    other = fresh_app()
    assert shown(other)["source"] == "Shipped model"
    assert shown(other)["fingerprint"] == shipped_weights.fingerprint
    assert "training_runs" not in other.session_state
    # And the shared, cached weights were not changed by the training session.
    assert load_weights() == shipped_weights


def charts(app: AppTest) -> dict[str, str]:
    """Every chart on the page by its ``key=``, with what it draws: a Plotly chart's figure JSON, or a drawing's
    SVG and its chosen column's marks (``ui.charts.show_drawing`` keys its elements ``<key>_drawing`` and
    ``<key>_marks`` and packs what they carry). Element ids read ``$$ID-<hash>-<key>``."""
    found = {chart.proto.id.split("-", 2)[-1]: chart.proto.spec for chart in app.get("plotly_chart")}
    for element in app.get("bidi_component"):
        name = element.proto.id.split("-", 2)[-1]
        for part in ("_drawing", "_marks"):
            if name.endswith(part):
                key = name.removesuffix(part)
                found[key] = found.get(key, "") + unpack(element.proto.bytes)
    return found


def chart_keys(app: AppTest) -> set[str]:
    return set(charts(app))


def chart_spec(app: AppTest, key: str) -> str:
    found = charts(app)
    if key not in found:
        raise AssertionError(f"no chart {key!r} on the page")
    return found[key]


def test_the_replay_slider_moves_every_view_to_the_checkpoint(trained_app):
    run = trained_app.session_state["training_runs"][-1]
    first, last = run.checkpoints[0], run.checkpoints[-1]
    heatmap_at_end = chart_spec(trained_app, "side_by_side_other_chart")
    curves_at_end = chart_spec(trained_app, "training_curves_chart")
    trained_app.select_slider(key="replay_checkpoint").set_value(first.step).run()
    assert not trained_app.exception
    values = shown(trained_app)
    assert values["source"] == "Your network (step 0)"
    assert values["fingerprint"] == first.weights.fingerprint
    assert values["answer"] == str(trace_addition(first.weights, 50, 18).predicted_sum)
    assert chart_spec(trained_app, "side_by_side_other_chart") != heatmap_at_end
    assert chart_spec(trained_app, "training_curves_chart") != curves_at_end  # the marker moved
    trained_app.select_slider(key="replay_checkpoint").set_value(last.step).run()
    assert shown(trained_app)["fingerprint"] == last.weights.fingerprint


def test_downloaded_weights_upload_back_to_an_identical_trace(trained_app):
    run = trained_app.session_state["training_runs"][-1]
    trained = run.checkpoints[-1].weights
    # The bytes the .npz download button serves for this checkpoint.
    downloaded = weights_to_npz_bytes(trained)
    other = fresh_app()
    other.file_uploader(key="weights_upload").upload("mine.npz", downloaded).run()
    assert not other.exception
    assert source_radio(other).value == "Uploaded weights"
    values = shown(other)
    assert values["source"] == "Your upload (mine.npz)"
    assert values["fingerprint"] == trained.fingerprint
    uploaded = other.session_state["uploaded_weights"].weights
    original, reloaded = trace_addition(trained, 50, 18), trace_addition(uploaded, 50, 18)
    np.testing.assert_array_equal(original.hidden, reloaded.hidden)
    np.testing.assert_array_equal(original.output_probability, reloaded.output_probability)
    assert [message.value for message in other.success][-1].startswith("Loaded mine.npz")


def npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


GOOD = {"input_weights": np.ones((2, 3)), "recurrent_weights": np.ones((3, 3)), "output_weights": np.ones((3, 1))}
BAD_UPLOADS = {
    "wrong shape": (npz(**{**GOOD, "recurrent_weights": np.ones((3, 4))}), "recurrent_weights has shape"),
    "NaN": (npz(**{**GOOD, "output_weights": np.full((3, 1), np.nan)}), "NaN or infinite"),
    "pickle inside": (npz(**{**GOOD, "input_weights": np.array([[{"x": 1}] * 3] * 2, dtype=object)}), "pickled"),
    "a bare pickle": (pickle.dumps({"input_weights": [[1.0]]}), "not an .npz"),
    "not an npz": (b"hello, these are not weights", "not an .npz"),
    "too large": (b"PK" + bytes(MAX_NPZ_BYTES), "at most"),
    "missing array": (npz(input_weights=GOOD["input_weights"]), "missing"),
}


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_a_bad_upload_shows_a_message_and_keeps_the_page_working(case):
    data, expected = BAD_UPLOADS[case]
    app = fresh_app()
    app.file_uploader(key="weights_upload").upload("weights.npz", data).run()
    assert not app.exception
    errors = [error.value for error in app.error]
    assert any(expected in error for error in errors), errors
    assert shown(app)["source"] == "Shipped model"
    assert source_radio(app).options == ["Shipped model"]
    assert "uploaded_weights" not in app.session_state


def test_a_refused_upload_keeps_the_last_good_one():
    app = fresh_app()
    app.file_uploader(key="weights_upload").upload("good.npz", npz(**GOOD)).run()
    assert shown(app)["source"] == "Your upload (good.npz)"
    app.file_uploader(key="weights_upload").set_value(("bad.npz", b"junk", "application/octet-stream")).run()
    assert not app.exception
    assert any("not an .npz" in error.value for error in app.error)
    assert shown(app)["source"] == "Your upload (good.npz)"


def test_the_sweep_chart_is_on_the_page():
    app = fresh_app()
    assert "sweep_chart" in chart_keys(app)
    assert any("python -m explainer.training.sweep" in caption.value for caption in app.caption)


def test_worker_checkpoints_round_trip_exactly(shipped_weights):
    import json

    from explainer.training.recipes import Checkpoint
    from explainer.training.worker import checkpoint_to_json

    checkpoint = Checkpoint(5, float("nan"), 0.25, 0.75, 1.5, shipped_weights)
    back = checkpoint_from_record(json.loads(checkpoint_to_json(checkpoint))["checkpoint"])
    assert back.weights == shipped_weights and back.step == 5 and np.isnan(back.loss)


class RunThatGrowsWhileDrawn(TrainingRun):
    """A running run whose thread adds a checkpoint every time the page reads ``checkpoints``, as a real run's
    thread may at any moment while a page is drawn (here at its fastest: between any two reads)."""

    def __init__(self, settings: TrainingSettings, weights) -> None:
        super().__init__(settings, status="running")
        self._made = [Checkpoint(0, float("nan"), 0.0, 0.5, 0.0, weights)]
        self._weights = weights

    @property
    def checkpoints(self):
        made = self._made
        newest = made[-1]
        self._made = [*made, Checkpoint(newest.step + 16, 0.5, newest.exact_accuracy + 0.001, 0.9, 1.0, self._weights)]
        return made

    @checkpoints.setter
    def checkpoints(self, value) -> None:  # the dataclass's __init__ sets it
        self._made = value


@pytest.mark.parametrize("section", [None, "Train it yourself"])
def test_the_words_above_the_picture_and_the_training_section_show_the_same_checkpoint(shipped_weights, section):
    # With the training section open, the words under the network choice are written with the section's bar
    # (ui.session_networks.run_progress_caption); otherwise at once. Either way: the same checkpoint, same words.
    run = RunThatGrowsWhileDrawn(TrainingSettings("fast", 3, 16, 0.01, 2_000), shipped_weights)
    for _ in range(5):
        run.checkpoints  # noqa: B018 (five checkpoints made before this page run)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.session_state["training_runs"] = [run]
    app.session_state["model_source"] = "Trained in this session"
    if section is not None:
        app.session_state["section"] = section
    app.run()
    assert not app.exception
    (bar,) = app.get("progress")
    above = [caption.value for caption in app.caption if " recipe, seed " in caption.value]
    assert len(above) == 1, [caption.value for caption in app.caption]
    assert bar.proto.text.startswith("step 80 / 2,000 · loss 0.5000 · exact on 0.5% of all 16,384 pairs")
    assert above[0].endswith(" · " + bar.proto.text)  # one wording, one checkpoint, though the run grew meanwhile
    assert shown(app)["source"] == "Your network (step 80)"
    assert len(run._made) > 6  # the run did grow while the page was drawn
