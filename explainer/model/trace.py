"""One addition, step by step: everything the page draws for a single pair."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from explainer.model.encoding import add_column, bits_to_int, encode_pair, timesteps_for, validate_operand
from explainer.model.network import RNNWeights, as_weights, forward, read_only

if TYPE_CHECKING:
    from explainer.model.ablation import Ablation
    from explainer.rules import Rule


class NetworkRunTrace:
    """What both traces work out of the network's run (:func:`network_run` fills in the fields): the pre-activation,
    the held units and the run's size. The annotations name the fields it reads; it declares none (it is not a
    dataclass), so each trace lists its own fields in its own order."""

    input_bits: np.ndarray  # (T, W) int8
    hidden: np.ndarray  # (T, H) float: h_t
    input_part: np.ndarray  # (T, H) float: x_t · W_x
    recurrent_part: np.ndarray  # (T, H) float: h_{t-1} · W_h
    ablation: Ablation | None

    @property
    def pre_activation(self) -> np.ndarray:
        """(T, H) float: ``x_t · W_x + h_{t-1} · W_h``, the sum a computed unit passes through σ to give h_t."""
        return self.input_part + self.recurrent_part

    @property
    def held_units(self) -> np.ndarray:
        """(H,) bool: the units this run's ablation held at a value instead of computing σ(pre-activation)."""
        if self.ablation is None:
            return np.zeros(self.hidden_units, dtype=bool)
        mask, _ = self.ablation.mask_and_values()
        return mask

    @property
    def timesteps(self) -> int:
        return int(self.input_bits.shape[0])

    @property
    def hidden_units(self) -> int:
        return int(self.hidden.shape[1])


@dataclass(frozen=True)
class AdditionTrace(NetworkRunTrace):
    """The network adding ``a + b``. T timesteps (least significant bit first), H hidden units.

    Every array is read-only, so one trace can be shared between threads and cached safely.
    """

    a: int
    b: int
    input_bits: np.ndarray  # (T, 2) int8: bit t of a, bit t of b
    carry_in: np.ndarray  # (T,) int8: the true carry into column t (0 at t = 0)
    carry_out: np.ndarray  # (T,) int8: the true carry out of column t
    sum_bits: np.ndarray  # (T,) int8: bit t of a + b
    hidden: np.ndarray  # (T, H) float: h_t
    input_part: np.ndarray  # (T, H) float: x_t · W_x
    recurrent_part: np.ndarray  # (T, H) float: h_{t-1} · W_h
    output_logit: np.ndarray  # (T,) float: z_t = h_t · W_o
    output_probability: np.ndarray  # (T,) float: o_t = σ(z_t)
    predicted_bits: np.ndarray  # (T,) int8: o_t rounded (≥ 0.5 → 1)
    correct: np.ndarray  # (T,) bool: predicted bit == true sum bit
    predicted_sum: int
    ablation: Ablation | None = None  # units held at a value (set, not computed) in this run

    @property
    def true_sum(self) -> int:
        return self.a + self.b

    @property
    def is_correct(self) -> bool:
        return self.predicted_sum == self.true_sum

    def verdict(self, label: str = "The RNN") -> str:
        """The answer in one line, checked against Python's ``+``: ``"The RNN says 50 + 18 = 68 ✓"``."""
        return f"{label} says {self.a} + {self.b} = {self.predicted_sum} {'✓' if self.is_correct else '✗'}"


