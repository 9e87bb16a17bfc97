"""What the shipped network learned, checked exhaustively, and the machinery that finds out.

Every claim the "What did it learn?" views make about the shipped model is asserted here on all pairs:
the carry is linearly readable at every step, the extracted machine is written addition's carry machine,
ablating the carry units breaks addition, and the network adds long numbers it never saw.
"""

from __future__ import annotations

import hypothesis
import numpy as np
import plotly.graph_objects as go
import pytest

from explainer import analysis, evaluate, forward, trace_addition
from explainer.figures import insight as figures
from explainer.figures import output as output_figures
from explainer.figures.machine import machine_diagram_figure
from explainer.figures.style import HIGHLIGHT, WRONG
from explainer.model.accuracy import exhaustive_dataset
from explainer.model.encoding import MAX_OPERAND, encode_batch
from explainer.model.network import RNNWeights
from tests.support.networks import random_weights


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test sees cold caches, so one test's results cannot stand in for another's computation."""
    analysis.clear_caches()
    yield
    analysis.clear_caches()


# --------------------------------------------------------------------------------------------------
# The prefix tree equals running every pair.
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("operand_bits", [7, 8])
def test_correctness_grid_equals_evaluate_on_every_pair(shipped_weights, operand_bits):
    grid = analysis.correctness_grid(shipped_weights, operand_bits)
    assert grid.shape == (2**operand_bits, 2**operand_bits)
    np.testing.assert_array_equal(grid.ravel(), evaluate(shipped_weights, operand_bits).wrong_bits)


def test_correctness_grid_equals_evaluate_under_ablation(shipped_weights):
    override = analysis.make_ablation(16, {3, 7}, {5: 0.9})
    for operand_bits in (7, 8):
        grid = analysis.correctness_grid(shipped_weights, operand_bits, override)
        np.testing.assert_array_equal(grid.ravel(), evaluate(shipped_weights, operand_bits, override).wrong_bits)
        assert grid.any()


def test_prefix_tree_states_are_the_forward_pass_states(shipped_weights):
    states = analysis.exhaustive_states(shipped_weights, 7)
    rng = np.random.default_rng(7)
    a_values, b_values = rng.integers(0, 128, size=50), rng.integers(0, 128, size=50)
    inputs, _ = encode_batch(a_values, b_values, states.timesteps)
    expected = forward(shipped_weights, inputs).hidden  # (50, T, H)
    node = states.leaf_index(a_values, b_values)
    for step in reversed(range(states.timesteps)):  # walk each pair's path from its leaf back to t = 0
        np.testing.assert_allclose(states.hidden[node], expected[:, step], rtol=0, atol=1e-12)
        node = states.parent[node]
    assert (node == -1).all()
    assert states.weight[states.level(0)].sum() == 16_384


def test_exhaustive_operand_bits_are_validated(shipped_weights):
    with pytest.raises(ValueError, match="operand_bits must be 1–8"):
        analysis.correctness_grid(shipped_weights, 9)


# --------------------------------------------------------------------------------------------------
# 1. The carry probe.
# --------------------------------------------------------------------------------------------------


def test_probe_reads_the_carry_at_every_step_on_all_pairs(shipped_weights):
    probe = analysis.carry_probe(shipped_weights)
    assert probe.accuracy == 1.0
    assert probe.accuracy_by_timestep.shape == (8,)
    assert (probe.accuracy_by_timestep == 1.0).all()
    assert probe.margin > 0.05  # not just barely: every score is clear of the threshold


def test_probe_still_reads_the_carry_on_long_pairs(shipped_weights):
    """Fitted on 8-step sums, the same straight cut reads the carry of 64-bit additions."""
    probe = analysis.carry_probe(shipped_weights)
    rng = np.random.default_rng(11)
    for _ in range(20):
        a, b = (int(value) for value in rng.integers(0, 2**64, size=2, dtype=np.uint64))
        trace = trace_addition(shipped_weights, a, b)
        assert analysis.first_disagreement(probe.decode(trace.hidden), trace.carry_out) is None


def test_probe_ranks_every_unit_once_and_names_the_top(shipped_weights):
    probe = analysis.carry_probe(shipped_weights)
    assert sorted(probe.ranked_units) == list(range(16))
    assert probe.top_carry_units == probe.ranked_units[: len(probe.top_carry_units)]
    assert 1 <= len(probe.top_carry_units) < 16
    importance = probe.unit_importance[list(probe.ranked_units)]
    assert (np.diff(importance) <= 0).all()


def test_an_all_zero_network_has_no_carry_units():
    # Every importance is 0: ">= half the largest" would select every unit. Nothing is named instead.
    silent = RNNWeights(np.zeros((2, 16)), np.zeros((16, 16)), np.zeros((16, 1)))
    probe = analysis.carry_probe(silent)
    assert probe.top_carry_units == ()
    assert probe.carry_units_sentence().startswith("No carry units are named")


def test_a_probe_that_does_not_read_the_carry_names_no_units():
    weights = random_weights(1, seed=0)  # one untrained unit: the probe is right on ~50–62% of pair-steps
    probe = analysis.carry_probe(weights)
    assert probe.accuracy_by_timestep.min() < analysis.CARRY_PROBE_MIN_ACCURACY
    assert not probe.reads_the_carry and probe.top_carry_units == ()
    sentence = probe.carry_units_sentence()
    worst = int(np.argmin(probe.accuracy_by_timestep))
    assert f"{probe.accuracy_by_timestep[worst]:.1%} of pairs at t = {worst}" in sentence
    assert analysis.CARRY_UNIT_CRITERION in sentence


def test_the_shipped_probe_names_its_carry_units_by_the_stated_criterion(shipped_weights):
    probe = analysis.carry_probe(shipped_weights)
    assert probe.reads_the_carry
    largest = probe.unit_importance.max()
    expected = {unit for unit in range(16) if probe.unit_importance[unit] >= analysis.CARRY_UNIT_SHARE * largest}
    assert set(probe.top_carry_units) == expected
    assert probe.carry_units_sentence().startswith("Carry units 3, 10, 7, 11: named because")


def test_first_disagreement():
    assert analysis.first_disagreement([0, 1, 1, 0], [0, 1, 1, 0]) is None
    assert analysis.first_disagreement([0, 1, 0, 0], [0, 1, 1, 1]) == 2
    with pytest.raises(ValueError, match="same shape"):
        analysis.first_disagreement([0, 1], [0, 1, 1])


def test_probe_is_cached_per_network_values_not_per_object(shipped_weights):
    first = analysis.carry_probe(shipped_weights)
    copy = RNNWeights(shipped_weights.input_weights, shipped_weights.recurrent_weights, shipped_weights.output_weights)
    assert analysis.carry_probe(copy) is first
    with pytest.raises(ValueError, match="must end in 16 units"):
        first.decode(np.zeros((3, 4)))


# --------------------------------------------------------------------------------------------------
# 2. The state space.
# --------------------------------------------------------------------------------------------------


def test_state_space_projection(shipped_weights):
    space = analysis.state_space(shipped_weights)
    np.testing.assert_allclose(space.components @ space.components.T, np.eye(2), atol=1e-12)
    assert 0 < space.explained_variance_ratio.sum() <= 1
    assert space.explained_variance_ratio[0] >= space.explained_variance_ratio[1]
    assert 0 < len(space.points) <= analysis.MAX_STATE_SPACE_POINTS
    assert set(np.unique(space.point_carry)) == {0, 1}
    assert set(np.unique(space.point_column_sum)) == {0, 1, 2, 3}
    assert space.point_weight.sum() == 16_384 * 8  # every pair-step is represented by some point
    trace = trace_addition(shipped_weights, 50, 18)
    path = space.path(trace.hidden)
    assert path.shape == (trace.timesteps + 1, 2)
    np.testing.assert_allclose(path[0], space.project(np.zeros(16)))


# --------------------------------------------------------------------------------------------------
# 3. The extracted machine.
# --------------------------------------------------------------------------------------------------


def test_extracted_machine_is_the_carry_machine_with_full_fidelity(shipped_weights):
    machine = analysis.extract_machine(shipped_weights)
    assert machine.fidelity_7bit == 1.0
    assert machine.fidelity_8bit == 1.0
    assert machine.equivalent_to_carry_machine
    assert machine.counterexample is None
    assert machine.minimal.state_count == 2
    assert set(machine.minimal.state_names) == {"carry 0", "carry 1"}
    assert "is the 2-state carry machine" in machine.comparison
    records = machine.comparison_records()
    assert len(records) == 8
    assert all(row["output bit"] == row["written addition: output bit"] for row in records)


def test_the_machine_does_not_hang_on_one_k_means_seed(shipped_weights):
    # Seed 3 alone minimises to a 4-state machine that is not the carry machine: one seed can be unlucky.
    unlucky = analysis.extract_machine(shipped_weights, seeds=(3,))
    assert not unlucky.equivalent_to_carry_machine
    machine = analysis.extract_machine(shipped_weights)
    runs = machine.seed_runs
    assert [run.seed for run in runs] == list(analysis.MACHINE_SEEDS) == list(range(10))
    carry = [run for run in runs if run.equivalent]
    assert len(carry) > len(runs) / 2 and machine.equivalent_to_carry_machine
    # The stated choice: most common minimal machine, then best raw fidelity, then fewest clusters.
    assert machine.seed == min(carry, key=lambda run: (-run.raw_fidelity_7bit, run.cluster_count, run.seed)).seed
    sentence = machine.stability_sentence()
    assert sentence.startswith(f"k-means with 10 seeds (0–9): {len(carry)} of 10 give a machine that minimises to")
    assert f"Kept: seed {machine.seed}'s {machine.cluster_count} clusters" in sentence
    for run in runs:
        assert str(run.cluster_count) in sentence.split("Cluster counts: ")[1]


def test_fidelity_of_the_carry_machine_is_the_networks_exact_accuracy_and_the_raw_machine_is_measured(
    shipped_weights,
):
    for ablation in (None, analysis.make_ablation(16, {2})):  # unit 2 zeroed: 97% exact
        machine = analysis.extract_machine(shipped_weights, ablation)
        exact = float((analysis.correctness_grid(shipped_weights, 8, ablation) == 0).mean())
        if machine.equivalent_to_carry_machine:
            assert machine.fidelity_8bit == pytest.approx(exact)
            assert "not an independent test" in machine.fidelity_sentence(exact)
        # The raw machine's fidelity, checked by running it on the encoded pairs themselves.
        inputs, _ = exhaustive_dataset(8)
        symbols = (2 * inputs[..., 0] + inputs[..., 1]).astype(np.int64)
        network_bits = forward(shipped_weights, inputs, ablation).output_probability >= 0.5
        raw_right = (machine.raw.run(symbols) == network_bits).all(axis=1).mean()
        assert machine.raw_fidelity_8bit == pytest.approx(raw_right)
        assert f"{machine.raw_fidelity_8bit:.2%} of the 65,536 8-bit pairs" in machine.fidelity_sentence(exact)


@pytest.mark.parametrize("operand_bits", [7, 8])
def test_machine_fidelity_checked_directly_against_the_network(shipped_weights, operand_bits):
    """Run the machine on the encoded pairs themselves (no prefix tree) and compare with the forward pass."""
    machine = analysis.extract_machine(shipped_weights)
    inputs, _ = exhaustive_dataset(operand_bits)
    symbols = (2 * inputs[..., 0] + inputs[..., 1]).astype(np.int64)  # (N, T)
    network_bits = forward(shipped_weights, inputs).output_probability >= 0.5
    machine_bits = machine.minimal.run(symbols)
    assert ((machine_bits == network_bits).all(axis=1)).mean() == 1.0


def test_minimise_merges_redundant_states_into_the_carry_machine():
    # Four states: carry 0 / carry 1, each duplicated (as clusters of one "carry" would be).
    carry = analysis.CARRY_MACHINE
    duplicated_next = np.array([[0, 1, 0, 2], [1, 0, 1, 3], [1, 2, 3, 2], [0, 3, 2, 3]])  # 0, 1 → 0; 2, 3 → 1
    duplicated_output = np.vstack([carry.output[0], carry.output[0], carry.output[1], carry.output[1]])
    redundant = analysis.MealyMachine(("a", "b", "c", "d"), 0, duplicated_next, duplicated_output)
    minimal, mapping = analysis.minimise(redundant)
    assert minimal.state_count == 2
    assert mapping.tolist() == [0, 0, 1, 1]
    equivalent, pairing, counterexample = analysis.compare_machines(minimal, carry)
    assert equivalent and pairing == {0: 0, 1: 1} and counterexample is None


def test_minimise_keeps_the_outputs_of_transitions_into_a_state_with_no_observed_successors():
    # State C0 is reached on every input but was never seen to move on: it must not merge with "never seen".
    raw = analysis.MealyMachine(("s", "C0"), 0, np.array([[1, 1, 1, 1], [-1] * 4]), np.array([[0, 1, 1, 0], [-1] * 4]))
    minimal, _ = analysis.minimise(raw)
    symbols = np.array([[0], [1], [2], [3]])
    assert minimal.run(symbols)[:, 0].tolist() == raw.run(symbols)[:, 0].tolist() == [0, 1, 1, 0]


def _observed_runs(machine: analysis.MealyMachine, length: int):
    """Every input sequence up to ``length`` along observed transitions, with the outputs written."""
    frontier = [((), (), machine.start)]
    for _ in range(length):
        grown = []
        for symbols, outputs, state in frontier:
            for symbol in range(4):
                target = int(machine.next_state[state, symbol])
                if target >= 0:
                    grown.append(((*symbols, symbol), (*outputs, int(machine.output[state, symbol])), target))
        yield from grown
        frontier = grown


@hypothesis.settings(max_examples=150, deadline=None)
@hypothesis.given(data=hypothesis.strategies.data())
def test_minimise_agrees_with_the_raw_machine_on_every_observed_sequence(data):
    strategies = hypothesis.strategies
    count = data.draw(strategies.integers(1, 6))
    next_state = np.array(
        data.draw(strategies.lists(strategies.integers(-1, count - 1), min_size=4 * count, max_size=4 * count))
    ).reshape(count, 4)
    output = np.array(
        data.draw(strategies.lists(strategies.integers(0, 1), min_size=4 * count, max_size=4 * count))
    ).reshape(count, 4)
    output = np.where(next_state >= 0, output, -1)
    raw = analysis.MealyMachine(tuple(f"C{i}" for i in range(count)), 0, next_state, output)
    minimal, _ = analysis.minimise(raw)
    assert minimal.state_count <= count
    for symbols, outputs, _ in _observed_runs(raw, 4):
        assert tuple(minimal.run(np.array([symbols]))[0].tolist()) == outputs, symbols
    # …and the minimal machine answers nowhere the raw one was not observed.
    for symbols, _, _ in _observed_runs(minimal, 4):
        assert (raw.run(np.array([symbols]))[0] >= 0).all(), symbols


def test_compare_machines_gives_a_shortest_counterexample():
    carry = analysis.CARRY_MACHINE
    forgetful = analysis.MealyMachine(("only",), 0, np.zeros((1, 4), dtype=int), carry.output[:1].copy())
    equivalent, _, counterexample = analysis.compare_machines(forgetful, carry)
    assert not equivalent
    assert counterexample == (3, 0)  # 1+1 then 0+0: the carry should have written a 1
    assert analysis.symbols_to_pair(counterexample) == (1, 1)


def test_ablated_machine_is_reported_honestly(shipped_weights):
    probe = analysis.carry_probe(shipped_weights)
    override = analysis.make_ablation(16, set(probe.top_carry_units))
    machine = analysis.extract_machine(shipped_weights, override)
    assert not machine.equivalent_to_carry_machine
    assert machine.counterexample is not None
    assert "not the carry machine" in machine.comparison


# --------------------------------------------------------------------------------------------------
# 4. Ablation.
# --------------------------------------------------------------------------------------------------


def test_zeroing_the_top_carry_units_breaks_addition(shipped_weights):
    probe = analysis.carry_probe(shipped_weights)
    override = analysis.make_ablation(16, set(probe.top_carry_units))
    accuracy = evaluate(shipped_weights, 7, override).exact_accuracy
    assert accuracy < 0.5
    # Each carry unit matters on its own too.
    for unit in probe.top_carry_units:
        assert evaluate(shipped_weights, 7, analysis.make_ablation(16, {unit})).exact_accuracy < 1.0


def test_holding_the_least_carry_tied_unit_at_its_mean_changes_nothing(shipped_weights):
    probe = analysis.carry_probe(shipped_weights)
    unit = probe.ranked_units[-1]
    override = analysis.make_ablation(16, clamped={unit: float(probe.unit_mean[unit])})
    assert evaluate(shipped_weights, 7, override).exact_accuracy == 1.0
    assert evaluate(shipped_weights, 8, override).exact_accuracy == 1.0


def test_zeroing_a_unit_that_does_nothing_changes_nothing(shipped_weights):
    # A 17th unit that listens to the inputs but feeds nothing onward: no recurrent or output weight out of it.
    input_weights = np.hstack([shipped_weights.input_weights, [[3.0], [-2.0]]])
    recurrent_weights = np.zeros((17, 17))
    recurrent_weights[:16, :16] = shipped_weights.recurrent_weights
    recurrent_weights[:16, 16] = 1.0  # it listens to the others…
    output_weights = np.vstack([shipped_weights.output_weights, [[0.0]]])  # …but says nothing
    widened = RNNWeights(input_weights, recurrent_weights, output_weights)
    override = analysis.make_ablation(17, {16})
    assert evaluate(widened, 7, override).exact_accuracy == 1.0
    assert (analysis.correctness_grid(widened, 8, override) == 0).all()


@pytest.mark.parametrize("zeroed, clamped", [({3, 10, 7, 11}, {}), ({2}, {}), ((), {11: 0.2}), ({5}, {1: 0.9})])
def test_exact_accuracy_equals_evaluate(shipped_weights, zeroed, clamped):
    ablation = analysis.make_ablation(16, zeroed, clamped)
    for operand_bits in (7, 8):
        exact = analysis.exact_accuracy(shipped_weights, operand_bits, ablation)
        assert exact == evaluate(shipped_weights, operand_bits, ablation).exact_accuracy
        # …and both equal the share of pairs counted right one by one by the Keras-free forward pass.
        inputs, targets = exhaustive_dataset(operand_bits)
        predicted = forward(shipped_weights, inputs, ablation).output_probability >= 0.5
        right_pairs = int((predicted == targets[..., 0].astype(bool)).all(axis=1).sum())
        assert exact == right_pairs / 4**operand_bits


def test_every_unit_is_zeroed_and_held_at_its_mean_side_by_side(shipped_weights):
    rows = analysis.every_unit_ablated(shipped_weights)
    means = analysis.carry_probe(shipped_weights).unit_mean
    assert [row.unit for row in rows] == list(range(16))
    for row in (rows[2], rows[15]):  # checked against the plain evaluation of all pairs
        zeroed, at_mean = (
            analysis.make_ablation(16, {row.unit}),
            analysis.make_ablation(16, clamped={row.unit: means[row.unit]}),
        )
        assert row.zeroed_7bit == evaluate(shipped_weights, 7, zeroed).exact_accuracy
        assert row.at_mean_8bit == evaluate(shipped_weights, 8, at_mean).exact_accuracy
    # Zeroing a unit and holding it at its mean are different interventions, and they give different answers.
    assert rows[2].zeroed_7bit < 1.0 == rows[2].at_mean_7bit
    sentence = analysis.every_unit_sentence(rows, (3, 10, 7, 11))
    worst = min(rows, key=lambda row: row.zeroed_7bit)
    assert sentence.startswith(
        f"Zeroed alone, the units that break addition most are {worst.unit} ({worst.zeroed_7bit:.1%})"
    )


def test_error_locations_are_computed_from_every_pair_step(shipped_weights):
    ablation = analysis.make_ablation(16, {3, 10, 7, 11})
    found = analysis.error_locations(shipped_weights, ablation)
    inputs, targets = exhaustive_dataset(7)
    wrong = (forward(shipped_weights, inputs, ablation).output_probability >= 0.5) != (targets[..., 0] == 1)
    carry_in = np.zeros(wrong.shape, dtype=bool)  # the true carry into each column, from the bits themselves
    carry = np.zeros(len(inputs), dtype=np.int64)
    for step in range(inputs.shape[1]):
        carry_in[:, step] = carry == 1
        carry = (inputs[:, step, 0].astype(np.int64) + inputs[:, step, 1].astype(np.int64) + carry) >> 1
    assert found.wrong_bits == wrong.sum()
    assert found.share_in_carry_columns == pytest.approx(wrong[carry_in].sum() / wrong.sum())
    assert found.wrong_rate_with_carry == pytest.approx(wrong[carry_in].mean())
    assert found.wrong_rate_without_carry == pytest.approx(wrong[~carry_in].mean())
    assert found.carry_column_share == pytest.approx(carry_in.mean())
    assert f"{found.share_in_carry_columns:.1%} of them are in columns where a carry comes in" in found.sentence()
    assert analysis.error_locations(shipped_weights, None).sentence() == "Every bit of the 16,384 pairs is still right."


def test_ablation_and_its_key():
    assert analysis.make_ablation(16) is None
    ablation = analysis.make_ablation(16, {3, 7}, {5: 0.9})
    mask, values = ablation.mask_and_values()
    assert np.flatnonzero(mask).tolist() == [3, 5, 7]
    assert values[5] == 0.9 and values[3] == 0.0
    assert ablation.held == ((3, 0.0), (5, 0.9), (7, 0.0))
    # The ablation is its own cache key: equal choices are equal and hash alike, whatever their order.
    assert ablation == analysis.make_ablation(16, (7, 3), {5: 0.9})
    assert hash(ablation) == hash(analysis.make_ablation(16, (7, 3), {5: 0.9}))
    assert analysis.make_ablation(16, set(), {}) is None


@pytest.mark.parametrize(
    ("zeroed", "clamped", "message"),
    [
        ({16}, {}, "does not exist"),
        ({-1}, {}, "does not exist"),
        ({2}, {2: 0.5}, "both zeroed and clamped"),
        (set(), {1: 1.5}, r"must be in \[0, 1\]"),
        (set(), {1: "high"}, r"must be in \[0, 1\]"),
    ],
)
def test_make_ablation_rejects_bad_choices(zeroed, clamped, message):
    with pytest.raises(ValueError, match=message):
        analysis.make_ablation(16, zeroed, clamped)


def test_ablation_query_round_trip():
    params = analysis.format_ablation_query({7, 3}, {5: 0.9, 2: 0.125})
    assert params == {"ablate": "3,7", "clamp": "2:0.125,5:0.9"}
    zeroed, clamped = analysis.parse_ablation_query(params["ablate"], params["clamp"], 16)
    assert zeroed == {3, 7} and clamped == {2: 0.125, 5: 0.9}
    assert analysis.parse_ablation_query("", "", 16) == (frozenset(), {})
    assert analysis.format_ablation_query(set(), {}) == {}


@pytest.mark.parametrize(
    ("ablate", "clamp"),
    [("3,x", ""), ("99", ""), ("", "5"), ("", "5:nan"), ("", "5:2"), ("", "a:0.5"), ("1;2", ""), ("", "5:0.5:1")],
)
def test_ablation_query_junk_raises_value_error(ablate, clamp):
    with pytest.raises(ValueError):
        analysis.parse_ablation_query(ablate, clamp, 16)


# --------------------------------------------------------------------------------------------------
# 6. Any length.
# --------------------------------------------------------------------------------------------------


def test_random_pairs_have_sums_of_exactly_the_asked_length():
    for sum_bits in (1, 8, 33, 64, 65):
        pairs = analysis.random_pairs_with_sum_bits(sum_bits, 50, seed=3)
        assert all((a + b).bit_length() == sum_bits for a, b in pairs)
        assert all(0 <= a <= MAX_OPERAND and 0 <= b <= MAX_OPERAND for a, b in pairs)
    assert analysis.random_pairs_with_sum_bits(40, 5, seed=1) == analysis.random_pairs_with_sum_bits(40, 5, seed=1)
    with pytest.raises(ValueError, match="sum_bits must be 1–65"):
        analysis.random_pairs_with_sum_bits(66, 5)


def test_length_view_numbers_agree_with_a_direct_check(shipped_weights):
    lengths = (8, 17, 33, 64)
    rows = analysis.accuracy_by_length(shipped_weights, lengths, pairs_per_length=25, seed=5)
    assert [row.sum_bits for row in rows] == list(lengths)
    for row in rows:
        pairs = analysis.random_pairs_with_sum_bits(row.sum_bits, 25, seed=5)
        exact = [trace_addition(shipped_weights, a, b).predicted_sum == a + b for a, b in pairs]
        assert row.pairs == 25
        assert row.exact_accuracy == np.mean(exact)


def test_length_view_direct_check_holds_for_a_broken_network_too(shipped_weights):
    """With the carry units zeroed the numbers are far from 100%, and must still match a pair-by-pair check."""
    override = analysis.make_ablation(16, set(analysis.carry_probe(shipped_weights).top_carry_units))
    rows = analysis.accuracy_by_length(shipped_weights, (8, 24), pairs_per_length=30, seed=2, ablation=override)
    for row in rows:
        pairs = analysis.random_pairs_with_sum_bits(row.sum_bits, 30, seed=2)
        exact = [trace_addition(shipped_weights, a, b, ablation=override).predicted_sum == a + b for a, b in pairs]
        assert row.exact_accuracy == np.mean(exact) < 1.0
        assert row.first_wrong_pair == pairs[exact.index(False)]


def test_the_8_bit_network_adds_at_every_length_to_64(shipped_weights):
    rows = analysis.accuracy_by_length(shipped_weights)
    assert [row.sum_bits for row in rows] == list(analysis.DEFAULT_LENGTHS)
    assert all(row.exact_accuracy == 1.0 for row in rows)


# --------------------------------------------------------------------------------------------------
# 7. Logit split.
# --------------------------------------------------------------------------------------------------


def test_logit_split_adds_up_to_the_logit(shipped_weights):
    trace = trace_addition(shipped_weights, 127, 1)
    for step in range(trace.timesteps):
        split = analysis.logit_split(shipped_weights, trace, step)
        total = split.baseline + split.from_input + split.from_carried_state + split.from_ablation
        assert total == pytest.approx(split.logit, abs=1e-9)
        assert 1 / (1 + np.exp(-split.logit)) == pytest.approx(trace.output_probability[step], abs=1e-12)
        units = split.unit_baseline + split.unit_from_input + split.unit_from_carried_state
        np.testing.assert_allclose(units, trace.hidden[step] * shipped_weights.output_weights[:, 0], atol=1e-12)
    first = analysis.logit_split(shipped_weights, trace, 0)
    assert first.from_carried_state == 0.0  # nothing has been carried at t = 0


def test_logit_split_under_ablation_and_bad_timesteps(shipped_weights):
    override = analysis.make_ablation(16, {3}, {5: 0.9})
    trace = trace_addition(shipped_weights, 50, 18, ablation=override)
    split = analysis.logit_split(shipped_weights, trace, 4, override)
    assert split.unit_from_ablation[5] == pytest.approx(0.9 * shipped_weights.output_weights[5, 0])
    assert split.unit_from_input[3] == split.unit_from_carried_state[3] == 0.0
    total = split.baseline + split.from_input + split.from_carried_state + split.from_ablation
    assert total == pytest.approx(split.logit, abs=1e-9)
    with pytest.raises(ValueError, match="timestep must be 0–7"):
        analysis.logit_split(shipped_weights, trace, 8)


# --------------------------------------------------------------------------------------------------
# Figures: pure builders with fixed, data-independent ranges.
# --------------------------------------------------------------------------------------------------


def test_probe_figures(shipped_weights):
    probe = analysis.carry_probe(shipped_weights)
    figure = figures.probe_accuracy_figure(probe.accuracy_by_timestep)
    assert isinstance(figure, go.Figure)
    assert list(figure.data[0].y) == [1.0] * 8
    assert figure.layout.yaxis.range == (0, 1.12)
    assert figure.layout.xaxis.autorange == "reversed"  # t = 0 on the right, as on paper
    units = figures.probe_units_figure(probe.unit_importance, probe.top_carry_units)
    colours = units.data[0].marker.color
    assert [unit for unit, colour in enumerate(colours) if colour == figures.CARRY.hex] == sorted(probe.top_carry_units)
    rows = figures.carry_rows_figure([0, 1, 1, 0], [0, 1, 0, 0])
    assert rows.data[0].z.shape == (2, 4)
    assert len(rows.layout.shapes) == 1 and rows.layout.shapes[0].x0 == 1.5  # the first disagreement, ringed
    assert not figures.carry_rows_figure([0, 1], [0, 1]).layout.shapes
    chosen = figures.carry_rows_figure([0, 1, 1, 0], [0, 1, 0, 0], current_step=3).layout.shapes
    assert [(shape.x0, shape.line.color) for shape in chosen] == [(1.5, WRONG.hex), (2.5, HIGHLIGHT.hex)]
    with pytest.raises(ValueError, match="current_step"):
        figures.carry_rows_figure([0, 1], [0, 1], current_step=2)
    with pytest.raises(ValueError, match="same length"):
        figures.carry_rows_figure([0, 1], [0, 1, 1])


def test_state_space_figure(shipped_weights):
    space = analysis.state_space(shipped_weights)
    trace = trace_addition(shipped_weights, 50, 18)
    labels = [f"{a_bit}+{b_bit}" for a_bit, b_bit in trace.input_bits]
    figure = figures.state_space_figure(
        space.points, space.point_column_sum, "column sum", space.path(trace.hidden), labels
    )
    assert [trace.name for trace in figure.data][:4] == [f"column sum {value}" for value in range(4)]
    assert sum(len(trace.x) for trace in figure.data[:4]) == len(space.points)
    arrows = [note for note in figure.layout.annotations if note.showarrow]
    assert len(arrows) == trace.timesteps
    low, high = figure.layout.xaxis.range
    assert low <= space.points[:, 0].min() and high >= space.points[:, 0].max()
    with pytest.raises(ValueError, match="colour_by"):
        figures.state_space_figure(space.points, space.point_carry, "rainbow")


def test_machine_diagram_figure(shipped_weights):
    machine = analysis.extract_machine(shipped_weights).minimal
    figure = machine_diagram_figure(machine.state_names, machine.next_state, machine.output, machine.start)
    assert list(figure.data[0].text) == list(machine.state_names)
    assert len(figure.layout.shapes) == 4  # two self-loops and one edge each way
    labels = " ".join(note.text for note in figure.layout.annotations if note.text)
    assert "11/0" in labels and "00/1" in labels and "start" in labels
    with pytest.raises(ValueError, match=r"must be \(2, 4\)"):
        machine_diagram_figure(machine.state_names, np.zeros((3, 4)), machine.output)


def test_the_state_space_rings_the_point_of_the_chosen_step(shipped_weights):
    """Issue 22 item 7: h_t (path point t + 1) is ringed in the chosen step's colour and step t's arrow drawn in it;
    the other arrows stay ink, and a step outside the path is refused."""
    space = analysis.state_space(shipped_weights)
    trace = trace_addition(shipped_weights, 127, 1)
    path = space.path(trace.hidden)
    labels = [f"{a_bit}+{b_bit}" for a_bit, b_bit in trace.input_bits]
    for step in (0, 3, trace.timesteps - 1):
        figure = figures.state_space_figure(space.points, space.point_carry, "carry", path, labels, current_step=step)
        (ring,) = [data for data in figure.data if data.meta == "current step"]
        assert (ring.x[0], ring.y[0]) == tuple(path[step + 1])
        assert ring.marker.color == HIGHLIGHT.hex and ring.name == f"h{step}: after step t={step}"
        colours = [note.arrowcolor for note in figure.layout.annotations if note.showarrow]
        assert colours == ["#000000"] * (trace.timesteps - 1) + [HIGHLIGHT.hex]  # the chosen step's drawn last
        assert figure.layout.annotations[-1].text.startswith(f"t={step}:")  # its label on top of the others'
        assert figure.layout.annotations[-1].bordercolor == HIGHLIGHT.hex
        # Steps that stay in one place with the same bits share a label (127 + 1 loops in "carry 1" from t = 1 on);
        # every step is named by exactly one label.
        named = []
        for note in figure.layout.annotations:
            if not note.showarrow:
                steps, bits = note.text.removeprefix("t=").split(": ")
                for part in steps.split(", "):
                    first, _, last = part.partition("–")
                    named += range(int(first), int(last or first) + 1)
                    assert all(labels[index] == bits for index in range(int(first), int(last or first) + 1))
        assert sorted(named) == list(range(trace.timesteps))
        assert len([note for note in figure.layout.annotations if not note.showarrow]) < trace.timesteps
        # Every step's point travels with the figure, for the page's hover ring (the ring's own size).
        assert figure.layout.meta["step_points"] == np.round(path[1:], 4).tolist()
        assert figure.layout.meta["ring_size"] == ring.marker.size
    plain = figures.state_space_figure(space.points, space.point_carry, "carry", path)
    assert not [data for data in plain.data if data.meta == "current step"]
    assert plain.layout.meta["step_points"] == np.round(path[1:], 4).tolist()
    assert figures.state_space_figure(space.points, space.point_carry, "carry").layout.meta is None
    with pytest.raises(ValueError, match="current_step"):
        figures.state_space_figure(space.points, space.point_carry, "carry", path, current_step=trace.timesteps)


def test_the_machine_rings_the_state_the_chosen_step_leaves_the_network_in(shipped_weights):
    """The shipped network's machine is the carry machine, so after step t of 127 + 1 its h_t is in the state named
    after that column's true carry out; the diagram rings that state and says which step."""
    extracted = analysis.extract_machine(shipped_weights)
    machine = extracted.minimal
    trace = trace_addition(shipped_weights, 127, 1)
    states = extracted.states_of(trace.hidden)
    assert [machine.state_names[state] for state in states] == [f"carry {carry}" for carry in trace.carry_out]
    for step in (0, 7):
        figure = machine_diagram_figure(
            machine.state_names, machine.next_state, machine.output, machine.start, int(states[step]), step, states
        )
        (ring,) = [data for data in figure.data if data.meta == "current step"]
        (circles,) = [data for data in figure.data if data.mode == "markers+text"]
        index = list(circles.text).index(f"carry {trace.carry_out[step]}")
        assert (ring.x[0], ring.y[0]) == (circles.x[index], circles.y[index])
        assert ring.marker.line.color == HIGHLIGHT.hex
        # For the hover ring: each step's point is the circle of the state named after that column's carry out.
        centres = dict(zip(circles.text, np.round(np.column_stack([circles.x, circles.y]), 4).tolist(), strict=True))
        assert figure.layout.meta["step_points"] == [centres[f"carry {carry}"] for carry in trace.carry_out]
        assert figure.layout.meta["ring_size"] == ring.marker.size
        assert f"after step t={step}" in [note.text for note in figure.layout.annotations]
    unmarked = machine_diagram_figure(machine.state_names, machine.next_state, machine.output, machine.start)
    assert not [data for data in unmarked.data if data.meta == "current step"]
    assert unmarked.layout.meta is None
    # A step in a state minimising dropped (−1) has no point; a state the machine lacks is refused.
    dropped = machine_diagram_figure(machine.state_names, machine.next_state, machine.output, 0, step_states=[0, -1])
    assert dropped.layout.meta["step_points"][1] is None
    with pytest.raises(ValueError, match="step_states"):
        machine_diagram_figure(machine.state_names, machine.next_state, machine.output, 0, step_states=[0, 2])
    with pytest.raises(ValueError, match="current"):
        machine_diagram_figure(machine.state_names, machine.next_state, machine.output, 0, current=5)
    with pytest.raises(ValueError, match=r"hidden must be \(T, 16\)"):
        extracted.states_of(trace.hidden[:, :3])


