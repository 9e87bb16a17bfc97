"""Saving and loading models: atomic writes, a provenance sidecar, and errors that say how to recover.

The page's ``.keras`` download is built apart, in a child process: :mod:`explainer.files.keras_export`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from explainer.files.overflow import require_finite_sums, require_input_width
from explainer.model.network import RNNWeights
from explainer.paths import PROJECT_ROOT

if TYPE_CHECKING:
    import keras

SHIPPED_MODEL_PATH = PROJECT_ROOT / "assets" / "model.keras"
# The exact command that produced the shipped model; the README and every load error repeat it.
SHIPPED_MODEL_COMMAND = "python -m explainer.training --recipe seed --seed 0 --out assets/model.keras"
# The second shipped network: the same architecture, fine-tuned on long sums until the verifier proves it.
LONG_MODEL_PATH = PROJECT_ROOT / "assets" / "model-long.keras"
LONG_MODEL_COMMAND = "python -m explainer.training --recipe long --seed 0 --out assets/model-long.keras"
# Each rule's shipped network (explainer.rules): assets/rules/<name>.keras, made by the command in its sidecar.
RULE_MODELS_DIR = PROJECT_ROOT / "assets" / "rules"


def rule_model_path(name: str) -> Path:
    """Where the shipped network of the rule called ``name`` is (addition's is :data:`SHIPPED_MODEL_PATH`)."""
    return SHIPPED_MODEL_PATH if name == "addition" else RULE_MODELS_DIR / f"{name}.keras"


# Deployments (and the fault tests) can point the page at another model file with this variable.
MODEL_PATH_VARIABLE = "ADDITION_UNFOLDED_MODEL"


def page_model_path() -> Path:
    """The model file the page shows: ``$ADDITION_UNFOLDED_MODEL`` if set, else the shipped one."""
    return Path(os.environ.get(MODEL_PATH_VARIABLE) or SHIPPED_MODEL_PATH)


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


def write_atomically(path: Path, write) -> None:
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


def write_json_atomically(path: str | os.PathLike, document: dict) -> None:
    """Write ``document`` as indented JSON with :func:`write_atomically`."""
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    write_atomically(Path(path), lambda temporary: temporary.write_text(text))


def save_model(model: keras.Model, path: str | os.PathLike, provenance: dict) -> dict:
    """Save ``model`` to ``path`` (``.keras``) and its sidecar JSON, each atomically.

    The file holds the architecture and the weights, no compile state, so ``keras.saving.load_model`` loads it
    in any Python with Keras, without this project (``tests/test_plain_keras_load.py``).

    The sidecar holds ``provenance`` plus the model file's sha256; it is returned as a dict.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"the model path must end in .keras; got {path}.")
    if getattr(model, "compiled", False):
        # A compiled model would also write its compile config (the optimizer, and the metric
        # explainer.training.train.overall_error by name, which plain keras.saving.load_model cannot find outside this
        # project) and the optimizer's state. Write only the architecture and the weights, so that every
        # .keras this project makes loads with plain Keras: a fresh, uncompiled model carrying the same weights.
        model = RNNWeights.from_model(model).to_model()
    write_atomically(path, lambda temporary: model.save(temporary))
    sidecar = {**provenance, "model_file": path.name, "sha256": file_sha256(path)}
    write_json_atomically(sidecar_path(path), sidecar)
    return sidecar


def _recreate_hint(path: Path) -> str:
    if path.resolve() == SHIPPED_MODEL_PATH:
        if not (PROJECT_ROOT / "streamlit_app.py").is_file():
            # Installed with pip, explainer has no repository around it, so no shipped model either.
            return (
                "This explainer is installed as a package, which does not include the shipped model: "
                "pass the path of a .keras file, or make one with "
                "python -m explainer.training --recipe seed --seed 0 --out model.keras"
            )
        return f"Recreate it with: {SHIPPED_MODEL_COMMAND}"
    if path.suffix != ".keras":  # explainer.training.train would refuse this --out
        return f"Point {MODEL_PATH_VARIABLE} at a .keras file, or unset it to show the shipped model."
    return f"Recreate it with: python -m explainer.training --recipe seed --seed 0 --out {path}"


def _require_model_file(path: Path) -> None:
    """Raise :class:`ModelFileError` unless ``path`` is a regular file, saying what it is instead.

    A directory or a device (``/dev/zero`` never ends) is not "missing", and must not be read or written to.
    """
    if path.is_file():
        return
    if not path.exists():
        raise ModelFileError(f"The model file {path} is missing. {_recreate_hint(path)}")
    kind = "a directory" if path.is_dir() else "not a regular file (a device, pipe or socket)"
    raise ModelFileError(
        f"The model path {path} is {kind}, not a .keras file. Point {MODEL_PATH_VARIABLE} at a .keras file, "
        "or unset it to show the shipped model."
    )


def load_model(path: str | os.PathLike = SHIPPED_MODEL_PATH, input_width: int = 2) -> keras.Model:
    """Load a model saved by ``explainer.training.train`` as a Keras model; by default the shipped one in ``assets/``.

    ``input_width`` is the bits per column the network must read: 2 for addition, a rule's own for another rule.

    Raises :class:`ModelFileError` naming the file and the command that recreates it when the file is
    missing, cannot be read, or does not hold the seed's RNN.
    """
    import keras

    path = Path(path)
    _require_model_file(path)
    try:
        # compile=False: the training metric is not needed to run the network, and this keeps loading
        # independent of the training code. safe_mode stays on (the default).
        model = keras.saving.load_model(path, compile=False)
        require_input_width(RNNWeights.from_model(model), input_width)
    except Exception as error:  # Keras raises many kinds for a truncated or foreign file
        raise ModelFileError(
            f"The model file {path} could not be read as the adder RNN ({type(error).__name__}: {error}). "
            + _recreate_hint(path)
        ) from error
    return model


# Where a ``.keras`` file of :func:`explainer.model.network.build_model` keeps each weight (Keras 3 format).
_WEIGHT_DATASETS = {
    "input_weights": "layers/simple_rnn/cell/vars/0",
    "recurrent_weights": "layers/simple_rnn/cell/vars/1",
    "output_weights": "layers/dense/vars/0",
}


def _check_architecture(config: dict) -> None:
    """Refuse a ``.keras`` config that is not SimpleRNN(sigmoid, no bias) → Dense(1, sigmoid, no bias)."""
    layers = [layer for layer in config["config"]["layers"] if layer["class_name"] != "InputLayer"]
    kinds = [layer["class_name"] for layer in layers]
    if kinds != ["SimpleRNN", "Dense"]:
        raise ValueError(f"expected the layers SimpleRNN then Dense; found {kinds}")
    rnn, dense = (layer["config"] for layer in layers)
    expected = {
        "SimpleRNN": (rnn, {"activation": "sigmoid", "use_bias": False, "return_sequences": True}),
        "Dense": (dense, {"activation": "sigmoid", "use_bias": False, "units": 1}),
    }
    for kind, (layer_config, settings) in expected.items():
        for name, value in settings.items():
            if layer_config.get(name) != value:
                raise ValueError(f"{kind} has {name}={layer_config.get(name)!r}; the adder needs {value!r}")


def load_weights(path: str | os.PathLike = SHIPPED_MODEL_PATH, input_width: int = 2) -> RNNWeights:
    """Read the three weight matrices straight out of a ``.keras`` file, without importing Keras.

    ``input_width`` is the bits per column the network must read: 2 for addition, a rule's own for another rule.
    A ``.keras`` file is a zip of ``config.json`` and ``model.weights.h5``; the architecture in the config
    is checked first. ``tests/test_shipped_model.py`` proves the result equals what Keras itself loads.
    Raises :class:`ModelFileError` (with the command that recreates the file) when it is missing or bad.
    """
    import h5py  # pinned in requirements.txt; imported here so that importing explainer stays light

    path = Path(path)
    _require_model_file(path)
    try:
        with zipfile.ZipFile(path) as archive:
            _check_architecture(json.loads(archive.read("config.json")))
            with h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as weights_file:
                arrays = {name: np.array(weights_file[dataset]) for name, dataset in _WEIGHT_DATASETS.items()}
        weights = RNNWeights(**arrays)
        require_finite_sums(weights)
        require_input_width(weights, input_width)
        return weights
    except Exception as error:  # zipfile, json, h5py and our own checks each raise their own kinds
        raise ModelFileError(
            f"The model file {path} could not be read as the adder RNN ({type(error).__name__}: {error}). "
            + _recreate_hint(path)
        ) from error


def read_sidecar(path: str | os.PathLike = SHIPPED_MODEL_PATH) -> dict:
    """The provenance JSON next to a model file, or ``{}`` if there is none or it is unreadable."""
    try:
        return json.loads(sidecar_path(path).read_text())
    except (OSError, ValueError):
        return {}
