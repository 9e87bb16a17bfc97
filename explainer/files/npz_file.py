"""Weights in and out of the page as ``.npz`` (the ``.keras`` download is :mod:`explainer.files.keras_file`'s).

An ``.npz`` weights file is a zip of exactly three ``.npy`` arrays (H hidden units, 1 ≤ H ≤ 64):

    input_weights      (2, H)   W_x: the two input bits → each hidden unit
    recurrent_weights  (H, H)   W_h: hidden state at t − 1 → hidden state at t
    output_weights     (H, 1)   W_o: hidden state → the output bit's logit

Any real numeric dtype is accepted (they become float64); nothing else may be in the file. This is what
``numpy.savez("mine.npz", input_weights=..., recurrent_weights=..., output_weights=...)`` writes, so weights
trained anywhere can be brought to the page.

Why uploads are ``.npz`` only: loading a ``.keras`` file runs Keras's deserialiser, whose ``safe_mode`` has been
bypassed again and again (CVE-2025-1550, CVE-2025-8747, CVE-2025-9905, CVE-2025-9906, CVE-2026-1462). The
reader here never unpickles: it parses each ``.npy`` header itself and refuses object dtypes, so an ``.npz`` is
only ever numbers. It also caps the file size and every member's declared size before decompressing, and
checks each header's shape and byte count before making an array (numpy would allocate whatever shape a
header declares), so a small file cannot expand into gigabytes.
"""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np

from explainer.files.overflow import require_finite_sums, require_input_width
from explainer.model.network import MAX_HIDDEN_UNITS, RNNWeights

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


# numpy writes a header of ~128 bytes for a plain array and refuses to parse one over 10,000 bytes; a
# header bigger than this is not a plain array of numbers (or is an attack on the parser).
MAX_NPY_HEADER_BYTES = 10_000


def _npy_header(name: str, raw: bytes) -> tuple[np.dtype, tuple[int, ...], bool, int]:
    """Parse the ``.npy`` header of array ``name``: ``(dtype, shape, fortran_order, data_offset)``.

    Only the header is read: the shape it declares is checked before any array is made, because numpy
    allocates the declared shape before it reads the data (a 100-byte member can declare 14 TiB).
    """
    stream = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(stream)
    except ValueError as error:
        raise _bad(f"The array {name} is not a .npy array ({error}).") from error
    readers = {(1, 0): (2, np.lib.format.read_array_header_1_0), (2, 0): (4, np.lib.format.read_array_header_2_0)}
    if version not in readers:  # 3.0 exists only for structured dtypes with non-Latin-1 field names
        raise _bad(f"The array {name} uses .npy format {version[0]}.{version[1]}; a plain array uses 1.0 or 2.0.")
    length_size, read_header = readers[version]
    header_bytes = int.from_bytes(raw[stream.tell() : stream.tell() + length_size], "little")
    if header_bytes > MAX_NPY_HEADER_BYTES:
        raise _bad(
            f"The array {name} has a {header_bytes:,}-byte .npy header; a plain array of numbers has one of "
            f"~128 bytes (at most {MAX_NPY_HEADER_BYTES:,} are read), so this is not a plain array."
        )
    try:
        shape, fortran_order, dtype = read_header(stream, max_header_size=MAX_NPY_HEADER_BYTES)
    except Exception as error:  # numpy raises ValueError, but a crafted header reaches ast and dtype parsing too
        raise _bad(f"The array {name} has a damaged .npy header ({type(error).__name__}: {error}).") from error
    return dtype, shape, fortran_order, stream.tell()


def _expected_shapes(shapes: dict[str, tuple[int, ...]], input_width: int = 2) -> None:
    """Refuse shapes other than (W, H), (H, H), (H, 1) with 1 ≤ H ≤ MAX_HIDDEN_UNITS (W = ``input_width``, 2 for
    addition), from the headers alone."""
    input_shape = shapes["input_weights"]
    if len(input_shape) != 2 or input_shape[0] != input_width or not 1 <= input_shape[1] <= MAX_HIDDEN_UNITS:
        raise _bad(
            f"input_weights has shape {input_shape}; it must be ({input_width}, H) with H from 1 to {MAX_HIDDEN_UNITS}."
        )
    hidden_units = input_shape[1]
    expected = {"recurrent_weights": (hidden_units, hidden_units), "output_weights": (hidden_units, 1)}
    for name, shape in expected.items():
        if shapes[name] != shape:
            raise _bad(
                f"{name} has shape {shapes[name]}; input_weights says H = {hidden_units}, so it must be {shape}."
            )


