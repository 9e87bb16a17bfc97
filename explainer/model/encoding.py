"""Turning pairs of integers into the bit sequences the RNN reads, and back.

The network adds the way people do by hand: it starts at the least significant column and moves
left, carrying a 1 when a column overflows. A recurrent network can only carry information forward
in time, so the bits go in least significant first: timestep 0 holds the 2**0 bits of a and b,
timestep 1 the 2**1 bits, and so on. Feeding them the other way round would ask the network to know
a carry before it has seen the column that causes it.
"""

from __future__ import annotations

import numbers

import numpy as np

# The page and the API accept operands up to this value; the sum then needs at most 65 timesteps.
MAX_OPERAND = 2**64 - 1
# The seed trains on 8 timesteps, so every sequence is at least that long (short sums are padded with
# leading zero columns, exactly as the blog's 8-bit vectors are).
MIN_TIMESTEPS = 8
# The training set of the seed: a, b < 128, so that a + b < 256 fits in 8 bits.
TRAINING_OPERAND_BITS = 7


def validate_operand(value: object, name: str = "operand") -> int:
    """Return ``value`` as a Python int if it is a whole number in [0, MAX_OPERAND].

    Raises ``ValueError`` with a message that says what was wrong and what is accepted. ``bool`` is
    refused even though it is an ``int`` subclass: ``True + True`` is almost always a mistake here.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a whole number given as an int, not {type(value).__name__} {value!r}.")
    number = int(value)
    if number < 0:
        raise ValueError(f"{name} must be 0 or more; got {number}. The network adds non-negative numbers.")
    if number > MAX_OPERAND:
        raise ValueError(f"{name} must be at most 2**64 − 1 = {MAX_OPERAND}; got {number}.")
    return number


def parse_operand(text: object, name: str = "operand") -> int:
    """Parse what a person typed into an operand, or raise ``ValueError`` with a readable message.

    Accepts plain decimal digits (ASCII only, surrounding spaces ignored, ``_`` and ``,`` refused), so
    "1e3", "0x10", "½" and "٣" are all rejected rather than silently reinterpreted. A message repeats the
    text only when it is digits (and a minus): pages show messages as Markdown, and a link's text could be any.
    """
    if not isinstance(text, str):
        raise ValueError(f"{name} must be text containing digits; got {type(text).__name__}.")
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"{name} is empty: type a whole number such as 50.")
    if len(stripped) > 40:
        raise ValueError(f"{name} is too long: at most 20 digits (the largest allowed is {MAX_OPERAND}).")
    if stripped.startswith("-") and stripped[1:].isascii() and stripped[1:].isdigit():
        raise ValueError(f"{name} must be 0 or more; got {stripped}. The network adds non-negative numbers.")
    if not (stripped.isascii() and stripped.isdigit()):
        raise ValueError(f"{name} must be a whole number written with the digits 0–9.")
    return validate_operand(int(stripped), name)


def timesteps_for(a: int, b: int) -> int:
    """Number of timesteps the network runs for ``a + b``: max(8, bit length of the sum).

    254 + 1 = 255 fits in 8 steps; 255 + 255 = 510 needs a 9th step for the final carry.
    """
    a = validate_operand(a, "a")
    b = validate_operand(b, "b")
    return timesteps_for_sum_bits((a + b).bit_length())


def timesteps_for_sum_bits(sum_bits: int) -> int:
    """The timesteps rule: a sum with ``sum_bits`` bits runs for ``max(8, sum_bits)`` steps."""
    return max(MIN_TIMESTEPS, int(sum_bits))


def timesteps_for_operand_bits(operand_bits: int) -> int:
    """Timesteps of the largest sum of two ``operand_bits``-bit operands (8 for 7-bit, 9 for 8-bit)."""
    return timesteps_for_sum_bits(operand_bits + 1)


def add_column(a_bit, b_bit, carry_in):
    """The carry rule of written addition, for ints or arrays: ``(sum bit, carry out)`` of one column."""
    total = a_bit + b_bit + carry_in
    return total & 1, total >> 1


def ints_to_bits(values, timesteps: int) -> np.ndarray:
    """LSB-first bits ``(N, timesteps)`` int8 of non-negative ints: Python ints of any size, or an int64 array.

    The one place numbers become bit rows. Python ints go through their bytes (no float, no int64 overflow
    at 2**64); an int64 array is viewed as its eight little-endian bytes.
    """
    width = (timesteps + 7) // 8
    if isinstance(values, np.ndarray):
        raw = np.ascontiguousarray(values.astype("<u8")).view(np.uint8).reshape(-1, 8)  # (N, 8)
        raw = raw[:, :width] if width <= 8 else np.pad(raw, ((0, 0), (0, width - 8)))
    else:
        values = list(values)
        joined = b"".join(int(value).to_bytes(width, "little") for value in values)
        raw = np.frombuffer(joined, dtype=np.uint8).reshape(len(values), width)
    return np.unpackbits(raw, axis=1, bitorder="little")[:, :timesteps].astype(np.int8)


def int_to_bits(number: int, timesteps: int) -> np.ndarray:
    """Bits of ``number``, least significant first, as an int8 array of length ``timesteps``.

    Works on Python ints of any size (no float conversion), so 2**64 − 1 encodes exactly.
    """
    if number < 0:
        raise ValueError(f"number must be 0 or more; got {number}.")
    if number.bit_length() > timesteps:
        raise ValueError(f"{number} needs {number.bit_length()} bits but only {timesteps} timesteps were given.")
    return ints_to_bits([number], timesteps)[0]


def bits_to_int(bits: object) -> int:
    """Inverse of :func:`int_to_bits`: least-significant-first bits (0/1) to a Python int."""
    values = np.asarray(bits).ravel()
    if values.size and not np.isin(values, (0, 1)).all():
        raise ValueError("bits must all be 0 or 1.")
    return sum(int(bit) << position for position, bit in enumerate(values))


def encode_pair(a: int, b: int, timesteps: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Encode one pair as network input and target.

    Returns ``(inputs, targets)`` with shapes ``(T, 2)`` (columns: bit of a, bit of b) and ``(T,)``
    (bit of a + b), both int8, least significant bit first, ``T = timesteps_for(a, b)`` unless given.
    """
    a = validate_operand(a, "a")
    b = validate_operand(b, "b")
    needed = timesteps_for(a, b)
    if timesteps is None:
        timesteps = needed
    elif timesteps < needed:
        raise ValueError(f"{a} + {b} needs {needed} timesteps; got timesteps={timesteps}.")
    inputs = np.stack([int_to_bits(a, timesteps), int_to_bits(b, timesteps)], axis=1)  # (T, 2)
    return inputs, int_to_bits(a + b, timesteps)


