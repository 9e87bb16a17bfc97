import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from explainer.model.encoding import (
    MAX_OPERAND,
    all_pairs,
    bits_matrix_to_ints,
    bits_to_int,
    encode_batch,
    encode_pair,
    int_to_bits,
    parse_operand,
    timesteps_for,
    validate_operand,
)


@pytest.mark.parametrize("operand_bits", [7, 8])
def test_every_small_pair_round_trips(operand_bits):
    a_values, b_values = all_pairs(operand_bits)
    assert a_values.size == 4**operand_bits
    timesteps = max(8, operand_bits + 1)
    inputs, targets = encode_batch(a_values, b_values, timesteps)
    assert inputs.shape == (4**operand_bits, timesteps, 2)
    np.testing.assert_array_equal(bits_matrix_to_ints(inputs[..., 0]), a_values)
    np.testing.assert_array_equal(bits_matrix_to_ints(inputs[..., 1]), b_values)
    np.testing.assert_array_equal(bits_matrix_to_ints(targets[..., 0]), a_values + b_values)
    # The scalar encoder agrees with the vectorised one on every pair.
    for index in range(0, a_values.size, 97):
        pair_inputs, pair_targets = encode_pair(int(a_values[index]), int(b_values[index]), timesteps)
        np.testing.assert_array_equal(pair_inputs, inputs[index])
        np.testing.assert_array_equal(pair_targets, targets[index, :, 0])


def test_bits_are_least_significant_first():
    inputs, targets = encode_pair(50, 18)  # the seed's example: 00110010 + 00010010 = 01000100
    assert inputs[:, 0].tolist() == [0, 1, 0, 0, 1, 1, 0, 0]
    assert inputs[:, 1].tolist() == [0, 1, 0, 0, 1, 0, 0, 0]
    assert targets.tolist() == [0, 0, 1, 0, 0, 0, 1, 0]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [(0, 0, 8), (254, 1, 8), (127, 1, 8), (255, 255, 9), (2**40, 2**40, 42), (MAX_OPERAND, MAX_OPERAND, 65)],
)
def test_timesteps_are_max_of_8_and_the_bit_length_of_the_sum(a, b, expected):
    assert timesteps_for(a, b) == expected


@given(st.integers(0, MAX_OPERAND), st.integers(0, MAX_OPERAND))
def test_large_pairs_round_trip_without_float_rounding(a, b):
    inputs, targets = encode_pair(a, b)
    assert bits_to_int(inputs[:, 0]) == a
    assert bits_to_int(inputs[:, 1]) == b
    assert bits_to_int(targets) == a + b


def test_largest_operand_is_exact():
    assert bits_to_int(int_to_bits(MAX_OPERAND, 64)) == MAX_OPERAND
    assert int_to_bits(MAX_OPERAND, 64).sum() == 64


@pytest.mark.parametrize("bad", [-1, True, False, 1.0, 2.5, "5", None, MAX_OPERAND + 1, [1], np.float64(3)])
def test_bad_operands_raise_value_error_with_a_message(bad):
    with pytest.raises(ValueError, match=r"operand|must"):
        validate_operand(bad)
    with pytest.raises(ValueError, match=r"\w"):
        encode_pair(bad, 1)


def test_numpy_integers_are_accepted():
    assert validate_operand(np.int64(7)) == 7
    assert type(validate_operand(np.uint8(7))) is int


@pytest.mark.parametrize(
    ("text", "expected"), [("50", 50), (" 18 ", 18), ("0", 0), (str(MAX_OPERAND), MAX_OPERAND), ("007", 7)]
)
def test_parse_operand_accepts_plain_digits(text, expected):
    assert parse_operand(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("-3", "0 or more"),
        ("abc", "digits"),
        ("1e3", "digits"),
        ("3.5", "digits"),
        ("0x10", "digits"),
        ("١٢", "digits"),  # Arabic-Indic digits: int() would accept them, people would not expect it
        ("²", "digits"),
        (str(MAX_OPERAND + 1), "at most"),
        ("9" * 500, "too long"),
        ("<script>alert(1)</script>", "digits"),
        ("1 2", "digits"),
    ],
)
def test_parse_operand_rejects_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_operand(text, "a")


def test_parse_operand_rejects_non_text():
    with pytest.raises(ValueError, match="text"):
        parse_operand(None)


def test_int_to_bits_refuses_numbers_that_do_not_fit():
    with pytest.raises(ValueError, match="needs 9 bits"):
        int_to_bits(256, 8)
