"""Working out every shipped rule network's analyses before a visitor asks for them (issue 26; opt-in:
``ADDITION_UNFOLDED_WARM_RULES=1``, :mod:`explainer.serving.settings`).

Worked out, a rule's "What did it learn?" views take from a fraction of a second to ~30 s each (the extracted
machine runs k-means for up to 48 cluster counts; three numbers' correctness map runs 262,144 triples), and "Compare
the rules" needs several of them for every rule (~90 s in all on a loaded 2-core machine: ``bench/README.md``). The
shipped networks' are shipped (:mod:`explainer.analysis.shipped_analyses`), so with up-to-date files this only
reads them; it matters when a file is stale (a network remade, the command not rerun). Every
one of them is cached per network in a single-flight :class:`~explainer.byte_cache.ByteCache`, so computing them
once, in a background thread of the server, fills the very caches the page reads; a visitor who asks while a
computation is under way waits for that one instead of starting another.

:func:`warm_up_tasks` lists the work in the order a visitor most likely meets it: the k-state probe each rule's page
draws first, each rule's first view (its state space), then what "Compare the rules" needs, then the other views.
Numpy only; nothing here imports streamlit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from explainer.analysis.rule_insight import (
    rule_ablation,
    rule_accuracy_by_length,
    rule_correctness,
    rule_depth_accuracy,
    rule_machine_comparison,
    rule_state_space,
    rule_transplant,
    state_readout,
)
from explainer.analysis.state_probe import state_probe
from explainer.model.network import RNNWeights
from explainer.rules import RULES


@dataclass(frozen=True)
class WarmUpTask:
    """One analysis of one rule's shipped network: ``run()`` computes it into its cache (or finds it there)."""

    rule: str
    analysis: str
    run: Callable[[], object]


def warm_up_tasks(weights_of: Callable[[str], RNNWeights], rules: tuple[str, ...] = tuple(RULES)) -> list[WarmUpTask]:
    """Every cached analysis the rule pages and "Compare the rules" read, for each of ``rules``' shipped networks
    (``weights_of(name)``), in the order a visitor meets them. Addition's own page has its own analyses and is left
    out of the first two rounds (its rule page is the addition page)."""

    def task(name: str, analysis: str, function: Callable, *arguments) -> WarmUpTask:
        return WarmUpTask(name, analysis, lambda: function(weights_of(name), *arguments))

    others = [name for name in rules if name != "addition"]
    tasks = [task(name, "probe", state_probe, RULES[name]) for name in others]
    for name in rules:
        tasks += [task(name, "state space", rule_state_space, name), task(name, "readout", state_readout, name)]
    for name in rules:  # what "Compare the rules" reads of every rule
        tasks.append(task(name, "transplant", rule_transplant, name))
        if RULES[name].machine is None:
            tasks.append(task(name, "depth accuracy", rule_depth_accuracy))
        else:
            tasks += [
                task(name, "extracted machine", rule_machine_comparison, name),
                task(name, "correctness", rule_correctness, name),
            ]
    for name in rules:
        tasks += [task(name, "ablation", rule_ablation, name), task(name, "length", rule_accuracy_by_length, name)]
    return tasks


@dataclass
class WarmUp:
    """The progress of one pass over :func:`warm_up_tasks` (read by the page; written by the one thread)."""

    total: int
    done: int = 0
    running: str = ""  # "rule: analysis" under way, "" when none
    seconds: list[tuple[str, float]] = field(default_factory=list)  # (task, wall seconds) as each finished
    failed: list[tuple[str, str]] = field(default_factory=list)  # (task, error) for a task that raised
    finished: threading.Event = field(default_factory=threading.Event)


def warm_up(tasks: list[WarmUpTask], progress: WarmUp, stop: threading.Event | None = None) -> WarmUp:
    """Run ``tasks`` in turn, recording each in ``progress``; stops early once ``stop`` is set. A task that raises
    is recorded and skipped: the view that needs it computes it again when asked, and shows its own error."""
    try:
        for task in tasks:
            if stop is not None and stop.is_set():
                break
            name = f"{task.rule}: {task.analysis}"
            progress.running = name
            started = time.perf_counter()
            try:
                task.run()
            except Exception as error:  # recorded; the view that needs it computes it again and shows its own error
                progress.failed.append((name, f"{type(error).__name__}: {error}"))
            progress.seconds.append((name, time.perf_counter() - started))
            progress.done += 1
    finally:
        progress.running = ""
        progress.finished.set()
    return progress
