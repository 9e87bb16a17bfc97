import threading

import keras
import numpy as np
import pytest

from explainer import trace_addition
from explainer.model.network import build_model


def keras_hidden_and_output(model, inputs):
    """Keras's own hidden states (N, T, H) and outputs (N, T) for ``inputs`` (N, T, 2)."""
    probe = keras.Model(model.inputs, [model.get_layer("rnn").output, model.output])
    hidden, output = probe.predict(inputs, verbose=0)
    return hidden, output[..., 0]


@pytest.fixture(scope="module")
def random_model():
    keras.utils.set_random_seed(7)
    model = build_model()
    # Larger-than-initial weights so that the check is not between two nearly constant 0.5s.
    rng = np.random.default_rng(7)
    model.get_layer("rnn").set_weights([rng.normal(0, 2, (2, 16)), rng.normal(0, 1, (16, 16))])
    model.get_layer("output").set_weights([rng.normal(0, 2, (16, 1))])
    return model


@pytest.mark.parametrize("timesteps", [8, 9, 16, 64])
@pytest.mark.parametrize("which", ["shipped", "random"])
def test_trace_equals_keras(timesteps, which, shipped_model, random_model):
    model = shipped_model if which == "shipped" else random_model
    rng = np.random.default_rng(timesteps)
    limit = 2 ** (timesteps - 1)
    traces = []
    for _ in range(12):
        a, b = (int(value) for value in rng.integers(0, limit, size=2, dtype=np.uint64))
        traces.append(trace_addition(model, a, b, timesteps=timesteps))
    inputs = np.stack([trace.input_bits for trace in traces]).astype(np.float32)
    hidden, output = keras_hidden_and_output(model, inputs)
    for index, trace in enumerate(traces):
        assert trace.timesteps == timesteps
        np.testing.assert_allclose(trace.hidden, hidden[index], atol=1e-5)
        np.testing.assert_allclose(trace.output_probability, output[index], atol=1e-5)
        # The split adds back up to the pre-activation that produced h_t.
        preactivation = trace.input_part + trace.recurrent_part
        np.testing.assert_allclose(1 / (1 + np.exp(-preactivation)), trace.hidden, atol=1e-12)


def test_trace_records_the_column_addition(shipped_weights):
    trace = trace_addition(shipped_weights, 254, 1)  # the seed's hardest case
    assert trace.timesteps == 8
    assert trace.carry_in.tolist() == [0, 0, 0, 0, 0, 0, 0, 0]
    assert trace.sum_bits.tolist() == [1] * 8
    trace = trace_addition(shipped_weights, 255, 1)
    assert trace.timesteps == 9
    assert trace.carry_in.tolist() == [0, 1, 1, 1, 1, 1, 1, 1, 1]
    assert trace.carry_out.tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 0]
    assert trace.sum_bits.tolist() == [0] * 8 + [1]
    assert trace.recurrent_part[0].tolist() == [0.0] * 16  # h_{-1} = 0
    assert trace.correct.all() and trace.predicted_sum == 256 and trace.is_correct


def test_trace_is_immutable(shipped_weights):
    trace = trace_addition(shipped_weights, 50, 18)
    with pytest.raises(ValueError):
        trace.hidden[0, 0] = 1.0
    with pytest.raises(AttributeError):
        trace.a = 3


def test_trace_accepts_a_keras_model_or_weights(shipped_model, shipped_weights):
    from_model = trace_addition(shipped_model, 99, 37)
    from_weights = trace_addition(shipped_weights, 99, 37)
    np.testing.assert_array_equal(from_model.hidden, from_weights.hidden)


def test_trace_is_safe_from_many_threads(shipped_weights):
    pairs = [(index * 7919 % 2**20, index * 104729 % 2**30) for index in range(64)]
    expected = {pair: trace_addition(shipped_weights, *pair).hidden for pair in pairs}
    mismatches = []

    def worker(offset):
        for pair in pairs[offset:] + pairs[:offset]:
            if not np.array_equal(trace_addition(shipped_weights, *pair).hidden, expected[pair]):
                mismatches.append(pair)

    threads = [threading.Thread(target=worker, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert mismatches == []


@pytest.mark.parametrize(("a", "b"), [(-1, 2), (True, 1), (1.5, 2), ("3", 4), (None, 1), (1, 2**64)])
def test_trace_rejects_bad_operands(shipped_weights, a, b):
    with pytest.raises(ValueError, match=r"\w+ must"):
        trace_addition(shipped_weights, a, b)


def test_trace_rejects_something_that_is_not_a_model():
    with pytest.raises(ValueError, match="Keras model or RNNWeights"):
        trace_addition("model.keras", 1, 2)


def test_trace_rejects_too_few_timesteps(shipped_weights):
    with pytest.raises(ValueError, match="needs 9 timesteps"):
        trace_addition(shipped_weights, 255, 255, timesteps=8)
