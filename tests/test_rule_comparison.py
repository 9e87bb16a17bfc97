"""The shipped "Compare the rules" (assets/rules/comparison.json) is what working it out gives for the shipped
networks, and the page reads it only for exactly those networks."""

from __future__ import annotations

import json

import pytest

from explainer.analysis import rule_comparison
from explainer.analysis.rule_comparison import COMPARISON_PATH, comparison_record, read_comparison
from explainer.analysis.shipped_analyses import computing_afresh
from explainer.files.keras_file import load_weights, rule_model_path
from explainer.rules import RULES


def _shipped(name: str):
    return load_weights(rule_model_path(name), RULES[name].input_width)


@pytest.fixture(scope="module")
def shipped_fingerprints() -> dict[str, str]:
    return {name: _shipped(name).fingerprint for name in RULES}


def test_the_shipped_comparison_is_what_working_it_out_gives():
    shipped = json.loads(COMPARISON_PATH.read_text(encoding="utf-8"))
    with computing_afresh():  # not from the shipped analyses: worked out by the code as it is
        record = comparison_record(_shipped)
    assert json.loads(json.dumps(record)) == shipped  # rerun `python -m explainer.analysis.shipped_analyses`


def test_it_is_read_only_for_the_networks_it_was_worked_out_for(shipped_fingerprints, tmp_path, monkeypatch):
    assert read_comparison(shipped_fingerprints)["fingerprints"] == shipped_fingerprints
    other = {**shipped_fingerprints, "subtraction": "0123456789abcdef"}
    assert read_comparison(other) is None
    missing = dict(shipped_fingerprints)
    del missing["brackets"]
    assert read_comparison(missing) is None
    monkeypatch.setattr(rule_comparison, "COMPARISON_PATH", tmp_path / "comparison.json")
    assert read_comparison(shipped_fingerprints) is None  # no file
    (tmp_path / "comparison.json").write_text("{not json", encoding="utf-8")
    assert read_comparison(shipped_fingerprints) is None


def test_the_page_uses_the_shipped_comparison_without_working_it_out(monkeypatch):
    from ui import rule_insight

    def refuse(*_args, **_kwargs):
        raise AssertionError("worked out again although the shipped comparison is about these networks")

    monkeypatch.setattr(rule_insight, "comparison_record", refuse)
    rows, record = rule_insight.compare_rows(proved=lambda name: f"proved? {name}")
    assert [row["rule"] for row in rows] == [rule.label for rule in RULES.values()]
    assert [row["proved"] for row in rows] == [f"proved? {name}" for name in RULES]
    assert record["needed"] == {name: rule.minimal_state_count for name, rule in RULES.items() if rule.machine}
