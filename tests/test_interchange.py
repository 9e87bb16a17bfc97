"""Interchange interventions: the prediction, the patch, the alignments, the held-out learned direction."""

import dataclasses
import json

import numpy as np
import pytest

from explainer import load_weights
from explainer.analysis import alignment_search as search
from explainer.analysis import carry_probe
from explainer.analysis import interchange as ic
from explainer.model.accuracy import evaluate
from explainer.model.encoding import all_pairs, bits_matrix_to_ints, ints_to_bits
from explainer.model.network import forward
from explainer.model.trace import carries
from tests.support.networks import carry_unit_machine, random_weights


@pytest.fixture(scope="module")
def machine():
    return carry_unit_machine()


@pytest.fixture(scope="module")
def shipped_table():
    return search.interchange_table(load_weights())


def test_the_hand_built_machine_adds_exactly(machine):
    weights, _ = machine
    assert evaluate(weights, operand_bits=8).exact_accuracy == 1.0


def test_the_prediction_is_pythons_plus_with_the_sources_low_columns():
    # Every 7-bit pair as base, each with another pair as source: after column t, written addition with the
    # source's carry writes the bits of (source's columns ≤ t) + (base's columns > t), computed with Python's +.
    base_a, base_b = all_pairs(7)
    order = np.random.default_rng(5).permutation(base_a.size)
    sample = ic.InterchangeSample(base_a, base_b, base_a[order], base_b[order], operand_bits=7)
    base_bits, source_bits = ic.sample_bits(sample)
    _, source_carry = carries(source_bits)
    for t in sample.columns:
        low = (1 << (t + 1)) - 1
        hybrid = [
            (int(sa) & low) + (int(sb) & low) + (int(a) & ~low) + (int(b) & ~low)
            for a, b, sa, sb in zip(base_a, base_b, base_a[order], base_b[order], strict=True)
        ]
        expected = ic.expected_bits(base_bits, source_carry[:, t], t)
        np.testing.assert_array_equal(expected, ints_to_bits(hybrid, sample.timesteps)[:, t + 1 :])
    # And with the base as its own source, the prediction is the base's own sum.
    own = ic.expected_bits(base_bits, carries(base_bits)[1][:, 2], 2)
    np.testing.assert_array_equal(bits_matrix_to_ints(own) << 3, (base_a + base_b) & ~7)


def test_the_sources_carry_comes_from_the_carry_rule():
    bits = ints_to_bits(np.array([0b0111, 0b0001, 0b0110]), 8)
    other = ints_to_bits(np.array([0b0001, 0b0001, 0b0011]), 8)
    _, carry_out = carries(np.stack([bits, other], axis=-1))
    np.testing.assert_array_equal(carry_out[:, :4], [[1, 1, 1, 0], [1, 0, 0, 0], [0, 1, 1, 0]])


def test_patching_a_state_into_itself_changes_nothing():
    weights = random_weights(16, seed=2)
    a, b = all_pairs(4)
    sample = ic.InterchangeSample(a, b, a, b, operand_bits=4)
    base_bits, _ = ic.sample_bits(sample)
    plain = forward(weights, base_bits)
    for t in sample.columns:
        state = ic.patch(plain.hidden[:, t], plain.hidden[:, t], np.eye(16))
        np.testing.assert_array_equal(state, plain.hidden[:, t])
        rest = ic.run_on(weights, base_bits, t, state)
        np.testing.assert_allclose(rest.hidden, plain.hidden[:, t + 1 :], rtol=0, atol=1e-15)


