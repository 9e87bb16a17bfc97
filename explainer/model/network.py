"""The seed's network, in Keras and written out in numpy.

    h_t = σ(x_t · W_x + h_{t-1} · W_h)        x_t: (W,)  W_x: (W, H)  W_h: (H, H)  h_{-1} = 0
    o_t = σ(h_t · W_o)                        W_o: (H, 1)

No biases anywhere, exactly as in the blog: with H = 16 that is 2·16 + 16·16 + 16·1 = 304 weights. Addition
reads W = 2 bits per column (a bit of a, a bit of b); the other rules (:mod:`explainer.rules`) read 1, 2 or 3.
The numpy version is what the page draws from (it exposes the pre-activation split that Keras hides);
``tests/test_trace.py`` proves it equals Keras's own hidden states and outputs.

Keras is imported only inside the functions that build or read a Keras model. The page never needs it:
once ``keras`` is in ``sys.modules``, Streamlit calls ``keras.backend.clear_session()`` (a full garbage
collection, ~200 ms here) after every rerun of every session, and importing TensorFlow costs ~2 s.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import keras

    from explainer.model.ablation import Ablation

# TensorFlow's C++ start-up chatter (no GPU found, CPU features) is not for users; real failures still raise.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

DEFAULT_HIDDEN_UNITS = 16
MAX_HIDDEN_UNITS = 64
# Bits per column: one number (times three, divisibility, brackets), two (addition) or three.
INPUT_WIDTHS = (1, 2, 3)


def build_model(
    hidden_units: int = DEFAULT_HIDDEN_UNITS, input_width: int = 2, name: str = "binary_adder"
) -> keras.Model:
    """The seed's architecture: ``SimpleRNN(H, sigmoid, no bias)`` then a per-timestep ``Dense(1)``.

    The input shape is ``(None, W)`` (W = ``input_width`` bits per column, 2 for addition) so one model runs on
    any number of timesteps. A plain ``Dense`` on the 3-D tensor ``(batch, T, H)`` applies the same weights at
    every timestep, which is what the blog's ``TimeDistributed(Dense)`` did, without Keras 3's failure when
    ``T`` changes between calls.
    """
    import keras

    if isinstance(hidden_units, bool) or not isinstance(hidden_units, int):
        raise ValueError(f"hidden_units must be an int; got {hidden_units!r}.")
    if not 1 <= hidden_units <= MAX_HIDDEN_UNITS:
        raise ValueError(f"hidden_units must be between 1 and {MAX_HIDDEN_UNITS}; got {hidden_units}.")
    if input_width not in INPUT_WIDTHS:
        raise ValueError(f"input_width must be one of {INPUT_WIDTHS} bits per column; got {input_width!r}.")
    inputs = keras.Input(shape=(None, input_width), name="bits")  # (batch, T, W)
    hidden = keras.layers.SimpleRNN(
        hidden_units, activation="sigmoid", use_bias=False, return_sequences=True, name="rnn"
    )(inputs)  # (batch, T, H)
    outputs = keras.layers.Dense(1, activation="sigmoid", use_bias=False, name="output")(hidden)  # (batch, T, 1)
    return keras.Model(inputs, outputs, name=name)


@dataclass(frozen=True, eq=False)
class RNNWeights:
    """The three weight matrices as read-only float64 arrays: ``W_x (W, H)``, ``W_h (H, H)``, ``W_o (H, 1)``.

    W is the bits per column (2 for addition, 1–3 for other rules).

    Equality and hashing go by ``fingerprint`` (a digest of the values), so a set of weights can key a
    cache: every analysis of the same network is computed once.
    """

    input_weights: np.ndarray
    recurrent_weights: np.ndarray
    output_weights: np.ndarray
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        for field_name in ("input_weights", "recurrent_weights", "output_weights"):
            object.__setattr__(self, field_name, read_only(getattr(self, field_name), np.float64))
        hidden_units = self.input_weights.shape[-1] if self.input_weights.ndim == 2 else -1
        input_width = self.input_weights.shape[0] if self.input_weights.ndim == 2 else -1
        expected = {
            "input_weights": (input_width if input_width in INPUT_WIDTHS else 2, hidden_units),
            "recurrent_weights": (hidden_units, hidden_units),
            "output_weights": (hidden_units, 1),
        }
        for field_name, shape in expected.items():
            actual = getattr(self, field_name).shape
            if actual != shape or not 1 <= hidden_units <= MAX_HIDDEN_UNITS:
                raise ValueError(
                    f"{field_name} has shape {actual}; expected W×H, H×H and H×1 with W in 1–3 "
                    f"(2 for addition) and H in 1–{MAX_HIDDEN_UNITS}."
                )
            if not np.isfinite(getattr(self, field_name)).all():
                raise ValueError(f"{field_name} contains NaN or infinite values.")
        digest = hashlib.sha256()
        for array in (self.input_weights, self.recurrent_weights, self.output_weights):
            digest.update(str(array.shape).encode())
            digest.update(array.tobytes())
        object.__setattr__(self, "fingerprint", digest.hexdigest()[:16])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RNNWeights) and other.fingerprint == self.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    @property
    def hidden_units(self) -> int:
        return self.input_weights.shape[1]

    @property
    def input_width(self) -> int:
        """W: the bits the network reads per column (2 for addition)."""
        return self.input_weights.shape[0]

    @classmethod
    def from_model(cls, model: keras.Model) -> RNNWeights:
        """Read the weights out of a Keras model built by :func:`build_model`."""
        input_weights, recurrent_weights = model.get_layer("rnn").get_weights()
        (output_weights,) = model.get_layer("output").get_weights()
        return cls(input_weights, recurrent_weights, output_weights)

    def to_model(self) -> keras.Model:
        """A fresh Keras model carrying these weights (for saving or downloading)."""
        model = build_model(self.hidden_units, self.input_width)
        model.get_layer("rnn").set_weights([self.input_weights, self.recurrent_weights])
        model.get_layer("output").set_weights([self.output_weights])
        return model


def as_weights(model_or_weights: keras.Model | RNNWeights) -> RNNWeights:
    """Accept either a Keras model or :class:`RNNWeights`, so callers need not care which they hold."""
    if isinstance(model_or_weights, RNNWeights):
        return model_or_weights
    # Only a program that imported Keras can hold a Keras model, so there is no need to import it here.
    keras_module = sys.modules.get("keras")
    if keras_module is not None and isinstance(model_or_weights, keras_module.Model):
        return RNNWeights.from_model(model_or_weights)
    raise ValueError(f"expected a Keras model or RNNWeights; got {type(model_or_weights).__name__}.")


def read_only(array: object, dtype: type | None = None) -> np.ndarray:
    """A private, frozen copy of ``array``: whoever holds it (a cache, another session) cannot change it."""
    copy = np.array(array, dtype=dtype)
    copy.setflags(write=False)
    return copy


def sigmoid(values: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^{−x}), computed as σ(|x|) and 1 − σ(|x|) for negative x so exp never overflows.

    One exp and in-place passes over one array: the same bits as ``np.where`` over both branches with less work
    (the interchange table steps ~10⁶ states through it).
    """
    values = np.asarray(values)
    if not np.issubdtype(values.dtype, np.floating):
        values = values.astype(np.float64)
    result = np.asarray(np.exp(-np.abs(values)))  # (…) e^{−|x|}
    result += 1.0
    np.reciprocal(result, out=result)  # σ(|x|)
    np.subtract(1.0, result, out=result, where=values < 0)  # σ(x) = 1 − σ(|x|) for x < 0
    return result


