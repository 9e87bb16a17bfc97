"""The verifier: a proof at every length, a shortest counterexample, a certificate a separate checker accepts.

Soundness is tested, not assumed: perturbed copies of the proved network are searched for failures by
brute force, and none with a failure may ever be proved.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from explainer.files.keras_file import PROJECT_ROOT, SHIPPED_MODEL_PATH, file_sha256, load_weights
from explainer.model.accuracy import evaluate
from explainer.model.network import RNNWeights, activate, forward, sigmoid
from explainer.verify.__main__ import check, verify
from explainer.verify.certificate import check_certificate, content_digest
from explainer.verify.invariant import search_invariant, simulated_states
from explainer.verify.memory import MemoryBound
from explainer.verify.property import COLUMN_PATTERNS, all_words, carry_machine, network_sum_bits
from explainer.verify.run import prove
from explainer.verify.search import _BoxStep, bounded_proof, find_counterexample
from tests.support.networks import copies_of, random_weights

LONG_MODEL_PATH = PROJECT_ROOT / "assets" / "model-long.keras"
BRUTE_FORCE_COLUMNS = 8  # 4**8 = 65,536 inputs, every prefix of them checked column by column
# The searches below are bounded by work, not by the clock, so a loaded machine cannot flip a verdict: the time
# limits are only a safety net far above what the work takes (under 3 s of CPU for each network here).
SAFETY_SECONDS = 600
PROOF_BUDGET = 5_000  # pieces per block length: the long network needs 136, the hand-built machine 32


def wrong_columns(weights: RNNWeights, patterns: np.ndarray) -> np.ndarray:
    """(N, T) bool: where the network's bit differs from written addition's, on column patterns (N, T)."""
    written = forward(weights, COLUMN_PATTERNS[patterns].astype(np.float64)).output_probability >= 0.5
    expected, _ = carry_machine(patterns)
    return written != expected.astype(bool)


@pytest.fixture(scope="module")
def shipped_verdict() -> dict:
    return verify(str(SHIPPED_MODEL_PATH), time_limit=SAFETY_SECONDS)


@pytest.fixture(scope="module")
def long_verdict(tmp_path_factory) -> dict:
    certificate = tmp_path_factory.mktemp("certificates") / "long.json"
    return verify(
        str(LONG_MODEL_PATH), time_limit=SAFETY_SECONDS, certificate_path=str(certificate), max_pieces=PROOF_BUDGET
    )


@pytest.fixture(scope="module")
def long_certificate(long_verdict) -> dict:
    with open(long_verdict["certificate"]) as handle:
        return json.load(handle)


def test_the_shipped_network_has_a_real_counterexample(shipped_verdict):
    assert shipped_verdict["verdict"] == "counterexample"
    found = shipped_verdict["counterexample"]
    a, b, columns = found["a"], found["b"], found["columns"]
    assert columns <= 22  # 0 + 4194303 has 22; shorter ones exist once leading zero columns count
    bits = network_sum_bits(load_weights(), a, b, columns)
    written = sum(int(bit) << column for column, bit in enumerate(bits))
    assert written == found["network_sum"]
    assert written != (a + b) % 2**columns  # checked against Python's +


def test_no_shorter_counterexample_among_all_short_inputs(shipped_verdict):
    weights = load_weights()
    wrong = wrong_columns(weights, all_words(BRUTE_FORCE_COLUMNS))
    assert not wrong.any()  # every input of up to 8 columns (any bits, leading zero columns too) is right
    columns = shipped_verdict["counterexample"]["columns"]
    assert columns > BRUTE_FORCE_COLUMNS
    # The bounded proof never claims past the counterexample, and brute force agrees with what it claims.
    assert 1 <= shipped_verdict["no_counterexample_below"] <= columns
    if shipped_verdict["no_counterexample_below"] < columns:
        assert "proved only below" in shipped_verdict["bounded_proof"]


def test_the_bounded_proof_stops_at_a_failure(shipped_verdict):
    # Proving every output right up to and including the failing column must be impossible.
    weights = load_weights()
    found = shipped_verdict["counterexample"]
    assert bounded_proof(weights, found["columns"] + 1).no_counterexample_below <= found["columns"]


def test_the_bounded_proof_reaches_the_counterexample(shipped_verdict):
    # "Shortest" is a fact, not a guess: every input of fewer columns than the counterexample is proved right.
    columns = shipped_verdict["counterexample"]["columns"]
    assert columns <= 17  # 1 + 65534: one column of 1 + 0, fifteen of 0 + 1, and the carry in a leading zero column
    assert shipped_verdict["no_counterexample_below"] == columns
    assert shipped_verdict["bounded_proof"] == "every input of fewer columns is proved right"


def test_the_counterexample_search_finds_the_shortest_failure_among_short_sums():
    # Every word of up to 5 columns is a prefix of at most 4 columns then one more column, so for a mutant whose
    # shortest failure (by brute force) is that short, the search must report exactly that many columns.
    checked = 0
    for _, _, weights, _ in mutants(load_weights(SHIPPED_MODEL_PATH), 40, seed=11):
        shortest = shortest_failure_in_short_sums(weights)
        if shortest is None or shortest > 5:
            continue
        found = find_counterexample(weights, run_columns=8)
        assert found is not None and found.columns == shortest, (found, shortest)
        checked += 1
    assert checked >= 5


def contained(states: np.ndarray, carries: np.ndarray, low: np.ndarray, high: np.ndarray, carry: np.ndarray):
    """(N,) bool: whether each state (N, H) lies in some box (H, B) labelled with its carry."""
    inside = np.ones((len(states), low.shape[1]), dtype=bool)
    for unit in range(states.shape[1]):
        inside &= (low[unit] <= states[:, unit, None]) & (states[:, unit, None] <= high[unit])
    return (inside & (carry[None, :] == carries[:, None])).any(axis=1)


@pytest.mark.parametrize("max_boxes", [300, 3_000])
def test_the_bounded_proofs_boxes_hold_every_real_state(max_boxes):
    # Few boxes force coarse merges and cuts; real states of random and patterned sums must all stay inside a
    # box with their true carry, column after column, for as long as the bounded proof goes on.
    rng = np.random.default_rng(5)
    columns = 17
    patterns = rng.integers(0, 4, size=(400, columns))
    for row in range(200):  # a random prefix, then one pattern: the drift the bounded proof must follow
        patterns[row, int(rng.integers(0, 6)) :] = row % 4
    patterns[0] = [2] + [1] * 15 + [0]  # 1 + 65534, the shipped network's counterexample
    networks = [load_weights(SHIPPED_MODEL_PATH), load_weights(LONG_MODEL_PATH)]
    networks += [weights for _, _, weights, _ in mutants(networks[0], 4, seed=3)]
    for weights in networks:
        hidden = forward(weights, COLUMN_PATTERNS[patterns].astype(np.float64)).hidden  # (N, T, H)
        seen = []

        def check(column, low, high, carry, hidden=hidden, seen=seen):
            _, after = carry_machine(patterns[:, : column + 1])
            assert contained(hidden[:, column], after, low, high, carry).all(), column
            seen.append(column)

        bounded = bounded_proof(weights, columns, max_boxes=max_boxes, on_column=check)
        assert seen == list(range(bounded.no_counterexample_below - 1))
        if weights in networks[:2]:  # the shipped networks are right on every short sum: the check has teeth
            assert len(seen) >= 6, bounded


def test_a_cut_box_is_the_union_of_its_halves():
    weights = load_weights(SHIPPED_MODEL_PATH)
    rng = np.random.default_rng(9)
    low = rng.random((16, 50)) * 0.5
    high = low + rng.random((16, 50)) * 0.5
    carry = rng.integers(0, 2, 50).astype(np.int8)
    halves = _BoxStep(weights).halves(low, high, carry)
    points = low[None] + rng.random((200, 16, 50)) * (high - low)[None]  # 200 points in each box
    for box in range(50):
        for point in points[:, :, box]:
            in_left = ((halves[0][:, box] <= point) & (point <= halves[1][:, box])).all()
            in_right = ((halves[0][:, box + 50] <= point) & (point <= halves[1][:, box + 50])).all()
            assert in_left or in_right
    assert (halves[2] == np.concatenate([carry, carry])).all()
    assert ((halves[1] - halves[0]) <= (high - low)[:, np.r_[:50, :50]]).all()


def test_the_long_network_is_proved_and_its_certificate_checks(long_verdict):
    assert long_verdict["verdict"] == "proved"
    outcome = check(long_verdict["certificate"], str(LONG_MODEL_PATH))
    assert outcome["valid"] is True, outcome["reason"]


def test_the_certificate_names_the_model(long_certificate):
    weights = load_weights(LONG_MODEL_PATH)
    assert long_certificate["model"]["fingerprint"] == weights.fingerprint
    assert long_certificate["model"]["sha256"] == file_sha256(LONG_MODEL_PATH)
    other = load_weights(SHIPPED_MODEL_PATH)
    assert not check_certificate(long_certificate, other).valid


def test_certificates_round_trip_through_json(long_certificate):
    again = json.loads(json.dumps(long_certificate))
    assert again == long_certificate
    assert check_certificate(again, load_weights(LONG_MODEL_PATH), file_sha256(LONG_MODEL_PATH)).valid


def _first_leaf(tree):
    while isinstance(tree, list):
        tree = tree[2]
    return tree


TAMPERINGS = {
    "a lower bound moved up": lambda d: d["boxes"][1]["lower"].__setitem__(0, d["boxes"][1]["lower"][0] + 0.01),
    "an upper bound moved down": lambda d: d["boxes"][1]["upper"].__setitem__(3, d["boxes"][1]["upper"][3] - 0.01),
    "an upper bound moved up": lambda d: d["boxes"][2]["upper"].__setitem__(5, d["boxes"][2]["upper"][5] + 1e-9),
    "a carry flipped": lambda d: d["boxes"][1].__setitem__("carry", 1 - d["boxes"][1]["carry"]),
    "a target changed": lambda d: d["transitions"][0].__setitem__(
        0, (_first_leaf(d["transitions"][0][0]) + 1) % len(d["boxes"])
    ),
    "a box removed": lambda d: (d["boxes"].pop(), d["transitions"].pop()),
    "k changed": lambda d: d.__setitem__("block_columns", d["block_columns"] + 1),
    "the fingerprint changed": lambda d: d["model"].__setitem__("fingerprint", "0" * 16),
    "the sha256 changed": lambda d: d["model"].__setitem__("sha256", "0" * 64),
}


@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_a_tampered_certificate_is_rejected(long_certificate, tampering):
    document = copy.deepcopy(long_certificate)
    TAMPERINGS[tampering](document)
    result = check_certificate(document, load_weights(LONG_MODEL_PATH), file_sha256(LONG_MODEL_PATH))
    assert not result.valid
    assert result.reason


def _shrink_a_target(document: dict) -> None:
    """Move a target box's bound inwards past the state it must hold, and re-sign the digest as a forger would."""
    target = _first_leaf(document["transitions"][0][0])
    box = document["boxes"][target]
    unit = int(np.argmax(np.array(box["upper"]) - np.array(box["lower"])))
    box["upper"][unit] = box["lower"][unit] + 1e-6 * (box["upper"][unit] - box["lower"][unit])
    document["digest"] = content_digest(document)


