"""The guards both model-file readers apply: weights whose sums could overflow float64 are refused, and so are
weights that read another number of bits per column than the rule they are loaded for."""

from __future__ import annotations

import numpy as np

from explainer.model.network import RNNWeights

# Sums whose bound stays under this cannot overflow float64 however they are rounded: a sum of n terms is off by at
# most n·ε of the sum of their magnitudes (n ≤ a few hundred, ε = 2⁻⁵²), far inside the factor of 4 left here.
LARGEST_SAFE_BOUND = float(np.finfo(np.float64).max) / 4


def require_finite_sums(weights: RNNWeights) -> None:
    """Refuse weights whose sums overflow: every value finite is not enough (±1e308 + ±1e308 is ±inf, and
    inf − inf is NaN, which then breaks the probe's least squares and every chart).

    Inputs are bits and states lie in [0, 1] (sigmoids, or ablated units held in [0, 1]), so no pre-activation
    can exceed a unit's Σ|W_x| + Σ|W_h| and no logit Σ|W_o|. If those bounds are finite with room to spare
    (``LARGEST_SAFE_BOUND``), nothing overflows at any length, on any pair: every state, pre-activation, logit and
    probability is finite. A bound rather than a forward pass, because a pass covers only the pairs it runs and
    the bound covers every pair at every length. Raises ``ValueError`` saying so.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        bound = np.abs(weights.input_weights).sum(axis=0) + np.abs(weights.recurrent_weights).sum(axis=0)
        output_bound = np.abs(weights.output_weights).sum()
        if not (np.all(bound <= LARGEST_SAFE_BOUND) and output_bound <= LARGEST_SAFE_BOUND):  # NaN fails too
            arrays = (weights.input_weights, weights.recurrent_weights, weights.output_weights)
            largest = max(float(np.abs(array).max()) for array in arrays)
            raise ValueError(
                f"These weights are so large (up to {largest:.3g}) that the network's sums overflow to infinity; "
                "no analysis can run on them."
            )


def require_input_width(weights: RNNWeights, input_width: int = 2) -> None:
    """Refuse weights that read another number of bits per column than ``input_width`` (2: addition's a and b).

    A network for another rule (:mod:`explainer.rules`) has the same layers but a ``W_x`` of 1 or 3 rows; loaded
    as addition's it would fail deep inside the first forward pass. Raises ``ValueError`` saying which it is.
    """
    if weights.input_width != input_width:
        raise ValueError(
            f"This network reads {weights.input_width} bit(s) per column (input_weights has "
            f"{weights.input_width} row(s)); here it must read {input_width}, as addition reads a and b."
        )
