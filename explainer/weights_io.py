"""Weights in and out of the page: ``.npz`` both ways, ``.keras`` out only.

An ``.npz`` weights file is a zip of exactly three ``.npy`` arrays (H hidden units, 1 ≤ H ≤ 64):

    input_weights      (2, H)   W_x: the two input bits → each hidden unit
    recurrent_weights  (H, H)   W_h: hidden state at t − 1 → hidden state at t
    output_weights     (H, 1)   W_o: hidden state → the output bit's logit

Any real numeric dtype is accepted (they become float64); nothing else may be in the file. This is what
``numpy.savez("mine.npz", input_weights=..., recurrent_weights=..., output_weights=...)`` writes, so weights
trained anywhere can be brought to the page.

Why uploads are ``.npz`` only: loading a ``.keras`` file runs Keras's deserialiser, whose ``safe_mode`` has been
bypassed again and again (CVE-2025-1550, CVE-2025-8747, CVE-2025-9905, CVE-2025-9906, CVE-2026-1462). An
``.npz`` read with ``allow_pickle=False`` is only ever numbers: no code, no objects. The reader also caps the
file size and the declared size of every array before decompressing anything, so a small zip cannot expand
into gigabytes.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from explainer.network import MAX_HIDDEN_UNITS, RNNWeights

ARRAY_NAMES = ("input_weights", "recurrent_weights", "output_weights")
# The largest valid file holds (2·64 + 64·64 + 64) float64 = 34,816 bytes of numbers plus ~1 KB of zip and
# .npy headers; 64 KiB leaves room for that and refuses anything bigger (the server's own cap is 1 MB).
MAX_NPZ_BYTES = 64 * 1024
_FORMAT_HELP = (
    "Upload an .npz made with numpy.savez(path, input_weights=(2, H), recurrent_weights=(H, H), "
    f"output_weights=(H, 1)) for H from 1 to {MAX_HIDDEN_UNITS}, or one downloaded from this page."
)


def weights_to_npz_bytes(weights: RNNWeights) -> bytes:
    """The three arrays, float64, in an uncompressed ``.npz`` (at most ~36 KB for H = 64)."""
    if not isinstance(weights, RNNWeights):
        raise ValueError(f"expected RNNWeights; got {type(weights).__name__}.")
    buffer = io.BytesIO()
    np.savez(buffer, **{name: getattr(weights, name) for name in ARRAY_NAMES})
    return buffer.getvalue()


def _bad(problem: str) -> ValueError:
    return ValueError(f"{problem} {_FORMAT_HELP}")


def _check_zip(data: bytes, max_bytes: int) -> None:
    """Refuse anything that is not a small zip of exactly the three expected ``.npy`` members."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _bad("This file is not an .npz archive (an .npz is a zip file of .npy arrays).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _bad(f"This .npz archive is damaged ({error}).") from error
    names = [member.filename for member in members]
    expected = {f"{name}.npy" for name in ARRAY_NAMES}
    missing = sorted(name.removesuffix(".npy") for name in expected - set(names))
    extra = sorted(set(names) - expected)
    if missing:
        raise _bad(f"The .npz is missing the array(s) {', '.join(missing)}.")
    if extra or len(names) != len(set(names)):
        raise _bad(
            f"The .npz holds unexpected entries ({', '.join(extra) or 'duplicate names'}); "
            "only the three arrays are allowed."
        )
    # The declared uncompressed size bounds what decompression can produce (zipfile stops there).
    declared = sum(member.file_size for member in members)
    if declared > max_bytes:
        raise _bad(f"The arrays in this .npz would take {declared:,} bytes; weights files are at most {max_bytes:,}.")