def carries(input_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True carry into and out of each column of least-significant-first ``input_bits`` ``(…, T, 2)``.

    One pair ``(T, 2)`` or a batch ``(N, T, 2)``; each result is ``(…, T)`` int8, by the carry rule.
    """
    input_bits = np.asarray(input_bits, dtype=np.int64)
    carry_in = np.zeros(input_bits.shape[:-1], dtype=np.int8)
    carry_out = np.zeros(input_bits.shape[:-1], dtype=np.int8)
    carry = np.zeros(input_bits.shape[:-2], dtype=np.int64)
    for step in range(input_bits.shape[-2]):
        carry_in[..., step] = carry
        _, carry = add_column(input_bits[..., step, 0], input_bits[..., step, 1], carry)
        carry_out[..., step] = carry
    return carry_in, carry_out


def network_run(weights: RNNWeights, input_bits: np.ndarray, target_bits: np.ndarray, ablation=None) -> dict:
    """What a trace holds of the network's run on one input ``(T, W)`` against the bits it should write ``(T,)``:
    the hidden states, both parts of each pre-activation, the output's logit, probability and bit, and which bits
    are right (every array read-only)."""
    result = forward(weights, input_bits[None], ablation)
    probability = result.output_probability[0]
    predicted_bits = (probability >= 0.5).astype(np.int8)
    return {
        "hidden": read_only(result.hidden[0]),
        "input_part": read_only(result.input_part[0]),
        "recurrent_part": read_only(result.recurrent_part[0]),
        "output_logit": read_only(result.output_logit[0]),
        "output_probability": read_only(probability),
        "predicted_bits": read_only(predicted_bits),
        "correct": read_only(predicted_bits == target_bits),
    }


def trace_addition(
    model: object,
    a: int,
    b: int,
    timesteps: int | None = None,
    ablation: Ablation | None = None,
) -> AdditionTrace:
    """Run the network on ``a + b`` and record every intermediate value.

    ``model`` is a Keras model from :func:`explainer.build_model` or :class:`RNNWeights` (cheaper: no
    weight copy out of Keras). ``timesteps`` defaults to ``max(8, bit length of a + b)``.
    ``ablation`` holds units fixed (see :func:`explainer.model.network.forward`). Computed in numpy from the
    weights, so it is safe to call from many sessions at once. Raises ``ValueError`` for bad operands.
    """
    a = validate_operand(a, "a")
    b = validate_operand(b, "b")
    weights: RNNWeights = as_weights(model)
    if timesteps is None:
        timesteps = timesteps_for(a, b)
    input_bits, sum_bits = encode_pair(a, b, timesteps)
    run = network_run(weights, input_bits, sum_bits, ablation)
    carry_in, carry_out = carries(input_bits)
    return AdditionTrace(
        a=a,
        b=b,
        input_bits=read_only(input_bits),
        carry_in=read_only(carry_in),
        carry_out=read_only(carry_out),
        sum_bits=read_only(sum_bits),
        **run,
        predicted_sum=bits_to_int(run["predicted_bits"]),
        ablation=ablation,
    )


@dataclass(frozen=True)
class RuleTrace(NetworkRunTrace):
    """The network computing one input of a rule (:mod:`explainer.rules`), column by column. T timesteps
    (least significant bit first), W bits per column, H hidden units.

    The fields the step drawing and equations read have :class:`AdditionTrace`'s names and shapes, so both
    draw either trace. The rule's state is given as the written form shows it (:func:`state_value`: the borrow,
    the carry 0–2, the remainder, the depth). Every array is read-only.
    """

    rule: Rule
    inputs: tuple[int, ...] | str  # the rule's numbers (a, b) or its bracket string
    input_bits: np.ndarray  # (T, W) int8: bit t of each number, or 1 for "(" and 0 for ")"
    target_bits: np.ndarray  # (T,) int8: what the rule writes under column t
    state_in: np.ndarray  # (T,) int: the state's value coming into column t (the start's at t = 0)
    state_out: np.ndarray  # (T,) int: its value after column t
    hidden: np.ndarray  # (T, H) float: h_t
    input_part: np.ndarray  # (T, H) float: x_t · W_x
    recurrent_part: np.ndarray  # (T, H) float: h_{t-1} · W_h
    output_logit: np.ndarray  # (T,) float
    output_probability: np.ndarray  # (T,) float
    predicted_bits: np.ndarray  # (T,) int8
    correct: np.ndarray  # (T,) bool: predicted bit == the rule's bit
    ablation: None = None  # rules run unablated (the ablation popover is addition's)

    @property
    def predicted(self) -> object:
        """The network's bits read back by the rule: a number, or one yes/no per column."""
        return self.rule.read_output(self.predicted_bits)

    @property
    def expected(self) -> object:
        """Python's answer (``rule.reference``), read the same way as :attr:`predicted`."""
        return self.rule.read_output(self.target_bits)

    @property
    def is_correct(self) -> bool:
        return bool(self.correct.all())


