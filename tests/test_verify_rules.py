"""The verifier for every finite rule (issue 26): boxes labelled by the rule's machine state, the property "the
network's bit = the machine's bit in every column", the separate checker likewise, and the shipped verdicts.

Soundness is tested as for addition (tests/test_verify.py): a rule certificate with a box shrunk, a label
changed, a transition dropped or its machine edited is refused; a mutant that brute force finds failing is never
proved; a counterexample is confirmed by running the network and by the rule's Python arithmetic, and is the
shortest among every input up to the column count brute force can reach. The rule path is exercised end to end
on a network it can prove: the long-sums adder held to addition's rule (:data:`explainer.rules.ADDITION`), in the
rule format, through the rule's machine rather than the verifier's own carry arithmetic.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import numpy as np
import pytest

from explainer.files.keras_file import LONG_MODEL_PATH, PROJECT_ROOT, load_weights
from explainer.model.network import RNNWeights, forward
from explainer.rules import FINITE_RULES, RULES
from explainer.verify.certificate import check_rule_certificate, content_digest
from explainer.verify.property import all_words
from explainer.verify.rule_property import arithmetic_bits, rule_machine, rule_tables
from explainer.verify.run import prove, verify_weights
from explainer.verify.search import bounded_proof
from explainer.verify.verdict import rule_model_path, shipped_rule_verdict, verdict_file_path

ADDITION = RULES["addition"]
PROOF_BUDGET = 60_000  # pieces per block length: the long adder's proof takes a few thousand
SHIPPED_RULES = tuple(name for name in FINITE_RULES if name != "addition")

# What each shipped network's verdict is (python -m explainer.verify --rule NAME, 120 s, 256 MB for the arrays).
# "unknown": neither an invariant closed nor a failure was found; the verdict holds a bounded proof instead.
# The networks of ``--recipe provable`` (explainer/training/saturate.py) keep their units near 0 or 1: proved.
EXPECTED = {
    "subtraction": "proved",
    "three_numbers": "proved",
    "times_three": "proved",
    "divisible_by_three": "proved",
}


def shipped_weights(name: str) -> RNNWeights:
    return load_weights(rule_model_path(name), input_width=RULES[name].input_width)


def first_wrong_column(weights: RNNWeights, name: str, columns: int) -> int | None:
    """Brute force: the fewest columns over which some input of ``columns`` columns gets a bit wrong (or None)."""
    machine, _ = rule_machine(RULES[name])
    words = all_words(columns, machine.symbols)
    written = forward(weights, machine.columns[words].astype(np.float64)).output_probability >= 0.5
    wrong = written != machine.run(words, machine.start)[0].astype(bool)
    if not wrong.any():
        return None
    return int(np.flatnonzero(wrong.any(axis=0))[0]) + 1


@pytest.fixture(scope="module")
def rule_certificate() -> dict:
    """The long adder proved in the rule format against addition's rule."""
    weights = load_weights(LONG_MODEL_PATH)
    document, tried = prove(weights, None, None, blocks=(1,), max_pieces=PROOF_BUDGET, rule=ADDITION)
    assert document is not None, tried
    return json.loads(json.dumps(document))


def test_a_rule_certificate_is_written_and_re_checks(rule_certificate):
    weights = load_weights(LONG_MODEL_PATH)
    assert rule_certificate["format"] == "explainer.verify rule certificate 1"
    assert rule_certificate["rule"] == "addition" and {"state"} <= set(rule_certificate["boxes"][0])
    result = check_rule_certificate(rule_certificate, weights, "addition", rule_tables(ADDITION))
    assert result.valid, result.reason
    # … and never for another rule, even one reading the same columns
    other = check_rule_certificate(rule_certificate, weights, "subtraction", rule_tables(RULES["subtraction"]))
    assert not other.valid


def _redigest(document: dict) -> dict:
    document["digest"] = content_digest(document)
    return document