def all_pairs(operand_bits: int = TRAINING_OPERAND_BITS) -> tuple[np.ndarray, np.ndarray]:
    """Every pair ``(a, b)`` with ``a, b < 2**operand_bits``, in row-major order (a slow, b fast).

    Returns ``(a_values, b_values)``, each ``(N,)`` int64 with ``N = 4**operand_bits``.
    ``operand_bits=7`` gives the 16,384 training pairs; ``8`` gives all 65,536 8-bit pairs.
    """
    side = np.arange(2**operand_bits, dtype=np.int64)
    a_values, b_values = np.meshgrid(side, side, indexing="ij")
    return a_values.ravel(), b_values.ravel()


def encode_batch(a_values: np.ndarray, b_values: np.ndarray, timesteps: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`encode_pair` for small operands (sums below 2**62).

    Returns ``(inputs, targets)`` float32 of shapes ``(N, T, 2)`` and ``(N, T, 1)`` for Keras.
    """
    a_values = np.asarray(a_values, dtype=np.int64)
    b_values = np.asarray(b_values, dtype=np.int64)
    inputs = encode_columns([a_values, b_values], timesteps)  # (N, T, 2)
    sums = a_values + b_values
    if sums.size and int(sums.max()).bit_length() > timesteps:
        raise ValueError(f"some sums need more than {timesteps} timesteps.")
    return inputs, ints_to_bits(sums.ravel(), timesteps)[..., None].astype(np.float32)  # (N, T, 1)


def encode_columns(numbers: list[np.ndarray], timesteps: int) -> np.ndarray:
    """Columns ``(N, T, W)`` float32 for Keras: bit t of the w-th number array ``(N,)`` at ``[:, t, w]``, LSB first.

    The one way numbers become network input, for addition (W = 2) and every other rule (:mod:`explainer.rules`).
    """
    numbers = [np.asarray(values, dtype=np.int64).ravel() for values in numbers]
    if any((values < 0).any() for values in numbers):
        raise ValueError("operands must be 0 or more.")
    return np.stack([ints_to_bits(values, timesteps) for values in numbers], axis=-1).astype(np.float32)


def bits_matrix_to_ints(bits: np.ndarray) -> np.ndarray:
    """Rows of least-significant-first bits ``(N, T)`` with T ≤ 62 to int64 values ``(N,)``."""
    bits = np.asarray(bits, dtype=np.int64)
    return (bits << np.arange(bits.shape[1], dtype=np.int64)).sum(axis=1)
