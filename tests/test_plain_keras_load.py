"""Every ``.keras`` the project writes loads with plain ``keras.saving.load_model``, without this project.

A user who downloads the shipped model or a ``.keras`` from the page has Keras, not ``explainer``. The loads
run in a child Python started with ``-I`` (no PYTHONPATH, no current directory on sys.path) from a folder
outside the repository, and the child checks that ``explainer`` was never imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from explainer.files.keras_export import model_to_keras_bytes_in_subprocess
from explainer.files.keras_file import SHIPPED_MODEL_PATH, load_weights

PROJECT_ROOT = Path(__file__).resolve().parent.parent

PLAIN_LOAD = """
import json, sys
import keras

loaded = {}
for path in sys.argv[1:]:
    model = keras.saving.load_model(path)  # compile=True and safe_mode=True: Keras's defaults
    loaded[path] = [weight.tolist() for weight in model.get_weights()]
assert "explainer" not in sys.modules, "the plain load imported explainer"
print(json.dumps({"explainer_imported": "explainer" in sys.modules, "weights": loaded}))
"""


# `python -m explainer.training --recipe long --seed 0 --out PATH`, with the stages cut to two steps.
TRAIN_LONG_BRIEFLY = """
import sys
import explainer.training.long_recipe
from explainer.training.train import main

explainer.training.long_recipe.STAGES = ((1, 5.0), (1, 30.0))
sys.exit(main(["--recipe", "long", "--seed", "0", "--out", sys.argv[1]]))
"""


def load_plainly(paths: list[Path], folder: Path) -> dict:
    completed = subprocess.run(
        [sys.executable, "-I", "-c", PLAIN_LOAD, *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=folder,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run_project_python(*arguments: str) -> None:
    """Run this interpreter on ``arguments`` from the project root, and require it to succeed."""
    completed = subprocess.run(
        [sys.executable, *arguments],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]


def test_every_keras_file_the_project_writes_loads_with_plain_keras(tmp_path):
    # 1. A model trained and saved by the CLI (a few steps are enough: the model is compiled while training).
    trained = tmp_path / "trained.keras"
    run_project_python("-m", "explainer.training", "--recipe", "fast", "--max-steps", "16", "--out", str(trained))
    # 2. The page's ".keras" download, made the way the page makes it (in a child process).
    downloaded = tmp_path / "downloaded.keras"
    downloaded.write_bytes(model_to_keras_bytes_in_subprocess(load_weights(SHIPPED_MODEL_PATH)))
    # 3. A model made by the long recipe's command (two steps instead of 3,500: the saving is the same code).
    long_trained = tmp_path / "long.keras"
    run_project_python("-c", TRAIN_LONG_BRIEFLY, str(long_trained))
    # 4. Every shipped asset.
    assets = sorted((PROJECT_ROOT / "assets").glob("*.keras"))
    assert SHIPPED_MODEL_PATH in assets and len(assets) >= 2  # the seed network and model-long.keras
    paths = [*assets, trained, downloaded, long_trained]

    result = load_plainly(paths, tmp_path)

    assert result["explainer_imported"] is False
    for path in paths:
        expected = load_weights(path)  # read with h5py, no Keras
        input_weights, recurrent_weights, output_weights = (np.array(w) for w in result["weights"][str(path)])
        assert np.array_equal(input_weights, expected.input_weights)
        assert np.array_equal(recurrent_weights, expected.recurrent_weights)
        assert np.array_equal(output_weights, expected.output_weights)


@pytest.mark.parametrize("path", sorted((PROJECT_ROOT / "assets").glob("*.keras")), ids=lambda path: path.name)
def test_the_shipped_files_carry_no_compile_state(path):
    """The cause of the old failure, checked directly: no metric, loss or optimizer is stored in the file."""
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        weights_file = archive.read("model.weights.h5")
    assert not config.get("compile_config")
    assert "overall_error" not in json.dumps(config)
    assert b"optimizer" not in weights_file
