import json
import os
import subprocess
import sys

import numpy as np
import pytest

from explainer import evaluate, load_model
from explainer.files.keras_file import file_sha256, read_sidecar
from explainer.model.network import RNNWeights
from explainer.paths import PROJECT_ROOT
from explainer.training.train import train


@pytest.mark.parametrize("recipe", ["fast", "seed"])
def test_recipe_reaches_100_percent_from_a_fixed_seed(recipe):
    result = train(recipe, seed=0)
    assert result.solved and result.exact_accuracy == 1.0 and result.bit_accuracy == 1.0
    # The result's accuracy is real: re-evaluate the returned model independently.
    assert evaluate(RNNWeights.from_model(result.model)).exact_accuracy == 1.0
    # It stopped at the first exact check, not before and not much after.
    assert result.checkpoints[-1].step == result.steps
    assert all(checkpoint.exact_accuracy < 1.0 for checkpoint in result.checkpoints[:-1])
    assert result.train_seconds > 0


def test_fast_recipe_needs_far_fewer_steps_than_seed():
    fast = train("fast", seed=1)
    seed = train("seed", seed=1, max_steps=2000)
    assert fast.solved and not seed.solved and fast.steps < 2000


@pytest.mark.parametrize("recipe", ["fast", "seed"])
def test_same_seed_gives_the_same_weights(recipe):
    first = RNNWeights.from_model(train(recipe, seed=3, max_steps=300).model)
    second = RNNWeights.from_model(train(recipe, seed=3, max_steps=300).model)
    np.testing.assert_array_equal(first.recurrent_weights, second.recurrent_weights)
    different = RNNWeights.from_model(train(recipe, seed=4, max_steps=300).model)
    assert not np.array_equal(first.recurrent_weights, different.recurrent_weights)


def test_step_limit_and_checkpoints():
    result = train("seed", seed=0, max_steps=2500)
    assert result.steps == 2500 and not result.solved
    assert [checkpoint.step for checkpoint in result.checkpoints] == [0, 1000, 2000, 2500]
    assert np.isnan(result.checkpoints[0].loss) and result.checkpoints[1].loss > 0


def test_a_checkpoint_callback_can_stop_training():
    seen = []
    result = train("seed", seed=0, on_checkpoint=lambda checkpoint: seen.append(checkpoint.step) or len(seen) == 2)
    assert result.steps == 1000 and result.stopped_early and seen == [0, 1000]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"recipe": "slow"}, "recipe"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"hidden_units": 0}, "hidden_units"),
        ({"max_steps": 0}, "max_steps"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"learning_rate": "0.1"}, "learning_rate"),
    ],
)
def test_bad_training_arguments_raise(arguments, message):
    with pytest.raises(ValueError, match=message):
        train(**arguments)


def run_cli(*arguments):
    return subprocess.run(
        [sys.executable, "-m", "explainer.training", *arguments],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        timeout=300,
    )


def test_cli_prints_one_json_line_last_and_writes_model_and_sidecar(tmp_path):
    out = tmp_path / "models" / "fast.keras"
    completed = run_cli("--recipe", "fast", "--seed", "0", "--out", str(out))
    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    assert {"recipe", "seed", "steps", "train_seconds", "exact_accuracy", "bit_accuracy", "path"} <= set(summary)
    assert summary["recipe"] == "fast" and summary["exact_accuracy"] == 1.0 and summary["path"] == str(out)
    assert "step" in completed.stderr  # the progress bar went to the terminal, not into stdout
    sidecar = read_sidecar(out)
    assert sidecar["sha256"] == file_sha256(out) == summary["sha256"]
    assert sidecar["accuracy_7bit_pairs"]["pairs"] == 16384 and sidecar["accuracy_8bit_pairs"]["pairs"] == 65536
    assert load_model(out).count_params() == 304
    # Written atomically: nothing but the model and its sidecar is left in the folder.
    assert sorted(path.name for path in out.parent.iterdir()) == ["fast.json", "fast.keras"]
    assert oct(out.stat().st_mode & 0o777) == "0o644"


def test_cli_seed_recipe_prints_like_the_blog(tmp_path):
    completed = run_cli("--recipe", "seed", "--seed", "0", "--max-steps", "10000", "--out", str(tmp_path / "s.keras"))
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.strip().splitlines()
    assert "+" in lines[0] and "?=" in lines[0]  # "97+2?=67"
    float(lines[1])  # then the loss, as in the blog
    assert json.loads(lines[-1])["steps"] == 10000


@pytest.mark.parametrize(
    "arguments",
    [["--recipe", "slow"], ["--hidden-units", "0"], ["--out", "model.h5"], ["--seed", "x"]],
)
def test_cli_bad_arguments_exit_2_with_a_message(tmp_path, arguments):
    full = ["--out", str(tmp_path / "m.keras"), *arguments]
    completed = run_cli(*full)
    assert completed.returncode == 2
    assert "error:" in completed.stderr and "Traceback" not in completed.stderr
    assert not (tmp_path / "m.keras").exists()


def test_the_pages_default_seed_learns_and_is_not_the_shipped_ones():
    """The page's defaults must not retrain assets/model.keras (then "Side by side" never appears), and must learn:
    the sweep (assets/sweep.json, the same recipe) records the default seed solving within the page's step limit."""
    from explainer.training.recipes import RECIPE_LEARNING_RATES, TrainingSettings
    from ui.training_run import PAGE_DEFAULT_SEED, PAGE_DEFAULT_STEPS

    rate, steps = RECIPE_LEARNING_RATES["seed"], PAGE_DEFAULT_STEPS["seed"]
    defaults = TrainingSettings("seed", PAGE_DEFAULT_SEED, 16, rate, steps)
    shipped = read_sidecar()
    assert not defaults.rebuilds(shipped)
    assert TrainingSettings("seed", shipped["seed"], 16, shipped["learning_rate"], shipped["steps"]).rebuilds(shipped)
    sweep = json.loads((PROJECT_ROOT / "assets" / "sweep.json").read_text())
    assert sweep["recipe"] == "seed"
    (run,) = [run for run in sweep["runs"] if run["seed"] == PAGE_DEFAULT_SEED and run["hidden_units"] == 16]
    assert run["solved"] and run["steps_to_100"] <= PAGE_DEFAULT_STEPS["seed"]