def weights_from_npz_bytes(data: bytes, max_bytes: int = MAX_NPZ_BYTES) -> RNNWeights:
    """Read weights from the bytes of an ``.npz`` file, refusing anything that is not exactly that.

    Raises ``ValueError`` with a message fit to show a user when the data is too large, not a zip/``.npz``,
    holds pickled (object) arrays, lacks an array or has extra ones, has the wrong shapes or a non-numeric
    dtype, or contains NaN or infinity. Never unpickles (``allow_pickle=False``) and never runs code.
    """
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise ValueError(f"expected the file's contents as bytes; got {type(data).__name__}.")
    if len(data) > max_bytes:
        raise _bad(f"This file is {len(data):,} bytes; weights files are at most {max_bytes:,} bytes.")
    if not data:
        raise _bad("This file is empty.")
    _check_zip(data, max_bytes)
    arrays = {}
    name = ARRAY_NAMES[0]  # the array being read, for the error message
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            for name in ARRAY_NAMES:
                arrays[name] = archive[name]
    except ValueError as error:
        if "pickle" in str(error).lower():  # numpy: "Object arrays cannot be loaded when allow_pickle=False"
            raise _bad(f"The array {name} holds Python objects (pickled data), which are never loaded.") from error
        raise _bad(f"The array {name} cannot be read ({error}).") from error
    except (OSError, zipfile.BadZipFile, EOFError) as error:
        raise _bad(f"The array {name} cannot be read ({type(error).__name__}: {error}).") from error

    for name, array in arrays.items():
        if array.dtype.kind not in "fiu":  # float, signed or unsigned int: refuse bool, complex, text, records
            raise _bad(f"The array {name} has dtype {array.dtype}; weights must be real numbers.")
    input_weights = arrays["input_weights"]
    if input_weights.ndim != 2 or input_weights.shape[0] != 2 or not 1 <= input_weights.shape[1] <= MAX_HIDDEN_UNITS:
        raise _bad(
            f"input_weights has shape {input_weights.shape}; it must be (2, H) with H from 1 to {MAX_HIDDEN_UNITS}."
        )
    hidden_units = input_weights.shape[1]
    expected = {"recurrent_weights": (hidden_units, hidden_units), "output_weights": (hidden_units, 1)}
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise _bad(
                f"{name} has shape {arrays[name].shape}; input_weights says H = {hidden_units}, so it must be {shape}."
            )
    for name, array in arrays.items():
        as_float = array.astype(np.float64)
        if not np.isfinite(as_float).all():
            raise _bad(f"The array {name} contains NaN or infinite values.")
        arrays[name] = as_float
    return RNNWeights(**arrays)


def model_to_keras_bytes(weights: RNNWeights) -> bytes:
    """A Keras ``.keras`` file of the seed's architecture carrying ``weights``, as bytes (for downloading).

    Builds a fresh model (never touches a shared one), saves it into a private temporary directory and
    reads the file back. The page offers it for download only; it never loads ``.keras`` files from users.
    """
    if not isinstance(weights, RNNWeights):
        raise ValueError(f"expected RNNWeights; got {type(weights).__name__}.")
    model = weights.to_model()
    with tempfile.TemporaryDirectory(prefix="adder-keras-") as directory:
        path = Path(directory) / "model.keras"
        model.save(path)
        return path.read_bytes()


def weights_from_upload(file_name: str, data: bytes, max_bytes: int = MAX_NPZ_BYTES) -> RNNWeights:
    """:func:`weights_from_npz_bytes` for a file a user uploaded, refusing other kinds by name first.

    A ``.keras`` file gets its own explanation: it is refused unread, however it was made.
    """
    name = str(file_name)
    if name.lower().endswith((".keras", ".h5", ".hdf5", ".pkl", ".pickle", ".pt", ".pth")):
        raise ValueError(
            f"{name} was not opened: this page loads weights only from .npz files, because loading a Keras or "
            "pickle file can run code (Keras's safe_mode has been bypassed repeatedly, e.g. CVE-2025-1550). "
            + _FORMAT_HELP
        )
    if not name.lower().endswith(".npz"):
        raise _bad(f"{name} is not an .npz file.")
    return weights_from_npz_bytes(data, max_bytes)


def model_to_keras_bytes_in_subprocess(weights: RNNWeights, timeout: float = 300) -> bytes:
    """:func:`model_to_keras_bytes`, computed by a child Python process (``python -m explainer.weights_io``).

    The page uses this so that its own process never imports Keras (once imported, Streamlit clears Keras's
    session after every rerun of every session). The child reads the ``.npz`` on stdin, writes ``.keras`` on
    stdout. Raises ``RuntimeError`` with the child's last error line if it fails.
    """
    completed = subprocess.run(
        [sys.executable, "-m", "explainer.weights_io"],
        input=weights_to_npz_bytes(weights),
        capture_output=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0 or not zipfile.is_zipfile(io.BytesIO(completed.stdout)):
        last_line = (completed.stderr.decode(errors="replace").strip().splitlines() or ["no error output"])[-1]
        raise RuntimeError(f"Saving the .keras file failed (exit status {completed.returncode}): {last_line}")
    return completed.stdout


def main() -> int:
    """``.npz`` on stdin → ``.keras`` on stdout (see :func:`model_to_keras_bytes_in_subprocess`)."""
    weights = weights_from_npz_bytes(sys.stdin.buffer.read())
    sys.stdout.buffer.write(model_to_keras_bytes(weights))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