def test_correctness_ablation_and_length_figures(shipped_weights):
    grid = analysis.correctness_grid(shipped_weights, 8)
    figure = output_figures.correctness_map_figure(grid, 9, (50, 18))
    assert figure.data[0].z.shape == (256, 256)
    assert (figure.data[0].zmin, figure.data[0].zmax) == (0, 9)
    assert figure.data[0].colorscale[0][1] != figure.data[0].colorscale[-1][1]
    with pytest.raises(ValueError, match="square"):
        output_figures.correctness_map_figure(np.zeros((4, 5)), 8)
    bits = output_figures.ablation_bits_figure([0, 1, 1], [0, 1, 1], [0, 0, 1])
    assert bits.data[0].z.shape == (3, 3) and len(bits.layout.shapes) == 1
    lengths = output_figures.length_accuracy_figure([8, 16], [1.0, 0.5])
    assert lengths.layout.yaxis.range == (0, 1.05) and lengths.layout.xaxis.range == (0, 66)
    assert [shape.x0 for shape in lengths.layout.shapes] == [8]  # only the training length: no failure to mark
    # The labels sit at the foot of their lines, away from the accuracy line along the top.
    assert all(note.yanchor == "bottom" and note.y < 0.5 for note in lengths.layout.annotations)
    marked = output_figures.length_accuracy_figure([8, 16], [1.0, 1.0], failure_columns=17, failure_label="wrong: x")
    assert [shape.x0 for shape in marked.layout.shapes] == [8, 17]
    assert marked.layout.shapes[1].line.color == WRONG.hex
    assert [note.text for note in marked.layout.annotations] == ["trained length", "wrong: x"]


