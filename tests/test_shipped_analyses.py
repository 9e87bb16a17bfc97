"""The shipped analyses (assets/rules/<rule>.analyses.npz) are what working them out gives for the shipped networks,
a stale file (its network remade, the command not rerun) fails here, and the page reads a file only for exactly
the network it was worked out for."""

from __future__ import annotations

import dataclasses
import json
import math
import zipfile

import numpy as np
import pytest

from explainer.analysis import rule_insight, shipped_analyses
from explainer.analysis.shipped_analyses import (
    analyses_of,
    analyses_path,
    computing_afresh,
    encode,
    read_file,
    shipped_result,
)
from explainer.analysis.state_probe import state_probe
from explainer.files.keras_file import load_weights, rule_model_path
from explainer.model.network import RNNWeights
from explainer.rules import RULES

RERUN = "rerun `python -m explainer.analysis.shipped_analyses` (README: the shipped networks' analyses)"


def _shipped(name: str) -> RNNWeights:
    return load_weights(rule_model_path(name), RULES[name].input_width)


def assert_same(shipped: object, computed: object, where: str) -> None:
    """Equal field by field; floats and float arrays to 1e-7 (a BLAS with other threads may round otherwise)."""
    assert type(shipped) is type(computed), where
    if isinstance(computed, np.ndarray):
        assert shipped.shape == computed.shape and shipped.dtype == computed.dtype, where
        if np.issubdtype(computed.dtype, np.floating):
            np.testing.assert_allclose(shipped, computed, rtol=1e-7, atol=1e-9, equal_nan=True, err_msg=where)
        else:
            np.testing.assert_array_equal(shipped, computed, err_msg=where)
    elif dataclasses.is_dataclass(computed):
        for field in dataclasses.fields(computed):
            assert_same(getattr(shipped, field.name), getattr(computed, field.name), f"{where}.{field.name}")
    elif isinstance(computed, tuple | list):
        assert len(shipped) == len(computed), where
        for index, (left, right) in enumerate(zip(shipped, computed, strict=True)):
            assert_same(left, right, f"{where}[{index}]")
    elif isinstance(computed, dict):
        assert list(shipped) == list(computed), where
        for key in computed:
            assert_same(shipped[key], computed[key], f"{where}[{key!r}]")
    elif isinstance(computed, float):
        assert (math.isnan(shipped) and math.isnan(computed)) or math.isclose(shipped, computed, rel_tol=1e-7), where
    else:
        assert shipped == computed, where


@pytest.mark.parametrize("name", list(RULES))
def test_each_file_is_about_the_shipped_network_and_holds_every_analysis(name):
    record = read_file(analyses_path(name))
    assert record is not None, f"{analyses_path(name)} is missing or unreadable: {RERUN}"
    assert record["fingerprint"] == _shipped(name).fingerprint, f"{name}'s network changed since its file: {RERUN}"
    assert record["rule"] == name
    assert set(record["entries"]) == set(analyses_of(name)), RERUN
    # np.savez_compressed dates every member 1980-01-01 (zipfile's default), not the time of writing: the same
    # analyses make the same bytes, so rerunning the command on unchanged networks leaves git clean.
    with zipfile.ZipFile(analyses_path(name)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}, RERUN


# Worked out again below for one rule only: the extracted machine (k-means for k = 2, 3, … until a table writes the
# network's bits: 7–17 s each on a loaded 2-core machine, ~45% of the whole). The other rules' machines are checked
# through their rows of comparison.json (states, same machine or not) by tests/test_rule_comparison.py.
MACHINE_RECOMPUTED_FOR = "subtraction"


def test_working_the_analyses_out_again_gives_what_is_shipped():
    """Every analysis of every rule (the k-state probe a rule's first page reads, and each view's), the extracted
    machine for :data:`MACHINE_RECOMPUTED_FOR` only: ~30 s of one core, ~70 s on a loaded 2-core machine."""
    for name in RULES:
        weights = _shipped(name)
        for key, compute in analyses_of(name).items():
            if key.startswith("rule_machine_comparison:") and name != MACHINE_RECOMPUTED_FOR:
                continue
            shipped = compute(weights)  # read from the file
            with computing_afresh():
                computed = compute(weights)
            assert shipped is not computed, key
            assert_same(shipped, computed, key)