def test_with_no_patch_the_run_is_the_plain_run_and_iia_is_carry_agreement():
    # An empty basis patches nothing: on a network that adds exactly, every triple whose carries agree
    # succeeds and every one whose carries differ fails.
    weights = load_weights()
    sample = ic.interchange_sample(256, seed=9)
    (row,) = search.interchange_accuracy(weights, sample, [("nothing", "units", np.zeros((16, 0)))])
    assert row.iia_where_carries_agree == 1.0 and row.iia_where_carries_differ == 0.0
    assert row.iia == pytest.approx(1 - ic.carries_differ(sample).mean())
    base_bits, _ = ic.sample_bits(sample)
    plain = forward(weights, base_bits)
    rest = ic.run_on(weights, base_bits, 3, ic.patch(plain.hidden[:, 3], plain.hidden[:, 3] + 1, np.zeros((16, 0))))
    np.testing.assert_allclose(rest.output_probability, plain.output_probability[:, 4:], rtol=0, atol=1e-15)


def test_the_machines_whole_state_and_carry_unit_move_the_carry_and_an_unrelated_unit_does_not(machine):
    weights, unit = machine
    sample = ic.interchange_sample(512, seed=4)
    whole, carry, first_column, unrelated = search.interchange_accuracy(
        weights,
        sample,
        [
            ("whole", "state", np.eye(9)),
            ("C", "unit", ic.unit_basis(9, [unit["C"]])),
            ("C, D, E", "units", ic.unit_basis(9, [unit["C"], unit["D"], unit["E"]])),
            ("U2", "unit", ic.unit_basis(9, [unit["U2"]])),
        ],
    )
    assert whole.iia == 1.0
    # From column 1 on the carry passes through C alone; at column 0 C, D and E hold it together.
    np.testing.assert_array_equal(carry.iia_by_column[1:], 1.0)
    assert first_column.iia == 1.0
    # U2 is the carry out too, but nothing reads it later: moving it moves no carry (chance: carries agree).
    assert unrelated.iia_where_carries_differ == 0.0 and unrelated.iia_where_carries_agree == 1.0
    assert 0.4 < unrelated.iia < 0.6
    # Yet a probe reads the carry from U2 at every column after the first (at column 0, with no constant, U2 cannot
    # tell a + b = 1 from 2: half the pairs, one column in eight): reading is not using.
    assert unrelated.probe_reading == pytest.approx(1 - 0.5 / 8)


def test_samples_are_reproducible_and_the_exclusion_is_honoured():
    first = ic.interchange_sample(300, seed=1)
    again = ic.interchange_sample(300, seed=1)
    np.testing.assert_array_equal(first.base_a, again.base_a)
    # With 1-bit operands there are only 16 (base, source) pairs: 8 drawn, 8 others must fill the rest.
    small = ic.interchange_sample(6, seed=0, operand_bits=1)
    other = ic.interchange_sample(6, seed=1, operand_bits=1, exclude=small)
    assert not set(_codes(small)) & set(_codes(other))
    with pytest.raises(ValueError, match="positive int"):
        ic.interchange_sample(0, seed=0)


def _codes(sample):
    return list(zip(sample.base_a, sample.base_b, sample.source_a, sample.source_b, strict=True))


def test_the_das_gradient_is_the_derivative_of_its_loss():
    weights = load_weights()
    prepared = ic.prepare_sample(weights, ic.interchange_sample(24, seed=3))
    direction = np.random.default_rng(0).normal(size=16)
    loss, gradient = search._gradient(weights, prepared, direction)
    step = 1e-6
    for index in (0, 3, 10):
        moved = direction.copy()
        moved[index] += step
        higher, _ = search._gradient(weights, prepared, moved)
        moved[index] -= 2 * step
        lower, _ = search._gradient(weights, prepared, moved)
        assert gradient[index] == pytest.approx((higher - lower) / (2 * step), rel=1e-4, abs=1e-8)
    assert loss > 0


def test_the_learned_direction_is_scored_on_held_out_triples(shipped_table):
    learned = shipped_table.learned
    assert not set(_codes(learned.training)) & set(_codes(shipped_table.sample))
    row = shipped_table.row(search.LEARNED_DIRECTION)
    np.testing.assert_allclose(row.basis[:, 0], learned.direction)
    assert row.iia >= 0.95 and row.iia_where_carries_differ >= 0.95
    assert 0 <= learned.outside_span_share < 1 and 1 <= learned.visited_dimensions <= 16


