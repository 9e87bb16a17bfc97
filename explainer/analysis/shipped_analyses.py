"""Every shipped rule network's analyses, worked out once and shipped (issue 26).

A rule's first page fits its k-state probe, and its "What did it learn?" views, cold, ran k-means for up to 48
cluster counts (the extracted machine) or every input of the exhaustive check (the correctness map): seconds to
~30 s on this machine (``bench/README.md``). For a shipped network they come out the same every time, so

    python -m explainer.analysis.shipped_analyses

works them out for every rule's shipped network and writes ``assets/rules/<rule>.analyses.npz`` (numpy arrays and
one JSON text, read with ``allow_pickle=False``), each with the fingerprint of the network it was worked out for,
then "Compare the rules" (``assets/rules/comparison.json``, :mod:`explainer.analysis.rule_comparison`). It needs
nothing but the shipped networks; run it again whenever a shipped network or an analysis changes.

An analysis function decorated with :func:`shipped` returns the shipped result when it is asked about exactly the
network a file was worked out for (same fingerprint), with its default arguments; any other network (trained in
the page, remade but not yet re-shipped) is worked out as before. ``tests/test_shipped_analyses.py`` fails when a
file's fingerprint is not its network's (a stale file) and recomputes a representative part and compares.
Numpy only; nothing here imports streamlit.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import json
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from explainer.paths import PROJECT_ROOT

ANALYSES_DIR = PROJECT_ROOT / "assets" / "rules"
SUFFIX = ".analyses.npz"
FORMAT = 1  # the layout of a file; a file of another layout is not read
# False inside computing_afresh(): every decorated analysis is worked out, none read from a file.
_READ_SHIPPED = contextvars.ContextVar("read_shipped", default=True)


def analyses_path(rule_name: str, directory: Path | None = None) -> Path:
    """Where the shipped analyses of the rule called ``rule_name`` are."""
    return (ANALYSES_DIR if directory is None else directory) / f"{rule_name}{SUFFIX}"


def entry_key(analysis: str, rule_name: str | None) -> str:
    """The name of one analysis of one rule inside a file: ``"rule_state_space:subtraction"``."""
    return analysis if rule_name is None else f"{analysis}:{rule_name}"


# --- Results as JSON and arrays ----------------------------------------------------------------------------------


@functools.cache
def _result_classes() -> dict[str, type]:
    """The only types a file may name (nothing else is ever built from one)."""
    from explainer.analysis import mealy, rule_accuracy, rule_extraction, rule_insight, state_probe

    classes = (
        mealy.MealyMachine,
        rule_accuracy.DepthAccuracy,
        rule_extraction.RuleMachineComparison,
        rule_insight.LengthRow,
        rule_insight.RuleAblation,
        rule_insight.RuleCorrectness,
        rule_insight.RuleStateSpace,
        rule_insight.RuleTransplant,
        rule_insight.StateReadout,
        state_probe.StateProbe,
    )
    return {cls.__name__: cls for cls in classes}


def encode(value: object, arrays: dict[str, np.ndarray], prefix: str) -> object:
    """``value`` as JSON-able data; its arrays go into ``arrays`` under names starting with ``prefix``."""
    if isinstance(value, np.ndarray):
        name = f"{prefix}#{len(arrays)}"
        arrays[name] = value
        return {"array": name}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {field.name: encode(getattr(value, field.name), arrays, prefix) for field in dataclasses.fields(value)}
        return {"dataclass": type(value).__name__, "fields": fields}
    if isinstance(value, tuple):
        return {"tuple": [encode(item, arrays, prefix) for item in value]}
    if isinstance(value, list):
        return [encode(item, arrays, prefix) for item in value]
    if isinstance(value, dict):
        return {"dict": [[encode(key, arrays, prefix), encode(item, arrays, prefix)] for key, item in value.items()]}
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value)  # JSON keeps a float64 exactly (repr), NaN as NaN
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"cannot ship a {type(value).__name__}")


def decode(data: object, arrays: dict[str, np.ndarray]) -> object:
    """The value :func:`encode` wrote (arrays read-only, as the analyses return them)."""
    if isinstance(data, list):
        return [decode(item, arrays) for item in data]
    if not isinstance(data, dict):
        return data
    if "array" in data:
        array = np.array(arrays[data["array"]])
        array.setflags(write=False)
        return array
    if "tuple" in data:
        return tuple(decode(item, arrays) for item in data["tuple"])
    if "dict" in data:
        return {decode(key, arrays): decode(item, arrays) for key, item in data["dict"]}
    cls = _result_classes()[data["dataclass"]]  # KeyError for a type not on the list: the file is not read
    return cls(**{name: decode(item, arrays) for name, item in data["fields"].items()})


# --- Reading -------------------------------------------------------------------------------------------------------


def read_file(path: Path) -> dict | None:
    """``{"fingerprint", "rule", "entries": {key: encoded}}`` of one file, or None if it is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as members:
            record = json.loads(str(members["record"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return None
    return record


@functools.cache
def _index(directory: Path) -> dict[tuple[str, str], Path]:
    """(fingerprint, entry key) → the file holding it, for every file in ``directory`` (read once per process)."""
    found = {}
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        record = read_file(path)
        if record is not None:
            found.update({(record["fingerprint"], key): path for key in record["entries"]})
    return found


@functools.cache
def _decoded(path: Path, key: str) -> object | None:
    """One shipped entry, decoded once per process (only keys the index holds get here: a bounded set)."""
    record = read_file(path)
    if record is None or key not in record["entries"]:
        return None
    try:
        with np.load(path, allow_pickle=False) as members:
            arrays = {name: members[name] for name in members.files if name.startswith(f"{key}#")}
        return decode(record["entries"][key], arrays)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        return None


def shipped_result(fingerprint: str, analysis: str, rule_name: str | None) -> object | None:
    """The shipped result of ``analysis`` for ``rule_name`` on the network with this fingerprint, or None."""
    if not _READ_SHIPPED.get():
        return None
    key = entry_key(analysis, rule_name)
    path = _index(ANALYSES_DIR).get((fingerprint, key))
    return None if path is None else _decoded(path, key)


def shipped(analysis: str, rule_name: str | None = None) -> Callable[[Callable], Callable]:
    """Make ``function(weights, rule_or_name)`` return the shipped result for a shipped network (its default
    arguments only) and work it out otherwise. ``rule_name`` names the rule of a function that takes only the
    weights (brackets' depth accuracy)."""

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def read_or_compute(weights, *args, **kwargs):
            if not kwargs and len(args) == (0 if rule_name is not None else 1):
                name = rule_name if rule_name is not None else getattr(args[0], "name", args[0])
                found = shipped_result(weights.fingerprint, analysis, name)
                if found is not None:
                    return found
            return function(weights, *args, **kwargs)

        return read_or_compute

    return decorate


@contextlib.contextmanager
def computing_afresh() -> Iterator[None]:
    """Inside, every decorated analysis is worked out (the command, and the tests that compare with the files)."""
    token = _READ_SHIPPED.set(False)
    try:
        yield
    finally:
        _READ_SHIPPED.reset(token)


# --- Working them out ------------------------------------------------------------------------------------------------


def analyses_of(rule_name: str) -> dict[str, Callable]:
    """Every shipped analysis of the rule called ``rule_name``: entry key → ``compute(weights)``. The k-state probe
    is for the rule pages (addition's page has its own carry probe); the machine and the correctness map are for
    finite rules, the depth accuracy for brackets."""
    from explainer.analysis import rule_insight as insight
    from explainer.analysis.state_probe import state_probe
    from explainer.rules import rule_named

    rule = rule_named(rule_name)
    by_name = {
        "rule_state_space": insight.rule_state_space,
        "state_readout": insight.state_readout,
        "rule_ablation": insight.rule_ablation,
        "rule_accuracy_by_length": insight.rule_accuracy_by_length,
        "rule_transplant": insight.rule_transplant,
    }
    if rule.machine is not None:
        by_name["rule_machine_comparison"] = insight.rule_machine_comparison
        by_name["rule_correctness"] = insight.rule_correctness
    computes = {entry_key(name, rule_name): _with_rule(function, rule_name) for name, function in by_name.items()}
    if rule_name != "addition":
        computes[entry_key("state_probe", rule_name)] = _with_rule(state_probe, rule)
    if rule.machine is None:
        computes[entry_key("rule_depth_accuracy", rule_name)] = insight.rule_depth_accuracy
    return computes


def _with_rule(function: Callable, rule) -> Callable:
    return lambda weights: function(weights, rule)


def write_analyses(rule_name: str, weights, directory: Path | None = None) -> Path:
    """Work out every analysis of :func:`analyses_of` for ``weights`` (never read from a file) and write the file."""
    arrays: dict[str, np.ndarray] = {}
    entries = {}
    with computing_afresh():
        for key, compute in analyses_of(rule_name).items():
            entries[key] = encode(compute(weights), arrays, key)
    record = {"format": FORMAT, "rule": rule_name, "fingerprint": weights.fingerprint, "entries": entries}
    path = analyses_path(rule_name, directory)
    with path.open("wb") as file:  # np.savez_compressed on a path would add ".npz" to a name it does not end
        np.savez_compressed(file, record=np.array(json.dumps(record, ensure_ascii=False)), **arrays)
    return path


def main() -> int:
    from explainer.analysis.rule_comparison import write_comparison
    from explainer.files.keras_file import load_weights, rule_model_path
    from explainer.rules import RULES

    def weights_of(name: str):
        return load_weights(rule_model_path(name), RULES[name].input_width)

    for done, name in enumerate(RULES, start=1):
        path = write_analyses(name, weights_of(name))
        print(f"{done}/{len(RULES)} wrote {path.relative_to(PROJECT_ROOT)}", flush=True)
    with computing_afresh():  # from the analyses just worked out (the caches hold them), not from the files
        path = write_comparison(weights_of)
    print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