def test_logit_figures_keep_a_fixed_symmetric_axis(shipped_weights):
    trace = trace_addition(shipped_weights, 127, 1)
    split = analysis.logit_split(shipped_weights, trace, 3)
    figure = output_figures.logit_split_figure(
        split.baseline, split.from_input, split.from_carried_state, value_range=10.0
    )
    assert figure.layout.yaxis.range == (-12.0, 12.0)
    bars = figure.data[0]
    assert list(bars.x)[-1] == "output logit z_t" and bars.y[-1] == pytest.approx(split.logit)
    assert bars.base[2] + bars.y[2] == pytest.approx(split.logit)  # each bar starts where the last ended
    units = output_figures.logit_units_figure(split.unit_from_input, split.unit_from_carried_state, value_range=4.0)
    assert units.layout.yaxis.range == pytest.approx((-4.4, 4.4))
    assert len(units.data) == 2 and len(units.data[0].y) == 16


@pytest.mark.parametrize("hidden_units", [1, 2, 5])
def test_every_analysis_runs_on_small_untrained_networks(hidden_units):
    # A visitor can train or upload a network with as few as one unit; every view must still work.
    weights = random_weights(hidden_units, seed=hidden_units)
    trace = trace_addition(weights, 99, 37)
    assert analysis.carry_probe(weights).decode(trace.hidden).shape == (trace.timesteps,)
    space = analysis.state_space(weights)
    assert space.points.shape[1] == 2 and space.path(trace.hidden).shape == (trace.timesteps + 1, 2)
    machine = analysis.extract_machine(weights)
    assert 0.0 <= machine.fidelity_7bit <= 1.0 and 0.0 <= machine.fidelity_8bit <= 1.0
    assert analysis.correctness_grid(weights).shape == (128, 128)
    assert len(analysis.accuracy_by_length(weights)) > 0
    analysis.logit_split(weights, trace, 3)