def test_the_shipped_networks_table(shipped_table):
    probe = carry_probe(load_weights())
    whole = shipped_table.row(search.WHOLE_STATE)
    assert whole.iia == 1.0  # the future depends on h_t only through the carry
    carry = shipped_table.row(search.CARRY_UNITS)
    np.testing.assert_array_equal(carry.basis, ic.unit_basis(16, probe.top_carry_units))
    # The independent measurement (20,000 pairs): 75.7% overall, 58.6% where carries differ.
    assert 0.70 < carry.iia < 0.81 and 0.52 < carry.iia_where_carries_differ < 0.66
    mean, spread, lowest, highest = shipped_table.random_floor
    assert mean < 0.6 and lowest <= mean <= highest and spread >= 0
    assert len(shipped_table.random) == search.RANDOM_DIRECTIONS
    assert [row.name for row in shipped_table.rows if row.kind == "unit"] == [f"unit {u}" for u in range(16)]
    assert "1,024 (base, source) pairs" in shipped_table.population and "t = 0–6" in shipped_table.population


def test_the_figure_and_its_screen_reader_table_carry_the_same_numbers(shipped_table):
    from explainer.figures.interchange import iia_by_column_figure
    from explainer.figures.tables import iia_by_column_table, iia_table

    lines = [(name, shipped_table.row(name).iia_by_column) for name in (search.WHOLE_STATE, search.CARRY_UNITS)]
    columns = len(shipped_table.random_by_column)
    low = [min(row.iia_by_column[t] for row in shipped_table.random) for t in range(columns)]
    high = [max(row.iia_by_column[t] for row in shipped_table.random) for t in range(columns)]
    figure = iia_by_column_figure(lines, low, shipped_table.random_by_column, high)
    traces = {trace.name: trace for trace in figure.data}
    np.testing.assert_allclose(traces[search.CARRY_UNITS].y, shipped_table.row(search.CARRY_UNITS).iia_by_column)
    np.testing.assert_allclose(traces["random directions (mean)"].y, shipped_table.random_by_column)
    by_column = iia_by_column_table(lines, shipped_table.random_by_column)
    np.testing.assert_allclose(
        by_column[search.CARRY_UNITS], shipped_table.row(search.CARRY_UNITS).iia_by_column, atol=5e-5
    )
    table = iia_table(shipped_table)
    assert len(table) == len(shipped_table.rows) + 1
    assert table["% IIA"].iloc[0] == 100.0 and "random directions" in table["transplanted"].iloc[-1]
    with pytest.raises(ValueError, match="one value per column"):
        iia_by_column_figure(lines, low[:-1], shipped_table.random_by_column, high)


def test_the_sentences_follow_the_numbers(shipped_table):
    whole = search.alignment_sentence(shipped_table.row(search.WHOLE_STATE), shipped_table)
    assert "uses the carry held there" in whole
    carry = search.alignment_sentence(shipped_table.row(search.CARRY_UNITS), shipped_table)
    assert "uses" not in carry.replace("network uses as the carry", "") and "not all of it" in carry
    probe = search.alignment_sentence(shipped_table.row(search.PROBE_DIRECTION), shipped_table)
    assert "no more than random directions" in probe and "reading is not using" in probe
    assert "held-out" in search.illusion_sentence(shipped_table)


def test_the_words_count_in_the_singular_for_one(shipped_table):
    one_unit = dataclasses.replace(shipped_table, carry_units=(5,))
    assert search.alignment_label(shipped_table.row(search.CARRY_UNITS), one_unit) == "carry unit 5"
    several = search.alignment_label(shipped_table.row(search.CARRY_UNITS), shipped_table)
    assert several.startswith("carry units ") and several.endswith(" together")
    learned = dataclasses.replace(shipped_table.learned, visited_dimensions=1, training=ic.interchange_sample(1, 0))
    one = search.illusion_sentence(dataclasses.replace(shipped_table, learned=learned))
    assert "fitted on 7 other interventions" in one and "outside the 1 direction that holds" in one
    assert "directions that hold" in search.illusion_sentence(shipped_table)
    assert ic.interchange_sample(1, 0).describe().startswith("1 (base, source) pair drawn")


