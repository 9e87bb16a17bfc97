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
