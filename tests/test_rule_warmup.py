"""The server's background work on every shipped rule network's analyses (explainer/analysis/rule_warmup.py,
ui.rule_insight.rule_analyses_warm_up): it fills the very caches the views read, records what failed, stops when
told, and is started once per server only when ``ADDITION_UNFOLDED_WARM_RULES`` allows it."""

from __future__ import annotations

import threading

import pytest

from explainer.analysis.rule_insight import (
    rule_correctness,
    rule_depth_accuracy,
    rule_machine_comparison,
    rule_state_space,
    rule_transplant,
    state_readout,
)
from explainer.analysis.rule_warmup import WarmUp, WarmUpTask, warm_up, warm_up_tasks
from explainer.analysis.shipped_analyses import computing_afresh
from explainer.analysis.state_probe import state_probe
from explainer.files.keras_file import load_weights, rule_model_path
from explainer.rules import RULES, rule_named
from explainer.serving.settings import WARM_RULES_VARIABLE, SettingsError, warm_rules


def shipped(name: str):
    return load_weights(rule_model_path(name), rule_named(name).input_width)


def cached(function, *arguments) -> bool:
    return function.cache.get((arguments, ()), None) is not None


def test_every_rule_gets_each_analysis_its_views_and_the_comparison_read_probes_first():
    tasks = warm_up_tasks(shipped)
    done = {(task.rule, task.analysis) for task in tasks}
    assert len(done) == len(tasks)  # nothing twice
    for name, rule in RULES.items():
        needed = {"state space", "readout", "transplant", "ablation", "length"}
        needed |= {"depth accuracy"} if rule.machine is None else {"extracted machine", "correctness"}
        needed |= set() if name == "addition" else {"probe"}  # addition's page has its own carry probe
        assert {analysis for rule_name, analysis in done if rule_name == name} == needed, name
    probes = [index for index, task in enumerate(tasks) if task.analysis == "probe"]
    assert probes == list(range(len(RULES) - 1))  # what a rule page's first view waits for, first


def test_the_work_fills_the_caches_the_page_reads():
    names = ("subtraction", "brackets")
    with computing_afresh():  # as when the shipped analyses are stale: up to date, they are read, not cached
        progress = warm_up(warm_up_tasks(shipped, names), WarmUp(total=0))
    assert progress.failed == [] and progress.finished.is_set() and progress.running == ""
    assert progress.done == len(progress.seconds) == len(warm_up_tasks(shipped, names))
    for name in names:
        weights = shipped(name)  # loaded again: the same fingerprint, so the same entries
        assert cached(state_probe, weights, RULES[name])
        assert cached(rule_state_space, weights, name) and cached(state_readout, weights, name)
        assert cached(rule_transplant, weights, name)
    assert cached(rule_machine_comparison, shipped("subtraction"), "subtraction")
    assert cached(rule_correctness, shipped("subtraction"), "subtraction")
    assert cached(rule_depth_accuracy, shipped("brackets"))


def test_a_task_that_raises_is_recorded_and_the_rest_still_run_and_a_stop_is_honoured():
    ran = []

    def broken():
        raise ValueError("no such network")

    tasks = [WarmUpTask("x", "broken", broken), WarmUpTask("x", "fine", lambda: ran.append(1))]
    progress = warm_up(tasks, WarmUp(total=2))
    assert progress.failed == [("x: broken", "ValueError: no such network")] and ran == [1] and progress.done == 2
    stop = threading.Event()
    stop.set()
    stopped = warm_up([WarmUpTask("x", "fine", lambda: ran.append(2))], WarmUp(total=1), stop)
    assert ran == [1] and stopped.done == 0 and stopped.finished.is_set()


@pytest.mark.parametrize(("value", "expected"), [("", False), ("0", False), ("1", True), (" 1 ", True)])
def test_the_setting_is_off_unless_it_says_1(value, expected):
    assert warm_rules({WARM_RULES_VARIABLE: value}) is expected
    assert warm_rules({}) is False


@pytest.mark.parametrize("value", ["yes", "2", "off", "true"])
def test_a_setting_other_than_0_or_1_is_refused_with_what_is_allowed(value):
    with pytest.raises(SettingsError, match=r"must be 0 .* or 1"):
        warm_rules({WARM_RULES_VARIABLE: value})


def test_the_page_starts_it_once_per_server_only_when_allowed(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from explainer.paths import PROJECT_ROOT
    from ui import rule_insight

    started = []
    monkeypatch.setattr(rule_insight, "_start_in_background", lambda tasks, progress: started.append(progress))
    rule_insight.rule_analyses_warm_up.clear()
    try:
        app = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=60)
        app.query_params["rule"] = "subtraction"
        app.run()
        assert not app.exception and started == []  # off (the default, and tests/conftest.py)
        rule_insight.rule_analyses_warm_up.clear()
        monkeypatch.setenv(WARM_RULES_VARIABLE, "1")
        app.run()
        app.run()
        assert not app.exception and len(started) == 1
        assert started[0].total == len(warm_up_tasks(shipped)) and started[0].done == 0
    finally:
        rule_insight.rule_analyses_warm_up.clear()