def test_the_readme_states_the_tables_numbers(shipped_table):
    from explainer.paths import PROJECT_ROOT

    readme = " ".join((PROJECT_ROOT / "README.md").read_text().split())
    start = readme.index("**Where the carry is used: transplanting it**")
    bullet = readme[start : readme.index("- **", start)]
    table = shipped_table
    differ = {name: table.row(name).iia_where_carries_differ for name in (search.WHOLE_STATE, search.CARRY_UNITS)}
    units = [row for row in table.rows if row.kind == "unit"]
    best = max(units, key=lambda row: row.iia_where_carries_differ)
    floor, spread = table.random_floor_where_carries_differ
    learned, in_span = table.row(search.LEARNED_DIRECTION), table.row(search.LEARNED_IN_SPAN)
    expected = [
        f"{table.sample.pairs:,} sampled (base, source) pairs",
        f"{table.sample.triples:,} interventions",
        f"the carries differ in {table.share_carries_differ:.1%}",
        f"**{differ[search.WHOLE_STATE]:.1%}**",
        f"carry units {', '.join(str(u) for u in table.carry_units[:-1])} and {table.carry_units[-1]} together",
        f"**{differ[search.CARRY_UNITS]:.1%}** ({table.row(search.CARRY_UNITS).iia:.1%} of all",
        f"single unit ({best.name.split()[-1]}) in {best.iia_where_carries_differ:.1%}",
        f"**{table.row(search.PROBE_DIRECTION).iia_where_carries_differ:.1%}**",
        f"({floor:.1%} ± {spread:.1%})",
        f"{table.row(search.PROBE_DIRECTION).outside_span_share:.0%} of its length",
        f"fitted on {table.learned.training.triples:,} other interventions",
        f"**{learned.iia_where_carries_differ:.1%}**",
        f"{table.learned.outside_span_share:.0%} of its length lies outside the {table.learned.visited_dimensions}",
        f"in-span part alone gives {in_span.iia_where_carries_differ:.1%}",
    ]
    for fragment in expected:
        assert fragment in bullet, fragment


def test_the_flipped_source_differs_only_in_its_column_and_carries_the_other_way():
    for a, b in [(50, 18), (127, 1), (0, 0), (85, 42)]:
        for column in range(7):
            source = ic.flipped_carry_source(a, b, column)
            bits = ints_to_bits([a, b, *source], 8)
            _, carry_out = carries(np.stack([bits[[0, 2]], bits[[1, 3]]], -1))
            assert carry_out[0, column] != carry_out[1, column]
            same = np.ones(8, dtype=bool)
            same[column] = False
            np.testing.assert_array_equal(bits[0, same], bits[2, same])
            np.testing.assert_array_equal(bits[1, same], bits[3, same])


def test_a_pair_transplant_of_the_whole_state_writes_the_predicted_bits():
    weights = load_weights()
    for column in range(7):
        result = ic.transplant_pair(weights, 50, 18, column, np.eye(16))
        assert result.moved and result.source_carry != result.base_carry
        np.testing.assert_array_equal(result.plain_bits[: column + 1], result.patched_bits[: column + 1])
        # Written addition with the source's carry: the source's columns ≤ t plus the base's later ones, by Python's +.
        low = (1 << (column + 1)) - 1
        hybrid = (result.source_a & low) + (result.source_b & low) + (50 & ~low) + (18 & ~low)
        np.testing.assert_array_equal(result.expected_bits[column + 1 :], ints_to_bits([hybrid], 8)[0, column + 1 :])
    nothing = ic.transplant_pair(weights, 50, 18, 3, np.zeros((16, 0)), source=(50, 18))
    np.testing.assert_array_equal(nothing.patched_bits, nothing.plain_bits)
    np.testing.assert_allclose(nothing.patched_hidden, nothing.plain_hidden, rtol=0, atol=1e-15)
    assert nothing.moved and bits_matrix_to_ints(nothing.plain_bits[None])[0] == 68
    with pytest.raises(ValueError, match="column must be"):
        ic.transplant_pair(weights, 50, 18, 7, np.eye(16), source=(50, 18))  # 8 columns: nothing after 7


