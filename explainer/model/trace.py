"""One addition, step by step: everything the page draws for a single pair."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from explainer.model.encoding import add_column, bits_to_int, encode_pair, timesteps_for, validate_operand
from explainer.model.network import RNNWeights, as_weights, forward, read_only

if TYPE_CHECKING:
    from explainer.model.ablation import Ablation


@dataclass(frozen=True)
class AdditionTrace:
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
    def true_sum(self) -> int:
        return self.a + self.b

    @property
    def timesteps(self) -> int:
        return int(self.input_bits.shape[0])

    @property
    def hidden_units(self) -> int:
        return int(self.hidden.shape[1])

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
    result = forward(weights, input_bits[None], ablation)
    probability = result.output_probability[0]
    predicted_bits = (probability >= 0.5).astype(np.int8)
    carry_in, carry_out = carries(input_bits)
    return AdditionTrace(
        a=a,
        b=b,
        input_bits=read_only(input_bits),
        carry_in=read_only(carry_in),
        carry_out=read_only(carry_out),
        sum_bits=read_only(sum_bits),
        hidden=read_only(result.hidden[0]),
        input_part=read_only(result.input_part[0]),
        recurrent_part=read_only(result.recurrent_part[0]),
        output_logit=read_only(result.output_logit[0]),
        output_probability=read_only(probability),
        predicted_bits=read_only(predicted_bits),
        correct=read_only(predicted_bits == sum_bits),
        predicted_sum=bits_to_int(predicted_bits),
        ablation=ablation,
    )
