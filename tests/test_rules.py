"""The rules as data (explainer/rules): each finite rule's machine against its plain-Python reference on every
input, the minimal machines, addition exactly as the page's encoding, and the generalised Mealy machine."""

import numpy as np
import pytest

from explainer.analysis import mealy
from explainer.analysis.mealy import CARRY_MACHINE, MealyMachine, compare_machines, minimise
from explainer.model.accuracy import exhaustive_dataset
from explainer.model.encoding import all_pairs, bits_matrix_to_ints, encode_batch, encode_pair
from explainer.rules import DEFAULT_RULE, FINITE_RULES, RULES, rule_named
from explainer.rules.brackets import BRACKETS, balanced_so_far
from explainer.rules.rule import columns_to_symbols, every_sequence

# Every input of up to 10 columns, except three numbers: 8^10 = 1.07 billion inputs run one by one would take an
# hour here, so up to 7 columns (8^7 = 2.1 million inputs); tests/test_rules_three_numbers.py checks all 8^10 of
# them by splitting each input into a low and a high part.
MAX_COLUMNS = {"three_numbers": 7}
EXPECTED_MINIMAL = {"addition": 2, "subtraction": 2, "three_numbers": 3, "times_three": 3, "divisible_by_three": 3}


def _reference_bits(rule, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(inputs in the rule's domain, what plain arithmetic writes under each of their columns), both (N, T)."""
    length = columns.shape[1]
    numbers = [bits_matrix_to_ints(columns[..., w]) for w in range(rule.input_width)]  # each (N,)
    keep = np.ones(numbers[0].size, bool) if rule.admits is None else rule.admits(*numbers)
    numbers = [values[keep] for values in numbers]
    if rule.result is not None:
        written = rule.result(*numbers)  # a + b, a − b, …: the low ``length`` bits are the ones the columns show
        expected = (written[:, None] >> np.arange(length)) & 1
    else:
        prefixes = numbers[0][:, None] % (2 ** (np.arange(length) + 1))  # (N, T) the number read so far
        expected = rule.prefix_test(prefixes)
    return keep, expected.astype(np.int64)


@pytest.mark.parametrize("name", FINITE_RULES)
def test_each_machine_agrees_with_plain_arithmetic_on_every_input(name):
    rule = RULES[name]
    for length in range(1, MAX_COLUMNS.get(name, 10) + 1):
        columns = every_sequence(rule.input_width, length)  # (N, T, W): every input of this many columns
        keep, expected = _reference_bits(rule, columns)
        outputs = rule.machine.run(columns_to_symbols(columns[keep]))
        assert keep.sum() > 0
        np.testing.assert_array_equal(outputs, expected, err_msg=f"{name}, {length} columns")


@pytest.mark.parametrize("name", FINITE_RULES)
def test_each_machine_minimises_to_the_expected_state_count(name):
    rule = RULES[name]
    minimal, mapping = minimise(rule.machine)
    assert minimal.state_count == EXPECTED_MINIMAL[name] == rule.minimal_state_count
    assert (mapping >= 0).all()  # every state of the written form is reachable
    assert compare_machines(minimal, rule.machine)[0]


def test_divisibility_needs_three_of_its_six_states():
    """The written form keeps (remainder, worth of the next column); minimising merges pairs of them."""
    rule = RULES["divisible_by_three"]
    minimal, mapping = minimise(rule.machine)
    assert rule.machine.state_count == 6 and minimal.state_count == 3
    # Remainder 0 is remainder 0 whatever the next column is worth; remainder 1 before a column worth 1 behaves as
    # remainder 2 before a column worth 2 (both are r · 2^(−t) = 1 mod 3).
    names = rule.machine.state_names
    block = dict(zip(names, mapping, strict=True))
    assert block["remainder 0, next column ×1"] == block["remainder 0, next column ×2"]
    assert block["remainder 1, next column ×1"] == block["remainder 2, next column ×2"]
    assert block["remainder 2, next column ×1"] == block["remainder 1, next column ×2"]
    assert len(set(mapping)) == 3


@pytest.mark.parametrize("name", [name for name in FINITE_RULES if RULES[name].result is not None])
def test_the_python_int_reference_agrees_with_the_machine_on_long_random_inputs(name):
    rule = RULES[name]
    rng = np.random.default_rng(0)
    for _ in range(50):
        numbers = sorted((int(rng.integers(0, 2**62)) for _ in range(rule.input_width)), reverse=True)
        columns, targets = rule.encode(numbers)  # (T, W), (T,)
        assert rule.read_output(targets) == rule.reference(numbers)
        np.testing.assert_array_equal(rule.machine.run(columns_to_symbols(columns[None]))[0], targets)


def test_divisibility_reference_is_the_prefix_remainder():
    rule = RULES["divisible_by_three"]
    for value in (0, 3, 6, 7, 2**40 + 5, 2**63 - 1):
        answers = rule.reference((value,))
        assert answers == tuple(value % 2 ** (t + 1) % 3 == 0 for t in range(len(answers)))
        columns, targets = rule.encode((value,))
        assert rule.read_output(targets) == answers
        assert rule.read_output(rule.machine.run(columns_to_symbols(columns[None]))[0]) == answers


def test_addition_is_the_default_and_exactly_the_pages_encoding():
    addition = rule_named(DEFAULT_RULE)
    assert addition.name == "addition" and addition.machine is CARRY_MACHINE and addition.input_width == 2
    for a, b in [(0, 0), (50, 18), (255, 255), (2**64 - 1, 1)]:
        columns, targets = addition.encode((a, b))
        expected_columns, expected_targets = encode_pair(a, b)
        np.testing.assert_array_equal(columns, expected_columns)
        np.testing.assert_array_equal(targets, expected_targets)
        assert addition.reference((a, b)) == addition.read_output(targets) == a + b
    inputs, targets = addition.training_set()
    expected_inputs, expected_targets = encode_batch(*all_pairs(7), 8)
    np.testing.assert_array_equal(inputs, expected_inputs)
    np.testing.assert_array_equal(targets, expected_targets)
    for given, expected in zip(addition.exhaustive_set(8), exhaustive_dataset(8), strict=True):
        np.testing.assert_array_equal(given, expected)
    # The blog's recipe draws one pair per step exactly as addition's training did before rules existed.
    sample_inputs, _ = addition.sample(np.random.default_rng(5), 3)
    a_values, b_values = np.random.default_rng(5).integers(0, 128, size=(2, 3))
    np.testing.assert_array_equal(sample_inputs, encode_batch(a_values, b_values, 8)[0])


@pytest.mark.parametrize("name", [name for name in FINITE_RULES])
def test_training_and_exhaustive_sets_agree_with_the_machine(name):
    rule = RULES[name]
    for inputs, targets in (rule.training_set(), rule.exhaustive_set(6)):
        assert inputs.dtype == np.float32 and inputs.shape[2] == rule.input_width
        symbols = columns_to_symbols(inputs.astype(np.int64))
        np.testing.assert_array_equal(rule.machine.run(symbols), targets[..., 0])


def test_rules_refuse_what_they_cannot_read():
    with pytest.raises(ValueError, match="a ≥ b"):
        RULES["subtraction"].encode((3, 5))
    with pytest.raises(ValueError, match="3 number"):
        RULES["three_numbers"].encode((3, 5))
    with pytest.raises(ValueError, match="0 or more"):
        RULES["times_three"].encode((-1,))
    with pytest.raises(ValueError, match="no such rule") as error:
        rule_named("<b>junk</b>")
    assert "junk" not in str(error.value)
    for text in ("", "(a)", "(" * 66, 5):
        with pytest.raises(ValueError) as error:
            BRACKETS.encode(text)
        assert "(a)" not in str(error.value)


def test_brackets_reference_counts_as_plain_python_does():
    assert BRACKETS.machine is None and BRACKETS.minimal_state_count is None
    assert BRACKETS.reference("(())()") == (False, False, False, True, False, True)
    assert BRACKETS.reference(")(") == (False, False)  # a close before any open is never undone
    for length in range(1, 11):
        columns = every_sequence(1, length)[..., 0]  # (N, T)
        vectorised = balanced_so_far(columns)
        for row, answers in zip(columns, vectorised, strict=True):
            text = "".join("(" if bit else ")" for bit in row)
            assert BRACKETS.reference(text) == tuple(bool(answer) for answer in answers)


def test_mealy_machines_read_two_four_or_eight_symbols():
    times_three, three_numbers = RULES["times_three"].machine, RULES["three_numbers"].machine
    assert (times_three.symbol_count, CARRY_MACHINE.symbol_count, three_numbers.symbol_count) == (2, 4, 8)
    # 3 · 5 = 15: 101 → 1111, LSB first.
    np.testing.assert_array_equal(times_three.run(np.array([[1, 0, 1, 0]])), [[1, 1, 1, 1]])
    with pytest.raises(ValueError, match="0–1"):
        times_three.run(np.array([[2]]))
    with pytest.raises(ValueError, match="compare like with like"):
        compare_machines(times_three, CARRY_MACHINE)
    records = three_numbers.transition_records(("a", "b", "c"))
    assert len(records) == 3 * 8 and records[7] == {
        "state": "carry 0",
        "a bit": 1,
        "b bit": 1,
        "c bit": 1,
        "next state": "carry 1",
        "output bit": 1,
    }
    assert CARRY_MACHINE.transition_records()[1] == {
        "state": "carry 0",
        "a bit": 0,
        "b bit": 1,
        "next state": "carry 0",
        "output bit": 1,
    }
    # A forgetful one-state machine is told apart from times three by a shortest counterexample.
    forgetful = MealyMachine(("only",), 0, np.zeros((1, 2), dtype=int), np.array([[0, 1]]))
    equivalent, _, counterexample = compare_machines(forgetful, times_three)
    assert not equivalent and counterexample == (1, 0)
    assert mealy.symbol_bits(6, 3) == (1, 1, 0)