def _read_arrays(data: bytes, input_width: int = 2) -> dict[str, np.ndarray]:
    """The three arrays, each made only after its header's dtype, shape and byte count have been checked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # Each member's uncompressed size was checked by _check_zip, and zipfile stops reading there.
            raw = {name: archive.read(f"{name}.npy") for name in ARRAY_NAMES}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise _bad(f"This .npz archive is damaged ({type(error).__name__}: {error}).") from error
    headers = {name: _npy_header(name, raw[name]) for name in ARRAY_NAMES}
    for name, (dtype, _, _, _) in headers.items():
        if dtype.hasobject:
            raise _bad(f"The array {name} holds Python objects (pickled data), which are never loaded.")
        if dtype.kind not in "fiu" or dtype.shape != ():  # float, signed or unsigned int: not bool, complex, text
            raise _bad(f"The array {name} has dtype {dtype}; weights must be real numbers.")
    _expected_shapes({name: header[1] for name, header in headers.items()}, input_width)
    arrays = {}
    for name, (dtype, shape, fortran_order, offset) in headers.items():
        count = math.prod(shape)
        held = len(raw[name]) - offset
        if held != count * dtype.itemsize:
            raise _bad(
                f"The array {name} declares shape {shape} ({count * dtype.itemsize:,} bytes of numbers) "
                f"but holds {held:,} bytes."
            )
        values = np.frombuffer(raw[name], dtype=dtype, count=count, offset=offset)
        arrays[name] = values.reshape(shape, order="F" if fortran_order else "C")
    return arrays


def weights_from_npz_bytes(data: bytes, max_bytes: int = MAX_NPZ_BYTES, input_width: int = 2) -> RNNWeights:
    """Read weights from the bytes of an ``.npz`` file, refusing anything that is not exactly that.

    Raises ``ValueError`` with a message fit to show a user when the data is too large, not a zip/``.npz``,
    holds pickled (object) arrays, lacks an array or has extra ones, declares the wrong shapes or a
    non-numeric dtype in an array's header, or contains NaN or infinity or values so large that the network's
    sums overflow (:func:`explainer.files.overflow.require_finite_sums`). Never unpickles, never runs code,
    and never makes an array before its header's shape has been checked: nothing else escapes.
    """
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise ValueError(f"expected the file's contents as bytes; got {type(data).__name__}.")
    if len(data) > max_bytes:
        raise _bad(f"This file is {len(data):,} bytes; weights files are at most {max_bytes:,} bytes.")
    if not data:
        raise _bad("This file is empty.")
    try:
        _check_zip(data, max_bytes)
        arrays = _read_arrays(data, input_width)
        for name, array in arrays.items():
            as_float = array.astype(np.float64)
            if not np.isfinite(as_float).all():
                raise _bad(f"The array {name} contains NaN or infinite values.")
            arrays[name] = as_float
        weights = RNNWeights(**arrays)
        try:
            require_finite_sums(weights)  # finite values can still overflow: ±1e308 + ±1e308
            require_input_width(weights, input_width)
        except ValueError as error:
            raise _bad(str(error)) from error
    except ValueError:
        raise
    except Exception as error:  # MemoryError or anything else a crafted file reaches: an upload never ends the page
        raise _bad(f"This file could not be read ({type(error).__name__}).") from error
    return weights


def weights_from_upload(file_name: str, data: bytes, max_bytes: int = MAX_NPZ_BYTES) -> RNNWeights:
    """:func:`weights_from_npz_bytes` for a file a user uploaded, refusing other kinds by name first.

    A ``.keras`` file gets its own explanation: it is refused unread, however it was made.
    """
    # The messages name the kind, not the file: a visitor's file name is theirs to format (the page escapes it).
    name = str(file_name).lower()
    refused = (".keras", ".h5", ".hdf5", ".pkl", ".pickle", ".pt", ".pth")
    if name.endswith(refused):
        kind = next(suffix for suffix in refused if name.endswith(suffix))
        raise ValueError(
            f"This {kind} file was not opened: this page loads weights only from .npz files, because loading a "
            "Keras or pickle file can run code (Keras's safe_mode has been bypassed repeatedly, e.g. "
            "CVE-2025-1550). " + _FORMAT_HELP
        )
    if not name.endswith(".npz"):
        raise _bad("This file is not an .npz file (its name does not end in .npz).")
    return weights_from_npz_bytes(data, max_bytes)