def _shrink_a_box(document: dict) -> None:
    box = next(box for box in document["boxes"][1:] if max(np.subtract(box["upper"], box["lower"])) > 1e-3)
    widths = np.subtract(box["upper"], box["lower"])
    unit = int(np.argmax(widths))
    box["upper"][unit] = box["lower"][unit] + widths[unit] / 4


def _change_a_label(document: dict) -> None:
    box = document["boxes"][1]
    box["state"] = 1 - box["state"]


def _drop_a_transition(document: dict) -> None:
    document["transitions"][0].pop()


def _edit_the_machine(document: dict) -> None:
    document["machine"]["output"][0][1] = 1 - document["machine"]["output"][0][1]


def _rename_the_machine(document: dict) -> None:
    """The certificate's two states swapped consistently: the same boxes, a machine that is no longer the rule's."""
    machine = document["machine"]
    machine["next_state"] = [[1 - target for target in row] for row in machine["next_state"]]


@pytest.mark.parametrize(
    "tampering", [_shrink_a_box, _change_a_label, _drop_a_transition, _edit_the_machine, _rename_the_machine]
)
def test_a_tampered_rule_certificate_is_refused_even_with_its_digest_recomputed(rule_certificate, tampering):
    weights = load_weights(LONG_MODEL_PATH)
    document = copy.deepcopy(rule_certificate)
    tampering(document)
    assert not check_rule_certificate(document, weights, "addition", rule_tables(ADDITION)).valid  # the digest
    result = check_rule_certificate(_redigest(document), weights, "addition", rule_tables(ADDITION))
    assert not result.valid and "digest" not in result.reason, result.reason


def test_an_equivalent_machine_in_the_certificate_is_accepted_only_if_it_behaves_as_the_rules():
    # divisible by three: the rule's own machine has 6 states, the certificate's the minimal 3; the checker's
    # search over pairs of states accepts the 3 and refuses them with one output changed.
    from explainer.verify.certificate import _same_behaviour

    rule = RULES["divisible_by_three"]
    machine, _ = rule_machine(rule)
    own = (machine.next_state.tolist(), machine.output.tolist(), machine.start)
    assert machine.states == 3 and rule.machine.state_count == 6
    assert _same_behaviour(own, rule_tables(rule), 2)
    wrong_output = copy.deepcopy(own[1])
    wrong_output[2][1] = 1 - wrong_output[2][1]
    assert not _same_behaviour((own[0], wrong_output, own[2]), rule_tables(rule), 2)


def mutants(base: RNNWeights, count: int, seed: int):
    rng = np.random.default_rng(seed)
    for mutant in range(count):
        scale = (0.01, 0.1, 0.3, 1.0)[mutant % 4]
        arrays = [array.copy() for array in (base.input_weights, base.recurrent_weights, base.output_weights)]
        for _ in range(3):
            which = arrays[int(rng.integers(0, 3))]
            index = tuple(int(rng.integers(0, size)) for size in which.shape)
            which[index] += scale * 10 * rng.standard_normal()
        yield RNNWeights(*arrays)


def test_no_failing_mutant_is_proved_against_a_rule():
    # Mutants of the long adder, held to addition's rule in the rule format: some are proved, some fail, and
    # none that fails (brute force over every input of 8 columns and random ones of 128) is proved.
    counts = {"proved": 0, "failing": 0, "not proved": 0}
    rng = np.random.default_rng(5)
    machine, _ = rule_machine(ADDITION)
    for weights in mutants(load_weights(LONG_MODEL_PATH), 20, seed=26):
        words = rng.integers(0, 4, size=(200, 128))
        written = forward(weights, machine.columns[words].astype(np.float64)).output_probability >= 0.5
        failing = first_wrong_column(weights, "addition", 8) is not None or bool(
            (written != machine.run(words, 0)[0].astype(bool)).any()
        )
        document, _ = prove(weights, None, None, blocks=(1,), max_pieces=2_000, rule=ADDITION)
        if document is not None:
            assert not failing
            counts["proved"] += 1
        else:
            counts["failing" if failing else "not proved"] += 1
    print(f"mutants: {counts}")
    assert counts["proved"] > 0 and counts["failing"] > 0


