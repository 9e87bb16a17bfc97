import numpy as np
import pytest

from explainer.model.network import RNNWeights, build_model
from tests.support.networks import random_weights


def test_the_seed_architecture_has_304_weights():
    model = build_model()
    assert model.count_params() == 304
    assert [layer.name for layer in model.layers] == ["bits", "rnn", "output"]
    rnn = model.get_layer("rnn")
    assert rnn.units == 16 and rnn.use_bias is False and rnn.activation.__name__ == "sigmoid"
    dense = model.get_layer("output")
    assert dense.units == 1 and dense.use_bias is False and dense.activation.__name__ == "sigmoid"
    weights = RNNWeights.from_model(model)
    assert weights.input_weights.shape == (2, 16)
    assert weights.recurrent_weights.shape == (16, 16)
    assert weights.output_weights.shape == (16, 1)


@pytest.mark.parametrize("units", [1, 3, 32])
def test_hidden_units_is_a_parameter(units):
    assert build_model(units).count_params() == 2 * units + units * units + units


def test_one_model_runs_on_any_length():
    model = build_model()
    for timesteps in (8, 9, 64, 8):  # back to 8: the TimeDistributed trap broke exactly this
        assert model.predict(np.zeros((2, timesteps, 2)), verbose=0).shape == (2, timesteps, 1)


@pytest.mark.parametrize("bad", [0, 65, -1, 2.0, True, "16"])
def test_bad_hidden_units_raise(bad):
    with pytest.raises(ValueError, match="hidden_units"):
        build_model(bad)


def test_weights_are_read_only_copies_and_validated():
    source = np.ones((2, 4))
    weights = RNNWeights(source, np.zeros((4, 4)), np.zeros((4, 1)))
    source[0, 0] = 5
    assert weights.input_weights[0, 0] == 1
    with pytest.raises(ValueError):
        weights.input_weights[0, 0] = 2
    with pytest.raises(ValueError, match="shape"):
        RNNWeights(np.ones((2, 4)), np.zeros((3, 3)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="NaN"):
        RNNWeights(np.full((2, 4), np.nan), np.zeros((4, 4)), np.zeros((4, 1)))


def test_weights_round_trip_through_keras():
    weights = random_weights(5, seed=1)
    back = RNNWeights.from_model(weights.to_model())
    np.testing.assert_allclose(back.recurrent_weights, weights.recurrent_weights, rtol=1e-6)


def test_weights_hash_by_value():
    first = RNNWeights(np.ones((2, 3)), np.eye(3), np.zeros((3, 1)))
    same = RNNWeights(np.ones((2, 3)), np.eye(3), np.zeros((3, 1)))
    other = RNNWeights(np.ones((2, 3)), 2 * np.eye(3), np.zeros((3, 1)))
    assert first == same and hash(first) == hash(same) and len({first, same, other}) == 2
    assert first != other and first.fingerprint != other.fingerprint


def test_sigmoid_is_the_two_branch_formula_bit_for_bit():
    from explainer.model.network import sigmoid

    def two_branches(values):
        return np.where(values >= 0, 1 / (1 + np.exp(-np.abs(values))), 1 - 1 / (1 + np.exp(-np.abs(values))))

    generator = np.random.default_rng(0)
    cases = [
        generator.normal(size=(500, 16)) * 8,
        np.array([0.0, -0.0, 1e-300, -1e-300, -800.0, 800.0, -36.0, 36.0, np.inf, -np.inf]),
        (generator.normal(size=50) * 30).astype(np.float32),
        np.float64(-0.3),
        np.arange(-5, 5),
    ]
    for values in cases:
        expected, actual = two_branches(values), sigmoid(values)
        assert actual.dtype == expected.dtype and np.shape(actual) == np.shape(expected)
        np.testing.assert_array_equal(actual, expected)


def test_forward_from_an_initial_state_continues_the_run():
    from explainer.model.network import forward

    weights = random_weights(8, seed=3)
    inputs = np.random.default_rng(1).integers(0, 2, size=(5, 8, 2)).astype(np.float64)
    whole = forward(weights, inputs)
    rest = forward(weights, inputs[:, 3:], initial_state=whole.hidden[:, 2])
    np.testing.assert_allclose(rest.hidden, whole.hidden[:, 3:], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(forward(weights, inputs, initial_state=np.zeros((5, 8))).hidden, whole.hidden)
    with pytest.raises(ValueError, match="initial_state must have shape"):
        forward(weights, inputs, initial_state=np.zeros((5, 7)))
