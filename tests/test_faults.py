"""Faults: a save killed half-way, and a page whose model file is gone or damaged."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from explainer import load_weights
from explainer.files.keras_file import _WEIGHT_DATASETS, SHIPPED_MODEL_PATH, ModelFileError, file_sha256, read_sidecar
from explainer.paths import PROJECT_ROOT

# A writer that saves over an existing model but stops inside the write: it has written part of the new
# file into the temporary path, says so, and waits. The test then kills it with SIGKILL, the way a crash
# or an out-of-memory kill would end it.
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from explainer.files import keras_file as storage
    from explainer.model.network import RNNWeights
    import numpy as np

    target = Path(sys.argv[1])
    model = RNNWeights(np.ones((2, 16)), np.eye(16), np.ones((16, 1))).to_model()

    def half_written_save(temporary):
        Path(temporary).write_bytes(b"PK\\x03\\x04 the first bytes of a zip, and nothing else")
        print("writing", flush=True)
        sys.stdin.read()  # blocks until killed

    model.save = half_written_save
    storage.save_model(model, target, {"recipe": "interrupted"})
    """
)


def test_killing_a_save_midway_leaves_the_previous_model_intact(tmp_path):
    target = tmp_path / "model.keras"
    target.write_bytes(SHIPPED_MODEL_PATH.read_bytes())
    target.with_suffix(".json").write_text(SHIPPED_MODEL_PATH.with_suffix(".json").read_text())
    before = file_sha256(target)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "writing"
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert writer.returncode == -signal.SIGKILL
    assert file_sha256(target) == before
    assert load_weights(target) == load_weights(SHIPPED_MODEL_PATH)
    assert read_sidecar(target)["recipe"] == "seed"
    # The half-written file only ever existed under a temporary name beside it.
    leftovers = [path.name for path in tmp_path.iterdir() if path.name not in {"model.keras", "model.json"}]
    assert all(name.startswith(".model.") for name in leftovers)


def test_a_failing_save_cleans_up_its_temporary_file(tmp_path):
    from explainer.files.keras_file import save_model

    class Broken:
        def save(self, path):
            Path(path).write_bytes(b"partial")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        save_model(Broken(), tmp_path / "model.keras", {})
    assert list(tmp_path.iterdir()) == []


def keras_file_with_weights(path: Path, scale: float) -> Path:
    """The shipped ``.keras`` file with every weight replaced by ``scale`` times its sign, stored as float64."""
    import h5py

    with zipfile.ZipFile(SHIPPED_MODEL_PATH) as source, zipfile.ZipFile(path, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "model.weights.h5":
                buffer = io.BytesIO(data)
                with h5py.File(buffer, "r+") as weights_file:
                    for dataset in _WEIGHT_DATASETS.values():
                        values = np.sign(np.array(weights_file[dataset], dtype=np.float64)) * scale
                        del weights_file[dataset]
                        weights_file.create_dataset(dataset, data=values.astype(np.float64))
                data = buffer.getvalue()
            target.writestr(member, data)
    return path


def test_a_model_file_whose_sums_overflow_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match="overflow"):
        load_weights(keras_file_with_weights(tmp_path / "huge.keras", 1e308))
    assert load_weights(keras_file_with_weights(tmp_path / "fine.keras", 1.0)).hidden_units == 16