def test_a_pair_transplant_runs_over_the_pages_columns_and_a_typed_sources_carry():
    """The page may give a pair more columns than it needs (n = 12 for 50 + 18) and any source; the prediction
    takes the source's own carry out of column t, whichever way it goes."""
    weights = load_weights()
    long = ic.transplant_pair(weights, 50, 18, 9, np.eye(16), source=(1000, 24), timesteps=12)
    assert long.plain_bits.shape == (12,) and long.patched_hidden.shape == (12, 16)
    # 1000 + 24 carries 1 out of column 9 (1024 = 2**10): the base's leading zero columns then read 1 at 10, 0 at 11.
    assert (long.source_carry, long.base_carry) == (1, 0)
    assert list(long.expected_bits[10:]) == [1, 0] and long.moved
    same = ic.transplant_pair(weights, 50, 18, 2, np.eye(16), source=(1, 2))  # carries 0 out of column 2, as 50 + 18
    assert same.source_carry == same.base_carry == 0
    np.testing.assert_array_equal(same.expected_bits, ints_to_bits([68], 8)[0])


def test_the_transplant_heatmaps_show_the_two_runs_and_their_difference():
    from explainer.figures.interchange import transplant_heatmaps_figure
    from explainer.figures.tables import transplant_states_table

    result = ic.transplant_pair(load_weights(), 50, 18, 2, np.eye(16))
    figure = transplant_heatmaps_figure(result.plain_hidden, result.patched_hidden, 2)
    before, after, difference = figure.data
    np.testing.assert_allclose(before.z, result.plain_hidden.T)
    np.testing.assert_allclose(after.z, result.patched_hidden.T)
    np.testing.assert_allclose(difference.z, (result.patched_hidden - result.plain_hidden).T)
    np.testing.assert_array_equal(difference.z[:, :2], 0)  # nothing changes before the transplanted column
    assert (before.zmin, before.zmax, difference.zmin, difference.zmax) == (0, 1, -1, 1)
    table = transplant_states_table(result)
    assert len(table) == 8 and table["unit 3 after"].iloc[2] == round(result.patched_hidden[2, 3], 4)
    with pytest.raises(ValueError, match="same shape"):
        transplant_heatmaps_figure(result.plain_hidden, result.patched_hidden[:4], 2)


def test_the_transplant_heatmaps_built_without_validation_are_what_plotly_validates():
    """The figure skips Plotly's validation (a click's cost): Plotly accepts it as it is, and the frame it is
    built from is shared, so a figure for one pair must not leak into the next."""
    import plotly.graph_objects as go

    from explainer.figures.interchange import transplant_heatmaps_figure

    weights = load_weights()
    first = ic.transplant_pair(weights, 50, 18, 3, np.eye(16))
    figure = transplant_heatmaps_figure(first.plain_hidden, first.patched_hidden, 3)
    validated = go.Figure(figure.to_plotly_json())  # raises on anything Plotly would refuse
    assert json.loads(validated.to_json()) == json.loads(figure.to_json())
    assert [shape.x0 for shape in figure.layout.shapes] == [3, 3, 3]  # the highlighted column, in each panel
    figure.data[0].z[0, 0] = 9.0  # changing one figure …
    other = ic.transplant_pair(weights, 7, 9, 3, np.eye(16))
    again = transplant_heatmaps_figure(other.plain_hidden, other.patched_hidden, 3)
    np.testing.assert_allclose(again.data[0].z, other.plain_hidden.T)  # … leaves the next one as it should be
    assert "at t = 3" in again.layout.annotations[1].text