def test_the_arithmetic_check_rejects_a_forged_digest(long_certificate):
    # Even with a recomputed digest, the re-check itself finds the bound that no longer holds.
    document = copy.deepcopy(long_certificate)
    _shrink_a_target(document)
    result = check_certificate(document, load_weights(LONG_MODEL_PATH))
    assert not result.valid and "digest" not in result.reason


def carry_machine_weights(steep: float = 20.0, quench: float = 60.0, output_scale: float = 20.0) -> RNNWeights:
    """The 2-state carry machine wired by hand into this architecture (no biases), with large weights.

    Units: u1, u2, u3 = [a + b + c ≥ 1, 2, 3] (u2 is the carry), N = not carry, and three units that only
    matter after column 0 (P = σ(a + b), Q = σ(steep·(a + b)), Z = σ(0)), quenched to 0 from then on. With
    no bias, a constant comes from u2 + N = 1 (σ(x) + σ(−x) = 1, even at t = 0); after column 0 the
    carry is read from u2, P, Q and Z with weights solved so that all three first columns read exactly.
    The bit written is u1 − u2 + u3 (the parity of a + b + c); at t = 0, P and Z correct it.
    """
    u1, u2, u3, n, p, q, z = range(7)
    input_w, recurrent_w, output_w = np.zeros((2, 7)), np.zeros((7, 7)), np.zeros((7, 1))
    input_w[:, [u1, u2, u3, q]] = steep
    input_w[:, n] = -steep
    input_w[:, p] = 1.0
    q_first = sigmoid(np.array([0.0, steep, 2 * steep]))  # u2 and Q after column 00, 01, 11
    p_first = sigmoid(np.array([0.0, 1.0, 2.0]))
    system = np.column_stack([np.full(3, 0.5), p_first, q_first])
    read_z, read_p, read_q = np.linalg.solve(system, np.array([0.0, 0.0, 1.0]) - q_first)
    carry_read = {u2: 1.0, z: read_z, p: read_p, q: read_q}
    for unit, threshold in ((u1, 1), (u2, 2), (u3, 3)):
        for source, value in carry_read.items():
            recurrent_w[source, unit] += steep * value
        for source in (u2, n):
            recurrent_w[source, unit] -= steep * (threshold - 0.5)
    recurrent_w[:, n] = -recurrent_w[:, u2]
    for unit in (p, q, z):
        recurrent_w[u2, unit] = recurrent_w[n, unit] = -quench
    output_w[[u1, u3]] = output_scale
    output_w[u2] = -1.5 * output_scale
    output_w[n] = -0.5 * output_scale
    first_logits = np.array([-2.0, 2.0, -2.0]) - output_scale * (q_first - 0.5)
    (output_w[p], output_w[z]), *_ = np.linalg.lstsq(
        np.column_stack([p_first, np.full(3, 0.5)]), first_logits, rcond=None
    )
    return RNNWeights(input_w, recurrent_w, output_w)


