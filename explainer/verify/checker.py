"""Re-check a certificate with outward-rounded arithmetic. Small on purpose, and apart from the search.

It shares nothing with the search but weight loading: its own words, carries, zonotope step and sigmoid
band. Every float64 operation is followed by an explicit bound on its rounding error (dot products
widen by γ_n·Σ|a_i||b_i| with γ_n = n·u/(1 − n·u), u = 2**-53; exp and sigmoid by a few ulps), and
every such error is added to the fresh generator of its unit, so the sets it computes contain the real
(exact-arithmetic) sets. A certificate is valid only if every check holds.
"""

from __future__ import annotations

import numpy as np

FORMAT = "explainer.verify certificate 1"
RULE_FORMAT = "explainer.verify rule certificate 1"  # boxes labelled by a rule's machine state (certificate.py)
UNIT_ROUNDOFF = 2.0**-53
TINY = 1e-300  # covers underflow in any sum of products here
SIGMOID_ULPS = 8 * UNIT_ROUNDOFF  # numpy's exp and one division, with room to spare


def gamma(count: int) -> float:
    return count * UNIT_ROUNDOFF / (1 - count * UNIT_ROUNDOFF)


def up(values):
    return np.nextafter(values, np.inf)


def down(values):
    return np.nextafter(values, -np.inf)


def product_bound(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """An upper bound on the rounding error of the float product a @ b (last axis of a, first of b)."""
    return up(gamma(a.shape[-1] + 1) * (np.abs(a) @ np.abs(b)) + TINY)


def sigmoid_band(low: np.ndarray, high: np.ndarray):
    """σ(z) ∈ slope·z + offset ± error for every z in [low, high], error rounded up.

    slope ≤ min(σ'(low), σ'(high)) keeps σ(z) − slope·z nondecreasing on [low, high] (σ' is unimodal),
    so it lies between its values at the two ends; these are computed, then widened outwards.
    """
    with np.errstate(over="ignore"):  # exp(800) = inf gives σ = 0 or 1 exactly, which is right
        sig_low, sig_high = 1.0 / (1.0 + np.exp(-low)), 1.0 / (1.0 + np.exp(-high))
        # σ'(z) = σ(z)·σ(−z), each factor computed without cancellation, so only a few ulps off
        derivative = np.minimum(sig_low / (1.0 + np.exp(low)), sig_high / (1.0 + np.exp(high)))
    slope = np.maximum(derivative * (1 - 1e-6) - 1e-12, 0.0)  # safely below the true minimum slope
    bottom = down(
        sig_low - SIGMOID_ULPS * (1 + np.abs(sig_low)) - slope * low - 4 * UNIT_ROUNDOFF * np.abs(slope * low) - TINY
    )
    top = up(
        sig_high
        + SIGMOID_ULPS * (1 + np.abs(sig_high))
        - slope * high
        + 4 * UNIT_ROUNDOFF * np.abs(slope * high)
        + TINY
    )
    offset = (top + bottom) / 2
    error = up(np.maximum(top - offset, offset - bottom) * (1 + 4 * UNIT_ROUNDOFF) + TINY)
    return slope, offset, error


def propagate(weights, lower: np.ndarray, upper: np.ndarray, inputs: np.ndarray):
    """Sound bounds for N boxes (N, H) over columns (N, k, 2): logit bounds (N, k, 2), final hull (N, H, 2)."""
    count, units = lower.shape
    columns = inputs.shape[1]
    input_w, recurrent_w, output_w = weights.input_weights, weights.recurrent_weights, weights.output_weights[:, 0]
    centre = (lower + upper) / 2
    half = up(np.maximum(upper - centre, centre - lower))
    generators = np.zeros((count, units, units))
    generators[:, np.arange(units), np.arange(units)] = half
    logits = np.empty((count, columns, 2))
    for column in range(columns):
        x = inputs[:, column]
        pre_centre = centre @ recurrent_w + x @ input_w
        slack = product_bound(centre, recurrent_w) + product_bound(x, input_w) + up(UNIT_ROUNDOFF * np.abs(pre_centre))
        pre_generators = generators @ recurrent_w  # (N, m, H)
        slack = slack + product_bound(generators, recurrent_w).sum(axis=1) * (1 + gamma(generators.shape[1]))
        radius = up(np.abs(pre_generators).sum(axis=1) * (1 + gamma(generators.shape[1])) + slack)
        slope, offset, error = sigmoid_band(down(pre_centre - radius), up(pre_centre + radius))
        # The pre-activation is pre_centre + pre_generators·ε + δ with |δ| ≤ slack; σ of it is within
        # slope·(pre_centre + pre_generators·ε) + offset ± (error + slope·slack), plus this line's rounding.
        new_centre = slope * pre_centre + offset
        new_generators = slope[:, None, :] * pre_generators
        rounding = up(
            UNIT_ROUNDOFF * (2 * np.abs(slope * pre_centre) + np.abs(new_centre))
            + UNIT_ROUNDOFF * np.abs(new_generators).sum(axis=1) * (1 + gamma(generators.shape[1]))
        )
        fresh = np.zeros((count, units, units))
        fresh[:, np.arange(units), np.arange(units)] = up(
            error + slope * slack * (1 + 4 * UNIT_ROUNDOFF) + rounding + TINY
        )
        centre, generators = new_centre, np.concatenate([new_generators, fresh], axis=1)
        logits[:, column] = _bounds(centre, generators, output_w[:, None])[..., 0, :]
    hull = _bounds(centre, generators, np.eye(units))
    return logits, hull


def _bounds(centre: np.ndarray, generators: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Outward bounds of (centre + generators·ε) @ matrix: (N, columns of matrix, 2)."""
    value = centre @ matrix
    images = generators @ matrix
    radius = np.abs(images).sum(axis=1)
    slack = (
        product_bound(centre, matrix)
        + product_bound(generators, matrix).sum(axis=1)
        + gamma(generators.shape[1] + 1) * (radius + np.abs(value))
    )
    radius = up(radius + slack + TINY)
    return np.stack([down(value - radius), up(value + radius)], axis=-1)
