"""Saving and loading models: atomic writes, a provenance sidecar, and errors that say how to recover."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import keras

from explainer.network import RNNWeights

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODEL_PATH = PROJECT_ROOT / "assets" / "model.keras"
# The exact command that produced the shipped model; the README and every load error repeat it.
SHIPPED_MODEL_COMMAND = "python -m explainer.train --recipe seed --seed 0 --out assets/model.keras"


class ModelFileError(RuntimeError):
    """A model file is missing, unreadable, or not the seed's architecture."""


def sidecar_path(model_path: str | os.PathLike) -> Path:
    """``model.keras`` → ``model.json``: where the provenance of a model file is recorded."""
    return Path(model_path).with_suffix(".json")


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_atomically(path: Path, write) -> None:
    """Call ``write(temporary_path)``, then rename over ``path``.

    A rename within one directory is atomic on POSIX, so a reader (or a crash mid-write) sees either the
    old complete file or the new complete file, never half of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o644)  # mkstemp creates 0600; a shipped asset must be readable by the app's user
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_model(model: keras.Model, path: str | os.PathLike, provenance: dict) -> dict:
    """Save ``model`` to ``path`` (``.keras``) and its sidecar JSON, each atomically.

    The sidecar holds ``provenance`` plus the model file's sha256; it is returned as a dict.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"the model path must end in .keras; got {path}.")
    _write_atomically(path, lambda temporary: model.save(temporary))
    sidecar = {**provenance, "model_file": path.name, "sha256": file_sha256(path)}
    text = json.dumps(sidecar, indent=2, sort_keys=True) + "\n"
    _write_atomically(sidecar_path(path), lambda temporary: temporary.write_text(text))
    return sidecar


def load_model(path: str | os.PathLike = SHIPPED_MODEL_PATH) -> keras.Model:
    """Load a model saved by ``explainer.train``; by default the shipped one in ``assets/``.

    Raises :class:`ModelFileError` naming the file and the command that recreates it when the file is
    missing, cannot be read, or does not hold the seed's RNN.
    """
    path = Path(path)
    recreate = (
        f"Recreate it with: {SHIPPED_MODEL_COMMAND}"
        if path.resolve() == SHIPPED_MODEL_PATH
        else ("Recreate it with: python -m explainer.train --recipe seed --seed 0 --out " + str(path))
    )
    if not path.is_file():
        raise ModelFileError(f"The model file {path} is missing. {recreate}")
    try:
        # compile=False: the training metric is not needed to run the network, and this keeps loading
        # independent of the training code. safe_mode stays on (the default).
        model = keras.saving.load_model(path, compile=False)
        RNNWeights.from_model(model)
    except Exception as error:  # Keras raises many kinds for a truncated or foreign file
        raise ModelFileError(
            f"The model file {path} could not be read as the adder RNN ({type(error).__name__}: {error}). {recreate}"
        ) from error
    return model


def load_weights(path: str | os.PathLike = SHIPPED_MODEL_PATH) -> RNNWeights:
    """:func:`load_model`, returned as read-only numpy weights."""
    return RNNWeights.from_model(load_model(path))


def read_sidecar(path: str | os.PathLike = SHIPPED_MODEL_PATH) -> dict:
    """The provenance JSON next to a model file, or ``{}`` if there is none or it is unreadable."""
    try:
        return json.loads(sidecar_path(path).read_text())
    except (OSError, ValueError):
        return {}