def test_a_hand_built_carry_machine_is_proved():
    weights = carry_machine_weights()
    assert np.abs(weights.recurrent_weights).max() >= 60  # large weights
    assert evaluate(weights, operand_bits=8).exact_accuracy == 1.0
    document, tried = prove(weights, None, None, max_pieces=PROOF_BUDGET)
    assert document is not None, tried
    assert check_certificate(json.loads(json.dumps(document)), weights).valid


def shortest_failure_in_short_sums(weights: RNNWeights) -> int | None:
    """The fewest columns over which some 8-bit pair (any bits, then the 9th column) is wrong, or None.

    The pairs run as a tree of shared prefixes (an output depends only on the columns before it), which is
    the same computation as running each of the 65,536 nine-column sums, twenty times cheaper.
    """
    input_parts = COLUMN_PATTERNS.astype(np.float64) @ weights.input_weights  # (4, H)
    hidden = np.zeros((1, weights.hidden_units))
    carry = np.zeros(1, dtype=np.int64)
    for column in range(9):  # 8 columns of bits, then the 9th (00) column that holds the final carry
        patterns = np.arange(4) if column < 8 else np.zeros(1, dtype=np.int64)
        hidden = activate(input_parts[patterns][None] + (hidden @ weights.recurrent_weights)[:, None]).reshape(
            -1, weights.hidden_units
        )
        carry = np.repeat(carry, len(patterns))
        total = np.tile((patterns >> 1) + (patterns & 1), len(carry) // len(patterns)) + carry
        written = sigmoid(hidden @ weights.output_weights)[:, 0] >= 0.5
        if (written != (total & 1).astype(bool)).any():
            return column + 1
        carry = total >> 1
    return None


def brute_force_failures(weights: RNNWeights, rng: np.random.Generator) -> bool:
    """Any failure on all 65,536 8-bit pairs, or on long patterned and random sums up to 256 columns."""
    if shortest_failure_in_short_sums(weights) is not None:
        return True
    columns = 256
    long = rng.integers(0, 4, size=(96, columns))
    for row in range(64):  # a random prefix, then one pattern to the end: where slow drifts show
        long[row, int(rng.integers(0, 12)) :] = row % 4
    return bool(wrong_columns(weights, long).any())


def mutants(base: RNNWeights, count: int, seed: int):
    """``count`` perturbed copies of ``base``: relative noise on every weight, or a few weights moved a lot."""
    rng = np.random.default_rng(seed)
    scales = (0.003, 0.03, 0.1, 0.3, 1.0)
    for mutant in range(count):
        scale = scales[mutant % len(scales)]
        arrays = [base.input_weights, base.recurrent_weights, base.output_weights]
        if mutant % 2:  # relative noise on every weight
            arrays = [array * (1 + scale * rng.standard_normal(array.shape)) for array in arrays]
        else:  # a few weights moved by a lot
            arrays = [array.copy() for array in arrays]
            for _ in range(3):
                which = arrays[int(rng.integers(0, 3))]
                index = tuple(int(rng.integers(0, size)) for size in which.shape)
                which[index] += scale * 10 * rng.standard_normal()
        yield mutant, scale, RNNWeights(*arrays), rng


# A mutant's search stops after this many pieces: a work budget, so the counts below are the same on any machine.
MUTANT_BUDGET = 2_000


def test_no_mutant_with_a_failure_is_ever_proved():
    counts = {"proved": 0, "failing": 0, "not proved": 0}
    for mutant, scale, weights, rng in mutants(load_weights(LONG_MODEL_PATH), 100, seed=2026):
        failing = brute_force_failures(weights, rng)
        document, _ = prove(weights, None, None, blocks=(1,), max_pieces=MUTANT_BUDGET)
        if document is not None:
            assert not failing, f"mutant {mutant} (scale {scale}) was proved but fails"
            counts["proved"] += 1
        else:
            counts["failing" if failing else "not proved"] += 1
    print(f"mutants: {counts}")
    assert counts["proved"] > 0 and counts["failing"] > 0  # both kinds occur, so the check has teeth


def test_the_bounded_proof_never_claims_past_a_known_failure():
    # Mutants of both shipped networks whose shortest failure among the 8-bit pairs brute force finds: the
    # bounded proof must stop at or before that column count, never claim that nothing shorter fails.
    checked = 0
    for path in (SHIPPED_MODEL_PATH, LONG_MODEL_PATH):
        for _, _, weights, _ in mutants(load_weights(path), 20, seed=7):
            shortest = shortest_failure_in_short_sums(weights)
            if shortest is None:
                continue
            bounded = bounded_proof(weights, BRUTE_FORCE_COLUMNS + 1)
            assert bounded.no_counterexample_below <= shortest, (bounded, shortest)
            checked += 1
    assert checked >= 10  # enough mutants fail early for the check to have teeth


def run_command(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "explainer.verify", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "--model"),
        (("--model", "no/such/model.keras"), "missing"),
        (("--model", "assets/model.keras", "--time-limit", "-1"), "--time-limit"),
        (("--model", "assets/model.keras", "--time-limit", "soon"), "--time-limit"),
        (("--model", "assets/model.keras", "--max-pieces", "0"), "--max-pieces"),
        (("--model", "assets/model.keras", "--check", "no/such/certificate.json"), "does not exist"),
        (("--model", "assets/model.json"), "could not be read"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(arguments, message):
    completed = run_command(*arguments)
    assert completed.returncode == 2
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr


def test_the_command_line_checks_and_rejects(long_verdict, long_certificate, tmp_path):
    completed = run_command("--check", long_verdict["certificate"], "--model", str(LONG_MODEL_PATH))
    assert completed.returncode == 0
    assert json.loads(completed.stdout.strip().splitlines()[-1])["valid"] is True
    document = copy.deepcopy(long_certificate)
    document["boxes"][1]["lower"][0] += 0.01
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document))
    completed = run_command("--check", str(tampered), "--model", str(LONG_MODEL_PATH))
    assert completed.returncode == 1
    last = json.loads(completed.stdout.strip().splitlines()[-1])
    assert last["valid"] is False and last["reason"]
    not_json = tmp_path / "broken.json"
    not_json.write_text("{")
    completed = run_command("--check", str(not_json), "--model", str(LONG_MODEL_PATH))
    assert completed.returncode == 1 and "Traceback" not in completed.stderr


