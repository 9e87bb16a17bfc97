"""Shared fixtures. The shipped model is loaded once per test session."""

from __future__ import annotations

import os

import pytest

from explainer import load_model
from explainer.model.network import RNNWeights
from explainer.serving.settings import WARM_RULES_VARIABLE

# The server's background work on every rule's analyses (explainer/analysis/rule_warmup.py) stays off in the tests
# and the servers they start, whatever the environment says: each test that needs an analysis computes it, and no
# thread competes with a test's timings. tests/test_rule_warmup.py turns it on where it is the subject.
os.environ[WARM_RULES_VARIABLE] = "0"


@pytest.fixture(scope="session")
def shipped_model():
    return load_model()


@pytest.fixture(scope="session")
def shipped_weights(shipped_model) -> RNNWeights:
    return RNNWeights.from_model(shipped_model)


# The browser tests' real server and Chromium: one of each per test module that asks (module scope), imported
# lazily so that modules without a browser never import Playwright.
@pytest.fixture(scope="module")
def server_url():
    from tests.support.browser import streamlit_server, wait_until_healthy

    with streamlit_server() as (url, process):
        wait_until_healthy(url, process)
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    from tests.support.browser import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def pytest_terminal_summary(terminalreporter):
    """Say how many bad-input cases the corpus tests tried, and the load test's latencies (the issues ask)."""
    from tests.support.counting import CASES_TRIED
    from tests.support.sessions import LOAD_REPORT

    if LOAD_REPORT:
        terminalreporter.section("load test: latency per session wait")
        for line in LOAD_REPORT:
            terminalreporter.write_line(line)
    if CASES_TRIED:
        terminalreporter.section("bad-input corpus")
        for kind, count in sorted(CASES_TRIED.items()):
            terminalreporter.write_line(f"{kind}: {count} cases")
        terminalreporter.write_line(f"total: {sum(CASES_TRIED.values())} cases")