def test_the_readmes_what_it_learned_says_what_the_code_computes(shipped_weights):
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = " ".join(readme.split("## What it learned")[1].split("\n## ")[0].split())  # line breaks as spaces
    probe = analysis.carry_probe(shipped_weights)
    assert f"within {probe.margin:.3f} of the" in section
    assert (
        "**" + ", ".join(str(unit) for unit in probe.top_carry_units[:-1]) + f" and {probe.top_carry_units[-1]}**"
        in section
    )
    ablation = analysis.make_ablation(16, set(probe.top_carry_units))
    exact_7bit, exact_8bit = (analysis.exact_accuracy(shipped_weights, bits, ablation) for bits in (7, 8))
    assert f"to {exact_7bit:.1%} (16,384 pairs) and {exact_8bit:.1%} (65,536 8-bit pairs)" in section
    errors = analysis.error_locations(shipped_weights, ablation)
    assert f"{errors.share_in_carry_columns:.1%} of the {errors.wrong_bits:,} wrong bits" in section
    assert f"wrong {errors.wrong_rate_with_carry:.1%} of the time where a carry comes in, " in section
    assert f"{errors.wrong_rate_without_carry:.1%} where none does" in section
    rows = analysis.every_unit_ablated(shipped_weights)
    for unit in probe.top_carry_units:
        assert f"{unit} → {rows[unit].zeroed_7bit:.1%}" in section
    worst = sorted(rows, key=lambda row: (row.zeroed_7bit, row.unit))[:3]
    assert "other units break more: " + ", ".join(f"{row.unit} → {row.zeroed_7bit:.1%}" for row in worst) in section
    assert f"({errors.carry_column_share:.1%} of all columns)" in section
    assert f"unit 2 zeroed gives {rows[2].zeroed_7bit:.1%}, held at its mean {rows[2].at_mean_7bit:.0%}" in section
    untouched = [row.unit for row in rows if row.at_mean_7bit == 1.0 and row.at_mean_8bit == 1.0]
    assert f"{len(untouched)} of 16 units ({', '.join(str(unit) for unit in untouched)})" in section
    machine = analysis.extract_machine(shipped_weights)
    carry_seeds = sum(run.equivalent for run in machine.seed_runs)
    assert (
        f"{carry_seeds} of {len(machine.seed_runs)} seeds give a table that minimises to the **2-state carry" in section
    )
    others = [run for run in machine.seed_runs if not run.equivalent]
    assert (
        f"for seeds {' and '.join(str(run.seed) for run in others)} no table up to 16 clusters reproduces the network "
        f"(best raw fidelity {' and '.join(f'{run.raw_fidelity_7bit:.1%}' for run in others)}), and theirs minimise "
        f"to {' and '.join(str(run.minimal_states) for run in others)} states" in section
    )
    assert all(run.raw_fidelity_7bit < 1.0 for run in others)  # "no table reproduces": none reached 100%
    counts = ", ".join(str(count) for count in sorted(run.cluster_count for run in machine.seed_runs))
    assert f"Cluster counts: {counts}." in section
    assert f"seed {machine.seed}'s {machine.cluster_count} clusters" in section


# Issue 22 item 5: the logit split's words follow its bars.
@pytest.mark.parametrize(("a", "b", "timestep"), [(50, 18, 0), (127, 1, 1), (50, 18, 4), (255, 255, 3)])
def test_the_split_sentences_are_read_off_the_bars(shipped_weights, a, b, timestep):
    trace = trace_addition(shipped_weights, a, b)
    split = analysis.logit_split(shipped_weights, trace, timestep)
    words = analysis.split_sentences(split)
    bit = int(split.logit >= 0)
    assert f"current bits {split.from_input:+.2f}, carried-in state {split.from_carried_state:+.2f}" in words
    assert f"together {split.logit:+.2f}, so the bit is {bit}" in words
    assert "everything comes from the current bits" not in words and "tips the bit" not in words
    if split.from_input == split.from_carried_state == 0:
        assert "the output is the baseline alone" in words
    else:
        larger = "current bits'" if abs(split.from_input) >= abs(split.from_carried_state) else "carried-in"
        assert f"The {larger} part is the larger" in words
    rest = split.baseline + split.from_input
    if split.from_carried_state:
        assert (f"adding it gives {bit}" in words) == (int(rest >= 0) != bit)
