"""Zonotopes (affine arithmetic) through the RNN's step, for the search. Plain float64: fast, not rounded.

A set of hidden states is ``centre + generators·ε`` with every ε in [−1, 1]. A step is linear up to the
sigmoid, which is replaced by the DeepZ band: on [l, u], slope λ = min(σ'(l), σ'(u)) (so σ − λ·z is
monotone there), plus a fresh ε whose size covers what the line misses. Correlations between units
survive several steps, which is what boxes lose. The certificate checker redoes this with outward
rounding in its own code; the search only needs to be right often enough to be confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.model.network import RNNWeights, sigmoid


@dataclass
class ZonotopeRun:
    """What ``k`` columns do to N starting boxes. H units, m generators."""

    logit_low: np.ndarray  # (N, k) lower bound of h_t · W_o after each column
    logit_high: np.ndarray  # (N, k)
    hull_low: np.ndarray  # (N, H) interval hull of the states after the last column
    hull_high: np.ndarray  # (N, H)
    sensitivity: np.ndarray  # (N, H) how much each starting unit's width spreads into the hull and logits


def sigmoid_band(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DeepZ: σ(z) ∈ λ·z + offset ± error for z in [low, high]."""
    sigma_low, sigma_high = sigmoid(low), sigmoid(high)
    slope = np.minimum(sigma_low * (1 - sigma_low), sigma_high * (1 - sigma_high))
    bottom = sigma_low - slope * low
    top = sigma_high - slope * high
    return slope, (top + bottom) / 2, (top - bottom) / 2


def run_boxes(weights: RNNWeights, lower: np.ndarray, upper: np.ndarray, inputs: np.ndarray) -> ZonotopeRun:
    """Propagate boxes ``[lower, upper]`` (N, H) through the columns ``inputs`` (N, k, 2)."""
    count, units = lower.shape
    columns = inputs.shape[1]
    diagonal = np.arange(units)
    centre = (lower + upper) / 2
    # Generators: H for the starting box, then H fresh ones per column; filled in place as they appear.
    generators = np.zeros((count, (columns + 1) * units, units))
    generators[:, diagonal, diagonal] = (upper - lower) / 2
    output = weights.output_weights[:, 0]
    input_parts = inputs @ weights.input_weights  # (N, k, H)
    logit_low = np.empty((count, columns))
    logit_high = np.empty((count, columns))
    sensitivity = np.zeros((count, units))
    for column in range(columns):
        used = (column + 1) * units
        pre_centre = centre @ weights.recurrent_weights + input_parts[:, column]
        pre_generators = (generators[:, :used].reshape(-1, units) @ weights.recurrent_weights).reshape(
            count, used, units
        )
        radius = np.abs(pre_generators).sum(axis=1)
        slope, offset, error = sigmoid_band(pre_centre - radius, pre_centre + radius)
        centre = slope * pre_centre + offset
        generators[:, :used] = slope[:, None, :] * pre_generators
        generators[:, used + diagonal, diagonal] = error
        logit_centre = centre @ output
        logit_generators = (generators[:, : used + units].reshape(-1, units) @ output).reshape(count, used + units)
        logit_radius = np.abs(logit_generators).sum(axis=1)
        logit_low[:, column] = logit_centre - logit_radius
        logit_high[:, column] = logit_centre + logit_radius
        sensitivity += np.abs(logit_generators[:, :units])
    radius = np.abs(generators).sum(axis=1)
    sensitivity += np.abs(generators[:, :units]).sum(axis=2)
    return ZonotopeRun(logit_low, logit_high, centre - radius, centre + radius, sensitivity)