# Balanced brackets' state once the prefix went below depth 0 (a ")" closed nothing): no later bracket can mend it.
BROKEN = -1


def state_value(rule: Rule, state: int) -> int:
    """The number the written form shows for machine state ``state``: its name's number after ``state_called``
    ("borrow 1" → 1, "carry 2" → 2, "remainder 1, next column ×2" → 1)."""
    name = rule.machine.state_names[state]
    return int(name.removeprefix(rule.state_called).split(",")[0])


def rule_states(rule: Rule, input_bits: np.ndarray) -> np.ndarray:
    """The rule's state after each column, ``(N, T)`` int, as the written form shows it, of columns ``(N, T, W)``:
    the machine's run mapped by :func:`state_value`, or for balanced brackets the depth (no machine has it), or
    ``BROKEN`` from the column where it first went below 0."""
    # Imported here: explainer.rules imports explainer.analysis, which imports this module.
    from explainer.rules.brackets import depths
    from explainer.rules.rule import columns_to_symbols

    input_bits = np.asarray(input_bits)
    if rule.machine is None:  # once a ")" has closed nothing the prefix can never be balanced again: BROKEN
        depth = depths(input_bits[..., 0])
        return np.where(np.minimum.accumulate(depth, axis=-1) < 0, BROKEN, depth)
    machine = rule.machine
    values = np.array([state_value(rule, state) for state in range(machine.state_count)])
    symbols = columns_to_symbols(input_bits)  # (N, T)
    states = np.full(symbols.shape[0], machine.start)
    after = np.empty(symbols.shape, dtype=np.int64)
    for step in range(symbols.shape[1]):
        states, _ = machine.step(states, symbols[:, step])
        after[:, step] = states
    return values[after]


def start_value(rule: Rule) -> int:
    """The state's value before column 0 (0 for every rule here: no carry, no borrow, remainder 0, depth 0)."""
    return 0 if rule.machine is None else state_value(rule, rule.machine.start)


def trace_rule(model: object, rule: Rule, inputs, timesteps: int | None = None) -> RuleTrace:
    """Run a rule's network on one input and record every intermediate value, as :func:`trace_addition` does.

    ``inputs`` is what the rule reads: a tuple of numbers (``(50, 18)``) or a bracket string. ``timesteps``
    defaults to what the rule needs (``rule.columns_needed``). Raises ``ValueError`` with the rule's message for an
    input outside its domain, and when the network reads another number of bits per column than the rule.
    """
    weights: RNNWeights = as_weights(model)
    if weights.input_width != rule.input_width:
        raise ValueError(
            f"{rule.label} reads {rule.input_width} bit(s) per column; this network reads {weights.input_width}."
        )
    if not isinstance(inputs, str):
        inputs = tuple(inputs)
    input_bits, target_bits = rule.encode(inputs, timesteps)  # (T, W), (T,)
    state_out = rule_states(rule, input_bits[None])[0]
    state_in = np.concatenate([[start_value(rule)], state_out[:-1]])
    return RuleTrace(
        rule=rule,
        inputs=inputs,
        input_bits=read_only(input_bits),
        target_bits=read_only(target_bits),
        state_in=read_only(state_in),
        state_out=read_only(state_out),
        **network_run(weights, input_bits, target_bits),
    )