@pytest.mark.parametrize("name", SHIPPED_RULES)
def test_mutants_of_each_shipped_rule_network_that_fail_are_never_proved(name):
    rule = RULES[name]
    for weights in mutants(shipped_weights(name), 6, seed=9):
        if first_wrong_column(weights, name, 4) is None:
            continue
        document, _ = prove(weights, None, None, blocks=(1,), max_pieces=2_000, rule=rule)
        assert document is None


def test_a_network_held_to_the_wrong_rule_gets_its_shortest_failure_confirmed(tmp_path):
    # The long adder is not a subtractor: the verifier finds where it first goes wrong, and that is confirmed by
    # running the network, by the rule's arithmetic (a − b) and by brute force over every shorter input.
    weights = load_weights(LONG_MODEL_PATH)
    rule = RULES["subtraction"]
    outcome = verify_weights(weights, 20, tmp_path / "certificate.json", rule=rule)
    assert outcome["verdict"] == "counterexample", outcome
    example = outcome["counterexample"]
    numbers, columns = tuple(example["numbers"]), example["columns"]
    assert rule.admits(*numbers) and all(value < 2**columns for value in numbers)
    bits = np.array([[(value >> column) & 1 for value in numbers] for column in range(columns)], dtype=np.float64)
    network = (forward(weights, bits[None]).output_probability[0] >= 0.5).astype(int).tolist()
    assert network == example["network_bits"]
    assert arithmetic_bits(rule, numbers, columns) == example["rule_bits"]
    difference = (numbers[0] - numbers[1]) % 2**columns  # Python arithmetic, written out here
    assert example["rule_bits"] == [(difference >> column) & 1 for column in range(columns)]
    wrong = example["wrong_column"]
    assert network[wrong] != example["rule_bits"][wrong] and network[:wrong] == example["rule_bits"][:wrong]
    assert first_wrong_column(weights, "subtraction", wrong + 1) == wrong + 1  # nothing shorter fails
    assert outcome["no_counterexample_below"] == wrong + 1


@pytest.mark.parametrize("name", SHIPPED_RULES)
def test_each_shipped_rule_network_has_its_verdict(name):
    verdict = shipped_rule_verdict(name)
    assert verdict is not None, f"{verdict_file_path(rule_model_path(name))} is missing or stale"
    assert verdict["fingerprint"] == shipped_weights(name).fingerprint and verdict["rule"] == name
    assert verdict["verdict"] == EXPECTED[name], verdict
    assert verdict["seconds"] <= verdict["time_limit"] * 1.5


def spoiled(weights: RNNWeights, name: str) -> RNNWeights:
    """``weights`` with one recurrent weight moved until brute force finds an input of at most 4 columns wrong."""
    for scale in (2.0, 4.0, 8.0, 16.0, 32.0):
        recurrent = weights.recurrent_weights.copy()
        recurrent[0, :] -= scale * np.sign(weights.output_weights[:, 0])
        candidate = RNNWeights(weights.input_weights, recurrent, weights.output_weights)
        if first_wrong_column(candidate, name, 4) is not None:
            return candidate
    raise AssertionError(f"no spoiled copy of {name} fails within 4 columns")