def activate(preactivation: np.ndarray, ablation: Ablation | None = None) -> np.ndarray:
    """``h_t = σ(preactivation)``, then the units an ``ablation`` holds replaced by their values.

    The one place the hidden activation (and ablation) is written: :func:`forward` and the all-pairs
    analyses both step through it, so they cannot drift apart.
    """
    current = sigmoid(preactivation)
    if ablation is not None:
        mask, values = ablation.mask_and_values()
        current = np.where(mask, values, current)
    return current


def check_ablation(weights: RNNWeights, ablation: Ablation | None) -> None:
    """Raise ``ValueError`` if ``ablation`` was made for a network of another size."""
    if ablation is not None and ablation.hidden_units != weights.hidden_units:
        raise ValueError(
            f"the ablation is for {ablation.hidden_units} units, but this network has "
            f"units 0–{weights.hidden_units - 1}."
        )


@dataclass(frozen=True)
class ForwardPass:
    """Everything one batched forward pass computes. N pairs, T timesteps, H hidden units."""

    hidden: np.ndarray  # (N, T, H)   h_t
    input_part: np.ndarray  # (N, T, H)   x_t · W_x
    recurrent_part: np.ndarray  # (N, T, H)   h_{t-1} · W_h
    output_logit: np.ndarray  # (N, T)   z_t = h_t · W_o
    output_probability: np.ndarray  # (N, T)   o_t = σ(z_t)


def output_logit(weights: RNNWeights, hidden: np.ndarray) -> np.ndarray:
    """The output logit ``z_t = h_t · W_o`` for hidden states ``(…, H)`` → ``(…)``; ``o_t = σ(z_t)``."""
    return (np.asarray(hidden) @ weights.output_weights)[..., 0]


def forward(
    weights: RNNWeights,
    inputs: np.ndarray,
    ablation: Ablation | None = None,
    initial_state: np.ndarray | None = None,
) -> ForwardPass:
    """Run the RNN equation in numpy on ``inputs`` of shape ``(N, T, W)`` (W = ``weights.input_width``, 2 for sums).

    An ``ablation`` replaces the units it holds by their values after every step, before ``h_t`` feeds the
    next step and the output: this is how units are ablated. ``initial_state`` ``(N, H)`` stands in for
    ``h_{-1} = 0`` (as Keras's ``initial_state``): an interchange intervention runs on from a patched state.
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    if inputs.ndim != 3 or inputs.shape[2] != weights.input_width:
        raise ValueError(f"inputs must have shape (N, T, {weights.input_width}); got {inputs.shape}.")
    check_ablation(weights, ablation)
    count, timesteps, _ = inputs.shape
    units = weights.hidden_units
    input_part = inputs @ weights.input_weights  # (N, T, H): does not depend on the state
    recurrent_part = np.empty((count, timesteps, units))
    hidden = np.empty((count, timesteps, units))
    if initial_state is None:
        previous = np.zeros((count, units))  # h_{-1} = 0, as in Keras
    else:
        previous = np.asarray(initial_state, dtype=np.float64)
        if previous.shape != (count, units):
            raise ValueError(f"initial_state must have shape ({count}, {units}); got {previous.shape}.")
    for step in range(timesteps):
        recurrent_part[:, step] = previous @ weights.recurrent_weights
        current = activate(input_part[:, step] + recurrent_part[:, step], ablation)
        hidden[:, step] = current
        previous = current
    logit = output_logit(weights, hidden)  # (N, T)
    return ForwardPass(hidden, input_part, recurrent_part, logit, sigmoid(logit))