def test_the_shipped_certificate_checks():
    # assets/model-long.certificate.json is what `python -m explainer.verify --model assets/model-long.keras` wrote.
    outcome = check(str(LONG_MODEL_PATH.with_suffix(".certificate.json")), str(LONG_MODEL_PATH))
    assert outcome["valid"] is True, outcome["reason"]


def test_the_checker_does_not_import_the_search():
    code = (
        "import sys, explainer.verify.certificate; "
        "print(sorted(m for m in sys.modules if m.split('.')[-1] in ('invariant', 'zonotope', 'search')))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60
    )
    assert completed.stdout.strip() == "[]"


# The memory bound (issue 23 item 2): the searches' arrays, as tracemalloc sees numpy allocate them, stay within
# the budget they are given, for the widest network a visitor can upload. The shipped network copied to 64 units
# adds like the shipped one (right up to 16 columns), so its bounded proof runs long enough to need the bound.


@pytest.mark.parametrize("network", ["shipped network ×4", "random"])
def test_the_bounded_proof_of_a_64_unit_network_stays_within_its_memory_bound(network):
    weights = copies_of(load_weights(SHIPPED_MODEL_PATH), 4) if network != "random" else random_weights(64, seed=23)
    memory = MemoryBound(24 * 2**20)
    tracemalloc.start()
    try:
        bounded = bounded_proof(weights, 17, memory=memory)
        _, traced = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert memory.peak_bytes <= memory.limit_bytes and traced <= memory.limit_bytes, (bounded, traced)
    if network != "random":  # it went on for columns and used most of the budget: the bound is what held it
        assert bounded.no_counterexample_below >= 8 and memory.peak_bytes > memory.limit_bytes / 2, bounded


def test_a_bounded_proof_that_would_outgrow_its_budget_stops_and_says_so():
    memory = MemoryBound(2 * 2**20)
    bounded = bounded_proof(copies_of(load_weights(SHIPPED_MODEL_PATH), 4), 17, memory=memory, max_boxes=10**9)
    assert bounded.stopped_because == memory.stop_reason and "memory bound of 2 MB" in bounded.stopped_because
    assert bounded.no_counterexample_below < 17 and memory.peak_bytes <= memory.limit_bytes


def test_the_invariant_search_runs_its_zonotopes_within_the_memory_bound():
    weights = copies_of(load_weights(LONG_MODEL_PATH), 4)
    tracemalloc.start()
    try:
        simulated_states(weights, 3)  # fixed work before the search grows anything: measured, then allowed
        _, fixed = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        memory = MemoryBound(48 * 2**20)
        outcome = search_invariant(weights, block=3, memory=memory, max_pieces=PROOF_BUDGET, deadline=None)
        _, traced = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert outcome.statistics["pieces_checked"] > 0
    assert memory.peak_bytes <= memory.limit_bytes and traced <= fixed + memory.limit_bytes, (outcome.reason, traced)