@pytest.mark.parametrize("name", SHIPPED_RULES)
def test_a_counterexample_is_confirmed_by_the_network_and_by_arithmetic(name, tmp_path):
    # The shipped verdict's counterexample if it has one, else the one the verifier finds for a spoiled copy.
    rule, weights = RULES[name], shipped_weights(name)
    verdict = shipped_rule_verdict(name)
    if verdict["verdict"] != "counterexample":
        weights = spoiled(weights, name)
        verdict = verify_weights(weights, 20, tmp_path / "certificate.json", rule=rule)
        assert verdict["verdict"] == "counterexample", verdict
        shortest = verdict["counterexample"]["wrong_column"] + 1
        assert first_wrong_column(weights, name, shortest) == shortest  # nothing shorter fails
    example = verdict["counterexample"]
    numbers, columns, wrong = tuple(example["numbers"]), example["columns"], example["wrong_column"]
    width = rule.input_width
    bits = np.array([[(value >> column) & 1 for value in numbers] for column in range(columns)], dtype=np.float64)
    network = (forward(weights, bits[None]).output_probability[0] >= 0.5).astype(int).tolist()
    assert network == example["network_bits"] and len(numbers) == width
    truth = rule.result(*numbers) if rule.result is not None else None
    expected = (
        [(truth % 2**columns >> column) & 1 for column in range(columns)]
        if truth is not None
        else [int(numbers[0] % 2 ** (column + 1) % 3 == 0) for column in range(columns)]
    )
    assert expected == example["rule_bits"] and network[wrong] != expected[wrong]
    if columns >= rule.columns_needed(numbers):  # the rule's own encoding agrees
        assert rule.encode(numbers, columns)[1].tolist() == expected


