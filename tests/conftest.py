"""Shared fixtures. The shipped model is loaded once per test session."""

from __future__ import annotations

import pytest

from explainer import load_model
from explainer.network import RNNWeights


@pytest.fixture(scope="session")
def shipped_model():
    return load_model()


@pytest.fixture(scope="session")
def shipped_weights(shipped_model) -> RNNWeights:
    return RNNWeights.from_model(shipped_model)
