"""The sweep CLI, its result file, and the training figures."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explainer.figures.training import sweep_figure, training_curves_figure
from explainer.files.keras_file import write_json_atomically
from explainer.paths import PROJECT_ROOT
from explainer.training.sweep import DEFAULT_HIDDEN_SIZES, DEFAULT_SWEEP_PATH, load_sweep, summarize_runs


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """H = 1 and 16, seed 0, the fast recipe for 400 steps: 16 units solve (at step 208), 1 unit does not."""
    out = tmp_path_factory.mktemp("sweep") / "sweep.json"
    command = [
        sys.executable,
        "-m",
        "explainer.training.sweep",
        "--seeds",
        "0",
        "--hidden-units",
        "1",
        "16",
        "--recipe",
        "fast",
        "--max-steps",
        "400",
        "--out",
        str(out),
    ]
    completed = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return out, completed


def test_cli_writes_a_valid_file_and_a_json_summary_last(tiny_sweep):
    out, completed = tiny_sweep
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    assert summary["runs"] == 2 and summary["solved"] == 1 and summary["path"] == str(out)
    assert summary["solved_by_hidden_units"] == {"1": 0, "16": 1}
    assert "2/2" in completed.stderr  # the progress bar went to stderr
    sweep = load_sweep(out)
    assert sweep["command"].startswith("python -m explainer.training.sweep --seeds 0 --hidden-units 1 16")
    assert sweep["recipe"] == "fast" and sweep["max_steps"] == 400 and sweep["check_every"] == 16
    by_size = {run["hidden_units"]: run for run in sweep["runs"]}
    assert by_size[16]["solved"] and by_size[16]["exact_accuracy"] == 1.0
    assert by_size[16]["steps_to_100"] % 16 == 0 and 0 < by_size[16]["steps_to_100"] <= 400
    assert not by_size[1]["solved"] and by_size[1]["steps_to_100"] is None and by_size[1]["steps"] == 400
    assert [path.name for path in out.parent.iterdir()] == ["sweep.json"]  # the atomic write left no temp file
    assert summarize_runs(sweep["runs"]) == [
        {"hidden units": 1, "runs": 1, "solved": 0, "median steps to 100%": None},
        {"hidden units": 16, "runs": 1, "solved": 1, "median steps to 100%": by_size[16]["steps_to_100"]},
    ]


def test_the_page_reads_the_file_the_cli_wrote(tiny_sweep):
    out, _ = tiny_sweep
    app = AppTest.from_file("apps/training_app.py", default_timeout=120)
    app.session_state["test_sweep_path"] = str(out)
    app.run()
    assert not app.exception
    assert any(chart.proto.id.endswith("-sweep_chart") for chart in app.get("plotly_chart"))
    assert any("--hidden-units 1 16" in caption.value for caption in app.caption)


def test_sweep_figure_draws_failures_apart_from_successes(tiny_sweep):
    sweep = load_sweep(tiny_sweep[0])
    figure = sweep_figure(sweep["runs"], sweep["max_steps"])
    traces = {trace.name: trace for trace in figure.data}
    assert set(traces) == {"reached 100%", "not by 400 steps"}
    assert list(traces["not by 400 steps"].y) == [400]
    assert traces["not by 400 steps"].marker.symbol != traces["reached 100%"].marker.symbol
    assert [annotation.text for annotation in figure.layout.annotations] == ["0/1 solved", "1/1 solved"]


def test_the_shipped_sweep_is_valid_and_covers_the_default_grid():
    sweep = load_sweep(DEFAULT_SWEEP_PATH)
    assert sweep["recipe"] == "seed"
    assert sweep["command"].startswith("python -m explainer.training.sweep ")
    assert sorted({run["hidden_units"] for run in sweep["runs"]}) == sorted(DEFAULT_HIDDEN_SIZES)
    assert len(sweep["runs"]) == len(sweep["seeds"]) * len(sweep["hidden_units"])
    assert any(run["solved"] for run in sweep["runs"])


GOOD_DOCUMENT = {
    "format": "addition-unfolded/sweep",
    "version": 1,
    "command": "python -m explainer.training.sweep",
    "recipe": "seed",
    "max_steps": 1000,
    "runs": [
        {
            "seed": 0,
            "hidden_units": 4,
            "solved": True,
            "steps_to_100": 1000,
            "steps": 1000,
            "exact_accuracy": 1.0,
            "bit_accuracy": 1,
            "train_seconds": 1.5,
        }
    ],
}


def with_run(**changes) -> dict:
    return {**GOOD_DOCUMENT, "runs": [{**GOOD_DOCUMENT["runs"][0], **changes}]}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([1, 2], "top level"),
        ({**GOOD_DOCUMENT, "format": "other"}, "format"),
        ({**GOOD_DOCUMENT, "max_steps": "many"}, "max_steps"),
        ({**GOOD_DOCUMENT, "runs": []}, "non-empty"),
        (with_run(solved="yes"), "'solved'"),
        (with_run(seed=True), "'seed'"),
        (with_run(hidden_units=65), "hidden_units 65"),
        (with_run(steps_to_100=None), "steps_to_100"),
        (with_run(steps_to_100=5000), "outside"),
        (with_run(solved=False), "must be null"),
        (with_run(exact_accuracy=math.inf), "exact_accuracy"),
    ],
)
def test_load_sweep_names_the_problem(tmp_path, document, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=message) as raised:
        load_sweep(path)
    assert "python -m explainer.training.sweep --out" in str(raised.value)


def test_load_sweep_reads_a_good_file_and_refuses_junk(tmp_path):
    path = tmp_path / "good.json"
    write_json_atomically(path, GOOD_DOCUMENT)
    assert load_sweep(path)["runs"][0]["steps_to_100"] == 1000
    path.write_text("{not json")
    with pytest.raises(ValueError, match="JSON"):
        load_sweep(path)
    with pytest.raises(FileNotFoundError):
        load_sweep(tmp_path / "missing.json")


def test_training_curves_mark_the_selected_checkpoint():
    steps, losses = [0, 1000, 2000], [math.nan, 0.7, 0.3]
    exact, bits = [0.0, 0.1, 1.0], [0.5, 0.8, 1.0]
    figure = training_curves_figure(steps, losses, exact, bits, selected_step=1000)
    loss_trace = figure.data[0]
    assert list(loss_trace.x) == [1000, 2000]  # no loss before the first step
    markers = [trace for trace in figure.data if list(trace.x) == [1000] and trace.mode == "markers"]
    assert [list(trace.y) for trace in markers] == [[0.7], [0.1]]
    assert {shape.x0 for shape in figure.layout.shapes} == {1000}
    assert len(training_curves_figure(steps, losses, exact, bits).layout.shapes) == 0
    with pytest.raises(ValueError, match="not a checkpoint"):
        training_curves_figure(steps, losses, exact, bits, selected_step=1500)
    with pytest.raises(ValueError, match="one per checkpoint"):
        training_curves_figure(steps, losses[:2], exact, bits)
    with pytest.raises(ValueError, match="empty"):
        training_curves_figure([], [], [], [])
