"""The ``fast`` recipe's gradient steps in numpy: the RNN equation, backpropagation through time, Keras's Adam.

The network is three matrices (``W_x (W, H)``, ``W_h (H, H)``, ``W_o (H, 1)``, no biases) and a batch is 32
inputs of at most 10 columns, so a step is a few hundred small array operations. Keras's ``train_on_batch`` spends
most of a step in its own overhead (~1.3 ms in one compiled TensorFlow loop, ~5 ms per call; bench/README.md) and
tracing a compiled loop costs ~1–2 s once per run; numpy does the same step without either. The forward pass is
:func:`explainer.model.network.forward` itself; the maths is the binary cross-entropy of its output (each column's
term weighted by its loss weight, the sum divided by the batch's columns, as Keras's ``BinaryCrossentropy`` with
``sample_weight``) and Keras 3's Adam update (β₁ 0.9, β₂ 0.999, ε 1e-7). ``tests/test_rule_training.py`` checks
one step against Keras's on the same batch.
"""

from __future__ import annotations

import numpy as np

from explainer.model.network import RNNWeights, forward

BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # keras.optimizers.Adam's defaults


class AdamSteps:
    """Adam steps on the network's three weight matrices, held here as float64 arrays between steps.

    ``weights`` are ``[W_x, W_h, W_o]`` (``model.get_weights()``'s order for :func:`build_model`'s network).
    """

    def __init__(self, weights: list[np.ndarray], learning_rate: float):
        self.weights = [np.array(matrix, dtype=np.float64) for matrix in weights]
        self.learning_rate = float(learning_rate)
        self.first_moments = [np.zeros_like(matrix) for matrix in self.weights]
        self.second_moments = [np.zeros_like(matrix) for matrix in self.weights]
        self.iterations = 0

    def gradients(self, inputs: np.ndarray, targets: np.ndarray, loss_weights: np.ndarray):
        """``(loss, [dW_x, dW_h, dW_o], probability (B, T))`` for ``inputs (B, T, W)``, ``targets (B, T, 1)``,
        ``loss_weights (B, T)``."""
        input_weights, recurrent_weights, output_weights = self.weights
        count, columns, _ = inputs.shape
        run = forward(RNNWeights(input_weights, recurrent_weights, output_weights), inputs)  # the page's equation
        hidden, logit, probability = run.hidden, run.output_logit, run.output_probability  # (B, T, H), (B, T), (B, T)
        target = targets[..., 0]
        # −[y log σ(z) + (1 − y) log(1 − σ(z))] = softplus(z) − y z, written so exp never overflows
        terms = np.maximum(logit, 0) - logit * target + np.log1p(np.exp(-np.abs(logit)))
        scale = loss_weights / (count * columns)  # (B, T): Keras's mean over the batch's columns
        loss = float((terms * scale).sum())
        logit_gradient = (probability - target) * scale  # (B, T)
        output_gradient = np.einsum("bth,bt->h", hidden, logit_gradient)[:, None]  # (H, 1)
        hidden_gradient = logit_gradient[..., None] * output_weights[:, 0]  # (B, T, H): through the output
        input_gradient = np.zeros_like(input_weights)
        recurrent_gradient = np.zeros_like(recurrent_weights)
        carried = np.zeros((count, recurrent_weights.shape[0]))  # ∂loss/∂h_t through h_{t+1}
        for column in reversed(range(columns)):
            current = hidden[:, column]
            preactivation_gradient = (hidden_gradient[:, column] + carried) * current * (1.0 - current)  # (B, H)
            input_gradient += inputs[:, column].T @ preactivation_gradient
            if column > 0:
                recurrent_gradient += hidden[:, column - 1].T @ preactivation_gradient
            carried = preactivation_gradient @ recurrent_weights.T
        return loss, [input_gradient, recurrent_gradient, output_gradient], probability

    def step(self, inputs: np.ndarray, targets: np.ndarray, loss_weights: np.ndarray) -> tuple[float, float]:
        """One Adam step on one batch; returns its loss and the blog's overall error (the sum of |y − p| over an
        input's columns, averaged over the batch), both before the step, as ``train_on_batch`` reports them."""
        loss, gradients, probability = self.gradients(inputs, targets, loss_weights)
        self.iterations += 1
        alpha = self.learning_rate * np.sqrt(1.0 - BETA_2**self.iterations) / (1.0 - BETA_1**self.iterations)
        for matrix, gradient, first, second in zip(
            self.weights, gradients, self.first_moments, self.second_moments, strict=True
        ):
            first += (gradient - first) * (1.0 - BETA_1)
            second += (gradient * gradient - second) * (1.0 - BETA_2)
            matrix -= first * alpha / (np.sqrt(second) + EPSILON)
        return loss, float(np.abs(targets[..., 0] - probability).sum(axis=1).mean())
