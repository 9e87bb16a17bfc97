"""Weights files: every bad upload is refused with a message, a good one round-trips exactly."""

from __future__ import annotations

import io
import os
import pickle
import zipfile

import numpy as np
import pytest

from explainer.files.keras_export import model_to_keras_bytes, model_to_keras_bytes_in_subprocess
from explainer.files.npz_file import (
    ARRAY_NAMES,
    MAX_NPZ_BYTES,
    weights_from_npz_bytes,
    weights_to_npz_bytes,
)
from explainer.model.network import RNNWeights
from explainer.model.trace import trace_addition


def npz_bytes(compressed: bool = False, **arrays) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def npy_with_header(shape: tuple, dtype: str = "<f8", data: bytes = b"", header_padding: int = 0) -> bytes:
    """A ``.npy`` member whose header says ``shape`` and ``dtype`` whatever ``data`` really holds."""
    header = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {shape!r}, }}" + " " * header_padding + "\n"
    if len(header) < 2**16:
        prefix = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little")
    else:
        prefix = b"\x93NUMPY\x02\x00" + len(header).to_bytes(4, "little")
    return prefix + header.encode("latin1") + data


def npz_of_members(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, member in members.items():
            archive.writestr(f"{name}.npy", member)
    return buffer.getvalue()


def with_member(name: str, member: bytes) -> bytes:
    """A valid H = 3 file with one member replaced by raw ``.npy`` bytes."""
    members = {array_name: npy_bytes(array) for array_name, array in valid_arrays().items()}
    members[name] = member
    return npz_of_members(**members)


def valid_arrays(hidden_units: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "input_weights": rng.normal(size=(2, hidden_units)),
        "recurrent_weights": rng.normal(size=(hidden_units, hidden_units)),
        "output_weights": rng.normal(size=(hidden_units, 1)),
    }


def test_round_trip_gives_identical_weights_and_trace(shipped_weights):
    data = weights_to_npz_bytes(shipped_weights)
    assert len(data) < MAX_NPZ_BYTES
    loaded = weights_from_npz_bytes(data)
    assert loaded == shipped_weights
    for name in ARRAY_NAMES:
        np.testing.assert_array_equal(getattr(loaded, name), getattr(shipped_weights, name))
    for a, b in [(0, 0), (127, 127), (255, 255), (2**64 - 1, 1)]:
        original, reloaded = trace_addition(shipped_weights, a, b), trace_addition(loaded, a, b)
        np.testing.assert_array_equal(original.hidden, reloaded.hidden)
        np.testing.assert_array_equal(original.output_probability, reloaded.output_probability)
        assert original.predicted_sum == reloaded.predicted_sum


def test_a_file_made_with_plain_numpy_savez_loads_with_any_real_dtype():
    arrays = valid_arrays(5)
    arrays["input_weights"] = np.round(arrays["input_weights"]).astype(np.int16)
    arrays["output_weights"] = arrays["output_weights"].astype(np.float32)
    loaded = weights_from_npz_bytes(npz_bytes(compressed=True, **arrays))
    assert loaded.hidden_units == 5
    np.testing.assert_array_equal(loaded.input_weights, arrays["input_weights"].astype(np.float64))


def test_the_largest_network_fits_under_the_cap():
    arrays = valid_arrays(64)
    assert weights_from_npz_bytes(npz_bytes(**arrays)).hidden_units == 64


def with_replaced(name: str, value) -> dict:
    arrays = valid_arrays()
    arrays[name] = value
    return arrays


class UnpicklingWouldRunThis:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


BAD_FILES = {
    "wrong recurrent shape": (npz_bytes(**with_replaced("recurrent_weights", np.zeros((3, 4)))), "recurrent_weights"),
    "wrong output shape": (npz_bytes(**with_replaced("output_weights", np.zeros((3, 2)))), "output_weights"),
    "input not 2 rows": (npz_bytes(**with_replaced("input_weights", np.zeros((3, 3)))), "input_weights"),
    "input 1-d": (npz_bytes(**with_replaced("input_weights", np.zeros(6))), "input_weights"),
    "too many hidden units": (
        npz_bytes(
            input_weights=np.zeros((2, 65)), recurrent_weights=np.zeros((65, 65)), output_weights=np.zeros((65, 1))
        ),
        "from 1 to 64",
    ),
    "zero hidden units": (
        npz_bytes(input_weights=np.zeros((2, 0)), recurrent_weights=np.zeros((0, 0)), output_weights=np.zeros((0, 1))),
        "input_weights",
    ),
    "NaN": (npz_bytes(**with_replaced("recurrent_weights", np.full((3, 3), np.nan))), "NaN or infinite"),
    "infinity": (npz_bytes(**with_replaced("output_weights", np.array([[1.0], [np.inf], [0.0]]))), "NaN or infinite"),
    "object array (pickle inside)": (
        npz_bytes(**with_replaced("input_weights", np.array([[UnpicklingWouldRunThis()] * 3] * 2, dtype=object))),
        "pickled",
    ),
    "text array": (npz_bytes(**with_replaced("output_weights", np.array([["a"], ["b"], ["c"]]))), "real numbers"),
    "complex array": (npz_bytes(**with_replaced("output_weights", np.ones((3, 1), dtype=complex))), "real numbers"),
    "missing array": (npz_bytes(input_weights=np.zeros((2, 3)), recurrent_weights=np.zeros((3, 3))), "missing"),
    "extra array": (npz_bytes(**valid_arrays(), bias=np.zeros(3)), "unexpected"),
    "bare pickle": (pickle.dumps(UnpicklingWouldRunThis()), "not an .npz"),
    "single .npy, not .npz": (npy_bytes(np.zeros((2, 3))), "not an .npz"),
    "random bytes": (np.random.default_rng(1).bytes(2000), "not an .npz"),
    "text file": (b"input_weights = [[1, 2, 3]]\n", "not an .npz"),
    "empty": (b"", "empty"),
    "too large": (b"PK" + bytes(MAX_NPZ_BYTES), "at most"),
    "truncated zip": (npz_bytes(**valid_arrays())[:-40], "npz"),
    # A header may declare any shape; numpy allocates it before reading a byte (MemoryError, not ValueError).
    "header declares (2, 10**12)": (
        with_member("input_weights", npy_with_header((2, 10**12), data=bytes(48))),
        r"input_weights has shape \(2, 1000000000000\)",
    ),
    "header declares (2, 2**32)": (
        with_member("input_weights", npy_with_header((2, 2**32), data=bytes(48))),
        r"input_weights has shape \(2, 4294967296\)",
    ),
    "header declares a giant recurrent_weights": (
        with_member("recurrent_weights", npy_with_header((3, 10**15), data=bytes(72))),
        "recurrent_weights has shape",
    ),
    "header shape larger than its data": (
        with_member("recurrent_weights", npy_with_header((3, 3), data=bytes(16))),
        "declares shape",
    ),
    "header shape smaller than its data": (
        with_member("output_weights", npy_with_header((3, 1), data=bytes(8 * 30))),
        "declares shape",
    ),
    "60 KB header": (
        with_member("input_weights", npy_with_header((2, 3), data=bytes(48), header_padding=60_000)),
        "60,0..-byte .npy header",
    ),
    "header is not a dict": (with_member("input_weights", npy_with_header((2, 3))[:10] + b"[1, 2]\n"), "header"),
    "not .npy magic": (with_member("input_weights", b"PK\x03\x04" + bytes(60)), "not a .npy array"),
    "finite but ±1e308, so the sums overflow": (
        npz_bytes(**{name: 1e308 * np.sign(array) for name, array in valid_arrays().items()}),
        "overflow",
    ),
    "structured dtype": (
        npz_bytes(**with_replaced("output_weights", np.zeros((3, 1), dtype=[("x", "<f8")]))),
        "real numbers",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_with_a_message(case):
    data, expected_text = BAD_FILES[case]
    with pytest.raises(ValueError, match=expected_text) as raised:
        weights_from_npz_bytes(data)
    assert "numpy.savez" in str(raised.value)  # every message says how to make a good file


def test_no_header_makes_anything_but_a_value_error():
    # Every way a header can lie about its shape, dtype or length ends as a ValueError with the help text.
    for shape in [(2, 10**12), (2, 2**32), (2, -1), (2,), (), (2, 3, 10**9), (2, 2**63)]:
        for dtype in ["<f8", "<i8", "|O", "<U10", "|V8", "<c16", "<f2", ">f8"]:
            with pytest.raises(ValueError, match=r"numpy\.savez"):
                weights_from_npz_bytes(with_member("input_weights", npy_with_header(shape, dtype, data=bytes(48))))


def test_a_zip_bomb_is_refused_before_decompressing():
    # 18 MB of zeros deflates to ~18 KB: under the file cap, so only the declared-size check can stop it.
    huge = npz_bytes(compressed=True, **with_replaced("recurrent_weights", np.zeros((1500, 1500))))
    assert len(huge) < MAX_NPZ_BYTES
    with pytest.raises(ValueError, match="would take"):
        weights_from_npz_bytes(huge)


def test_a_zip_with_other_members_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in valid_arrays().items():
            member = io.BytesIO()
            np.save(member, array)
            archive.writestr(f"{name}.npy", member.getvalue())
        archive.writestr("run_me.py", "import os")
    with pytest.raises(ValueError, match="unexpected entries"):
        weights_from_npz_bytes(buffer.getvalue())


def test_a_smaller_cap_applies():
    data = npz_bytes(**valid_arrays(16))
    with pytest.raises(ValueError, match="at most 1,000 bytes"):
        weights_from_npz_bytes(data, max_bytes=1000)


def test_non_bytes_input_is_refused():
    with pytest.raises(ValueError, match="bytes"):
        weights_from_npz_bytes("input_weights.npy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="RNNWeights"):
        weights_to_npz_bytes(np.zeros((2, 3)))  # type: ignore[arg-type]


def test_keras_download_carries_the_same_weights(shipped_weights, tmp_path):
    import keras

    data = model_to_keras_bytes(shipped_weights)
    assert zipfile.is_zipfile(io.BytesIO(data))
    # Loading our own freshly written file is safe; the page itself never loads .keras files from users.
    path = tmp_path / "downloaded.keras"
    path.write_bytes(data)
    assert RNNWeights.from_model(keras.saving.load_model(path, compile=False)) == shipped_weights


def test_the_page_builds_the_keras_download_in_a_child_process(shipped_weights, tmp_path):
    import keras

    path = tmp_path / "from_child.keras"
    path.write_bytes(model_to_keras_bytes_in_subprocess(shipped_weights))
    assert RNNWeights.from_model(keras.saving.load_model(path, compile=False)) == shipped_weights