def test_a_shipped_network_is_read_and_any_other_worked_out():
    weights = _shipped("three_numbers")
    rule_insight.rule_correctness.cache_clear()
    assert rule_insight.rule_correctness(weights, "three_numbers").exact > 0.99
    assert len(rule_insight.rule_correctness.cache) == 0  # read, not worked out (262,144 triples)
    state_probe.cache_clear()
    probe = state_probe(weights, RULES["three_numbers"])
    assert len(state_probe.cache) == 0 and probe.held_out_accuracy > 0.9
    # Another network (one weight moved a little): not in any file, so worked out and cached.
    moved = np.array(weights.output_weights)
    moved[0, 0] += 1e-3
    other = RNNWeights(weights.input_weights, weights.recurrent_weights, moved)
    assert shipped_result(other.fingerprint, "state_probe", "three_numbers") is None
    state_probe(other, RULES["three_numbers"])
    assert len(state_probe.cache) == 1
    # Arguments other than the defaults are worked out too.
    rule_insight.rule_state_space.cache_clear()
    rule_insight.rule_state_space(weights, "three_numbers", max_points=50)
    assert len(rule_insight.rule_state_space.cache) == 1
    with computing_afresh():
        assert shipped_result(weights.fingerprint, "state_probe", "three_numbers") is None


@pytest.fixture
def other_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(shipped_analyses, "ANALYSES_DIR", tmp_path)
    shipped_analyses._decoded.cache_clear()
    yield tmp_path
    shipped_analyses._index.cache_clear()
    shipped_analyses._decoded.cache_clear()


def _write(path, record: dict, arrays: dict | None = None) -> None:
    with path.open("wb") as file:
        np.savez_compressed(file, record=np.array(json.dumps(record)), **(arrays or {}))


def test_a_damaged_or_foreign_file_is_never_read(other_directory):
    weights = _shipped("subtraction")
    arrays: dict = {}
    key = "rule_accuracy_by_length:subtraction"
    good = {"format": 1, "rule": "subtraction", "fingerprint": weights.fingerprint, "entries": {}}
    good["entries"][key] = encode(rule_insight.rule_accuracy_by_length(weights, "subtraction"), arrays, key)
    _write(other_directory / "subtraction.analyses.npz", good, arrays)
    shipped_analyses._index.cache_clear()  # it read the directory while it was empty (encoding worked it out)
    assert shipped_result(weights.fingerprint, "rule_accuracy_by_length", "subtraction") is not None
    cases = {
        "another format": {**good, "format": 99},
        "a type not on the list": {**good, "entries": {key: {"dataclass": "Popen", "fields": {"args": "ls"}}}},
        "another network": {**good, "fingerprint": "0123456789abcdef"},
    }
    for case, record in cases.items():
        shipped_analyses._index.cache_clear()
        shipped_analyses._decoded.cache_clear()
        _write(other_directory / "subtraction.analyses.npz", record, arrays)
        assert shipped_result(weights.fingerprint, "rule_accuracy_by_length", "subtraction") is None, case
    shipped_analyses._index.cache_clear()
    (other_directory / "subtraction.analyses.npz").write_bytes(b"not a zip")
    assert shipped_result(weights.fingerprint, "rule_accuracy_by_length", "subtraction") is None
    shipped_analyses._index.cache_clear()


def test_a_rule_page_and_its_first_view_work_nothing_out_for_a_shipped_network():
    """What kept a rule's cold start above addition's (the probe's fit) and its views slow is read, not worked out."""
    from streamlit.testing.v1 import AppTest

    from explainer.paths import PROJECT_ROOT

    computed = (state_probe, rule_insight.rule_state_space, rule_insight.state_readout)
    for function in computed:
        function.cache_clear()
    app = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=90)
    app.query_params.update({"rule": "three_numbers", "a": "5", "b": "6", "c": "7", "section": "what-did-it-learn"})
    app.run()
    assert not app.exception, app.exception
    assert any("probe reads" in caption.value for caption in app.caption)  # the probe's row was drawn
    assert any("straight-line readout" in metric.label for metric in app.metric)  # the state space view
    assert [len(function.cache) for function in computed] == [0, 0, 0]
