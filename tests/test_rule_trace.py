"""A rule's trace (explainer.model.trace.trace_rule) against Keras, its state rows against the rule's machine, and
the k-state probe (explainer.analysis.state_probe) on each rule's shipped network."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from explainer.analysis.state_probe import state_probe
from explainer.figures.rule_drawing import answer_row_name, rule_cells, rule_unfolded_drawing
from explainer.figures.step_drawing import step_drawing
from explainer.figures.step_equations import step_equations, step_sentences
from explainer.files.keras_file import load_model, load_weights, rule_model_path
from explainer.model.network import RNNWeights
from explainer.model.trace import BROKEN, trace_rule
from explainer.rules import RULES

OTHER_RULES = [name for name in RULES if name != "addition"]
EXAMPLES = {
    "subtraction": [(50, 18), (200, 199), (255, 0), (2**40, 12345)],
    "three_numbers": [(5, 6, 7), (255, 255, 255), (1, 0, 0), (1000, 2000, 3000)],
    "times_three": [(21,), (0,), (2**20 - 1,), (12345,)],
    "divisible_by_three": [(21,), (0,), (2**16 - 1,), (1000,)],
    "brackets": ["(()())", ")(", "((((((((", "(" * 7 + ")" * 7],
}


@pytest.fixture(scope="module", params=OTHER_RULES)
def rule_and_weights(request):
    rule = RULES[request.param]
    return rule, load_weights(rule_model_path(rule.name), input_width=rule.input_width)


def test_trace_rule_equals_keras(rule_and_weights):
    rule, weights = rule_and_weights
    model = load_model(rule_model_path(rule.name), input_width=rule.input_width)
    rnn = keras.Model(model.inputs, [model.layers[-2].output, model.output])
    for inputs in EXAMPLES[rule.name]:
        trace = trace_rule(weights, rule, inputs)
        assert trace.input_bits.shape == (trace.timesteps, rule.input_width)
        hidden, output = rnn.predict(trace.input_bits[None].astype(np.float32), verbose=0)
        np.testing.assert_allclose(trace.hidden, hidden[0], atol=1e-5)
        np.testing.assert_allclose(trace.output_probability, output[0, :, 0], atol=1e-5)
        np.testing.assert_allclose(1 / (1 + np.exp(-trace.pre_activation)), trace.hidden, atol=1e-12)
        # Read back, the network's bits are its answer; Python's is the rule's reference.
        assert trace.expected == rule.reference(inputs)
        assert trace.is_correct == (trace.predicted == trace.expected)


def test_state_rows_follow_the_rule(rule_and_weights):
    rule, weights = rule_and_weights
    for inputs in EXAMPLES[rule.name]:
        trace = trace_rule(weights, rule, inputs)
        assert trace.state_in[0] == 0 and trace.state_in[1:].tolist() == trace.state_out[:-1].tolist()
        if rule.name == "subtraction":  # the borrow by hand: a_t − b_t − borrow below 0
            a, b = inputs
            borrow = []
            state = 0
            for t in range(trace.timesteps):
                state = int(((a >> t) & 1) - ((b >> t) & 1) - state < 0)
                borrow.append(state)
            assert trace.state_out.tolist() == borrow
        if rule.name in ("three_numbers", "times_three"):  # the carry: (sum of the bits below t + 1) >> (t + 1)
            total = sum(inputs) if rule.name == "three_numbers" else 3 * inputs[0]
            for t in range(trace.timesteps):
                low = sum(
                    value % 2 ** (t + 1) for value in ([*inputs] if rule.name == "three_numbers" else [inputs[0]] * 3)
                )
                assert trace.state_out[t] == low >> (t + 1), (inputs, t)
            assert rule.read_output(trace.target_bits) == total
        if rule.name == "divisible_by_three":
            assert trace.state_out.tolist() == [(inputs[0] % 2 ** (t + 1)) % 3 for t in range(trace.timesteps)]
        if rule.name == "brackets":
            depth, broken, expected = 0, False, []
            for bracket in inputs:
                depth += 1 if bracket == "(" else -1
                broken = broken or depth < 0
                expected.append(BROKEN if broken else depth)
            assert trace.state_out.tolist() == expected


def test_trace_rule_refuses_the_wrong_input(rule_and_weights):
    rule, weights = rule_and_weights
    bad = "(x)" if rule.machine is None else (3, 5) if rule.name == "subtraction" else tuple([-1] * rule.input_width)
    with pytest.raises(ValueError):
        trace_rule(weights, rule, bad)
    other = RNNWeights(
        np.zeros((4 - rule.input_width, 16)) if rule.input_width != 2 else np.zeros((1, 16)),
        np.zeros((16, 16)),
        np.zeros((16, 1)),
    )
    with pytest.raises(ValueError, match="bit"):
        trace_rule(other, rule, EXAMPLES[rule.name][0])


def test_the_probe_reads_the_state_held_out(rule_and_weights):
    """The probe is scored on inputs it was not fitted on; on the carry and borrow rules it reads the state in
    every column, on brackets most (the depth, capped at the training strings'), and the number is what it is
    (divisibility's remainder is not what the network needs to keep: measured, not asserted high)."""
    rule, weights = rule_and_weights
    probe = state_probe(weights, rule)
    assert probe.held_out_rows > 1000
    assert 0.0 <= probe.held_out_accuracy <= 1.0
    if rule.name in ("subtraction", "three_numbers", "times_three"):
        assert probe.held_out_accuracy >= 0.99
    if rule.name == "brackets":
        assert probe.capped and probe.held_out_accuracy >= 0.9
    trace = trace_rule(weights, rule, EXAMPLES[rule.name][0])
    decoded = probe.decode(trace.hidden)
    assert decoded.shape == (trace.timesteps,) and set(decoded.tolist()) <= set(probe.values)
    assert f"{probe.held_out_accuracy:.1%}" in probe.sentence()


def test_the_probe_is_not_fooled_by_a_network_that_learned_nothing(rule_and_weights):
    """All-zero weights give the same h_t everywhere: the probe can do no better than the commonest state."""
    rule, _ = rule_and_weights
    blank = RNNWeights(np.zeros((rule.input_width, 16)), np.zeros((16, 16)), np.zeros((16, 1)))
    probe = state_probe(blank, rule)
    assert probe.held_out_accuracy < 0.9


def test_written_form_and_step_for_every_width(rule_and_weights):
    rule, weights = rule_and_weights
    trace = trace_rule(weights, rule, EXAMPLES[rule.name][0])
    rows, texts, _ = rule_cells(trace, np.zeros(trace.timesteps, dtype=int))
    assert rows[0] == f"{rule.state_called} in" and rows[1] == f"probe's {rule.state_called} in"
    assert answer_row_name(rule) in rows and texts[1][0] == "·"
    drawing = rule_unfolded_drawing(trace, None)
    assert f'data-row="{rule.state_called} in"' in drawing.body
    marks = drawing.chosen_column(1, unfold=True)
    assert ("2⁰" in marks) == (rule.machine is not None)  # place values only under the bits of a number
    assert 'class="future" data-from-t="2"' in marks  # the answer after column 1 is covered
    for timestep in (0, trace.timesteps - 1):
        bits = ", ".join(str(bit) for bit in trace.input_bits[timestep])
        assert f"x_{{{timestep}}} = [{bits}]" in step_equations(trace, timestep)[0]
        assert "step-drawing" in step_drawing(trace, weights, timestep)
        assert step_sentences(trace, weights.output_weights[:, 0], timestep)