@pytest.mark.parametrize("name", SHIPPED_RULES)
def test_a_shipped_verdict_agrees_with_brute_force(name):
    # Brute force over every input as far as it reaches (2^16 inputs): a proved network and a bounded proof's
    # columns have no wrong bit there, a counterexample nothing shorter; a bounded proof is recomputed (from the
    # verdict's own count) to the same point.
    verdict = shipped_rule_verdict(name)
    weights = shipped_weights(name)
    reach = int(16 // np.log2(2 ** RULES[name].input_width))
    if verdict["verdict"] == "proved":
        assert first_wrong_column(weights, name, reach) is None
    elif verdict["verdict"] == "unknown":
        below = verdict["no_counterexample_below"]
        assert below >= 8
        assert first_wrong_column(weights, name, min(below - 1, reach)) is None
        machine, _ = rule_machine(RULES[name])
        assert bounded_proof(weights, min(below, 12), machine=machine).no_counterexample_below == min(below, 12)
    else:
        columns = verdict["counterexample"]["columns"]
        assert first_wrong_column(weights, name, min(columns - 1, reach)) is None
        if columns <= reach:
            assert first_wrong_column(weights, name, columns) == columns


@pytest.mark.parametrize("name", [name for name, kind in EXPECTED.items() if kind == "proved"])
def test_a_shipped_certificate_holds_for_its_network_and_rule_only(name):
    # The separate checker re-checks the shipped certificate against the shipped file (its sha256 included), and
    # refuses it for another rule reading as many bits per column, or for the rule's machine with one bit changed.
    from explainer.files.keras_file import file_sha256
    from explainer.verify.certificate import load_certificate
    from explainer.verify.verdict import certificate_file_path

    rule, weights, path = RULES[name], shipped_weights(name), rule_model_path(name)
    document = load_certificate(certificate_file_path(path))
    assert shipped_rule_verdict(name)["boxes"] == len(document["boxes"])
    result = check_rule_certificate(document, weights, name, rule_tables(rule), file_sha256(path))
    assert result.valid, result.reason
    others = [other for other in FINITE_RULES if other != name and RULES[other].input_width == rule.input_width]
    for other in others:  # none for three numbers, the one rule reading 3 bits a column
        assert not check_rule_certificate(document, weights, other, rule_tables(RULES[other])).valid, other
    next_state, output, start = rule_tables(rule)
    output = copy.deepcopy(output)
    output[start][0] = 1 - output[start][0]  # the rule's machine with its first output bit changed
    assert not check_rule_certificate(document, weights, name, (next_state, output, start)).valid


def test_brackets_has_no_shipped_verdict_and_the_command_says_why():
    assert shipped_rule_verdict("brackets") is None and shipped_rule_verdict("no such rule") is None
    completed = subprocess.run(
        [sys.executable, "-m", "explainer.verify", "--rule", "brackets"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert completed.returncode == 2 and "no finite machine" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_the_command_line_checks_a_rule_certificate_against_the_rule_it_names(rule_certificate, tmp_path):
    path = tmp_path / "rule.certificate.json"
    path.write_text(json.dumps(rule_certificate))
    model = str(LONG_MODEL_PATH)
    completed = subprocess.run(
        [sys.executable, "-m", "explainer.verify", "--rule", "subtraction", "--check", str(path), "--model", model],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert completed.returncode == 1, completed.stderr
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    assert outcome["valid"] is False and outcome["rule"] == "subtraction" and outcome["reason"]


def test_the_command_writes_a_rules_verdict_beside_the_model(tmp_path):
    model = tmp_path / "mutant.keras"
    model.write_bytes(rule_model_path("times_three").read_bytes())
    completed = subprocess.run(
        [sys.executable, "-m", "explainer.verify", "--rule", "times_three", "--model", str(model), "--time-limit", "6"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert completed.returncode == 0, completed.stderr
    printed = json.loads(completed.stdout.strip().splitlines()[-1])
    written = json.loads(verdict_file_path(model).read_text())
    assert printed == written and written["rule"] == "times_three" and written["time_limit"] == 6.0
    assert written["fingerprint"] == shipped_weights("times_three").fingerprint
    assert written["verdict"] in ("proved", "counterexample", "unknown")


def test_the_shipped_subtraction_network_is_proved_and_its_certificate_holds_only_untouched():
    # A proof for a rule other than addition: boxes labelled borrow 0 / borrow 1, checked against a − b's machine.
    from explainer.analysis.rule_accuracy import exhaustive_accuracy

    rule, weights = RULES["subtraction"], shipped_weights("subtraction")
    assert exhaustive_accuracy(weights, rule).exact_accuracy == 1.0  # every a ≥ b below 256
    document, tried = prove(weights, None, None, blocks=(1,), max_pieces=PROOF_BUDGET, rule=rule)
    assert document is not None, tried
    document = json.loads(json.dumps(document))
    assert {box["state"] for box in document["boxes"]} == {0, 1}
    assert check_rule_certificate(document, weights, "subtraction", rule_tables(rule)).valid
    for tampering in (_shrink_a_box, _change_a_label, _drop_a_transition, _edit_the_machine):
        tampered = copy.deepcopy(document)
        tampering(tampered)
        result = check_rule_certificate(_redigest(tampered), weights, "subtraction", rule_tables(rule))
        assert not result.valid, tampering.__name__
    # … and against written addition (the same columns, another machine) it is refused
    assert not check_rule_certificate(document, weights, "addition", rule_tables(ADDITION)).valid


def test_failing_mutants_of_the_shipped_subtraction_network_are_never_proved():
    rule = RULES["subtraction"]
    counts = {"proved": 0, "failing": 0, "not proved": 0}
    rng = np.random.default_rng(11)
    machine, _ = rule_machine(rule)
    for weights in mutants(shipped_weights("subtraction"), 16, seed=31):
        words = rng.integers(0, 4, size=(200, 128))
        written = forward(weights, machine.columns[words].astype(np.float64)).output_probability >= 0.5
        failing = first_wrong_column(weights, "subtraction", 8) is not None or bool(
            (written != machine.run(words, 0)[0].astype(bool)).any()
        )
        document, _ = prove(weights, None, None, blocks=(1,), max_pieces=2_000, rule=rule)
        if document is not None:
            assert not failing
            counts["proved"] += 1
        else:
            counts["failing" if failing else "not proved"] += 1
    print(f"mutants: {counts}")
    assert counts["proved"] > 0 and counts["failing"] > 0
