"""The page's ``.keras`` download: the weights in a Keras file of the seed's architecture, built by a child process
(``python -m explainer.files.keras_export``) so that the page's own process never imports Keras."""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from explainer.files.npz_file import weights_from_npz_bytes, weights_to_npz_bytes
from explainer.model.network import RNNWeights
from explainer.paths import PROJECT_ROOT


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


def model_to_keras_bytes_in_subprocess(weights: RNNWeights, timeout: float = 300) -> bytes:
    """:func:`model_to_keras_bytes`, computed by a child Python process (``python -m explainer.files.keras_export``).

    The page uses this so that its own process never imports Keras (once imported, Streamlit clears Keras's
    session after every rerun of every session). The child reads the ``.npz`` on stdin, writes ``.keras`` on
    stdout. Raises ``RuntimeError`` with the child's last error line if it fails.
    """
    completed = subprocess.run(
        [sys.executable, "-m", "explainer.files.keras_export"],
        input=weights_to_npz_bytes(weights),
        capture_output=True,
        cwd=PROJECT_ROOT,
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
