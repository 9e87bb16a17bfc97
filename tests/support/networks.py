"""Networks for tests that need weights other than the shipped ones."""

from __future__ import annotations

import numpy as np

from explainer.model.network import RNNWeights


def random_weights(hidden_units: int, seed: int) -> RNNWeights:
    """An untrained network of ``hidden_units`` units with standard-normal weights, the same for a given seed."""
    rng = np.random.default_rng(seed)
    return RNNWeights(
        rng.normal(size=(2, hidden_units)),
        rng.normal(size=(hidden_units, hidden_units)),
        rng.normal(size=(hidden_units, 1)),
    )


def copies_of(weights: RNNWeights, copies: int) -> RNNWeights:
    """``weights`` with every unit repeated ``copies`` times: each copy sees the same pre-activation (W_h is
    tiled and divided by ``copies``), so the wider network computes exactly the same bits with H·copies units."""
    return RNNWeights(
        np.tile(weights.input_weights, (1, copies)),
        np.tile(weights.recurrent_weights, (copies, copies)) / copies,
        np.tile(weights.output_weights, (copies, 1)) / copies,
    )
