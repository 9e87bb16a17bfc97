"""The verifier's steps on a set of weights, in the command line's JSON shape: used by ``python -m
explainer.verify`` (weights from a file) and by the page (weights trained or uploaded there).

A third of the time limit goes to the counterexample search; then either the bounded proof below the
counterexample, or the proof search (boxes closed under 1, then 2, then 3 columns), whose certificate counts
only once the separate checker accepts it.

With a finite ``rule`` (:mod:`explainer.rules`) the same steps hold the network to the rule's minimal machine
instead of written addition (:mod:`explainer.verify.rule_property`).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from explainer.files.keras_file import write_json_atomically
from explainer.model.network import RNNWeights
from explainer.wording import plural


def verify_weights(
    weights: RNNWeights,
    time_limit: float,
    certificate_path: Path,
    model_sha256: str | None = None,
    max_pieces: int | None = None,
    result: dict | None = None,
    rule=None,
) -> dict:
    """Prove ``weights`` right at every length, or find a counterexample with a bounded proof below it.

    Returns the JSON object the command prints; ``result`` holds extra keys to put first (e.g. the model
    file). A proof's certificate is written to ``certificate_path`` (with ``model_sha256`` in it if given).
    ``rule``: a finite rule to hold the network to instead of written addition (its name goes in the result).
    """
    from explainer.verify.property import CARRY, PROPERTY
    from explainer.verify.search import bounded_proof, find_counterexample

    started = time.perf_counter()
    deadline = started + time_limit
    result = {**(result or {}), "fingerprint": weights.fingerprint}
    if model_sha256 is not None:
        result["sha256"] = model_sha256
    machine = CARRY
    if rule is None:
        result["property"] = PROPERTY
        counterexample = find_counterexample(weights, deadline=started + time_limit / 3)
    else:
        from explainer.verify.rule_property import rule_machine, rule_property_text

        machine, _ = rule_machine(rule)
        result = {**result, "rule": rule.name, "property": rule_property_text(rule)}
        # The pattern search gets a quarter of the time, random inputs up to the third.
        counterexample, sampled, pattern_cut = _rule_counterexample(weights, rule, machine, started + time_limit / 4)
    tried = []
    if rule is None:
        pattern_cut = time.perf_counter() > started + time_limit / 3
    cut_short = " (cut short by the time limit)" if pattern_cut else ""
    tried.append("a short prefix of any bits, then up to 96 columns of one pattern, then one more column" + cut_short)
    if rule is not None:
        tried.append(f"{sampled:,} random inputs of {SAMPLED_COLUMNS} columns (seeded; up to {SAMPLED_INPUTS:,})")
    if counterexample is not None:
        # The outputs up to the wrong one: a rule's input may run one column past it (subtraction's a ≥ b).
        failing = counterexample.columns if rule is None else counterexample.wrong_column + 1
        bounded = bounded_proof(weights, failing, deadline=deadline, machine=machine)
        note = (
            "every input of fewer columns is proved right"
            if bounded.no_counterexample_below == failing
            else f"proved only below {bounded.no_counterexample_below} columns ({bounded.stopped_because}); "
            "a shorter counterexample may exist between that and this one"
        )
        return {
            **result,
            "verdict": "counterexample",
            "counterexample": counterexample.as_dict(),
            "no_counterexample_below": bounded.no_counterexample_below,
            "bounded_proof": note,
            "seconds": round(time.perf_counter() - started, 3),
        }
    # A rule keeps the last third for a bounded proof when no invariant closes.
    prove_deadline = deadline if rule is None else started + 2 * time_limit / 3
    document, attempts = prove(weights, model_sha256, prove_deadline, max_pieces=max_pieces, rule=rule)
    tried.extend(attempts)
    if document is not None:
        path: Path | None = Path(certificate_path)
        try:
            write_json_atomically(path, document)
        except OSError as error:  # the proof stands (the checker accepted it in memory); say why there is no file
            result["certificate_error"] = f"could not write {path}: {error}"
            path = None
        return {
            **result,
            "verdict": "proved",
            "certificate": None if path is None else str(path),
            "boxes": len(document["boxes"]),
            "block_columns": document["block_columns"],
            "seconds": round(time.perf_counter() - started, 3),
        }
    if rule is not None:
        bounded = bounded_proof(weights, UNKNOWN_BOUNDED_COLUMNS, deadline=deadline, machine=machine)
        result["no_counterexample_below"] = bounded.no_counterexample_below
        result["bounded_proof"] = (
            f"every input of fewer than {bounded.no_counterexample_below} columns is proved right; "
            f"it stopped there because {bounded.stopped_because}"
        )
    return {**result, "verdict": "unknown", "tried": tried, "seconds": round(time.perf_counter() - started, 3)}


UNKNOWN_BOUNDED_COLUMNS = 129  # a rule's bounded proof, when neither proof nor counterexample came: ≤ 128 columns


def _rule_counterexample(weights, rule, machine, deadline: float):
    """The shortest failure found against the rule's machine (the pattern search until ``deadline``, then random
    inputs for as long again, at least one chunk), confirmed by running the network and by the rule's arithmetic;
    ``None`` if none was found (or it was not confirmed). Also returns how many random inputs were run and whether
    the pattern search was cut short."""
    from explainer.verify.rule_property import confirm_rule_counterexample, prefix_columns_for
    from explainer.verify.search import shortest_failure

    started = time.perf_counter()
    found = shortest_failure(weights, machine, prefix_columns_for(machine.symbols), deadline=deadline)
    cut = time.perf_counter() > deadline
    sampled, count = sampled_failure(weights, machine, deadline=max(deadline, started) + (deadline - started) / 3)
    if sampled is not None and (found is None or sampled[0] < found[0]):
        found = sampled
    return (None if found is None else confirm_rule_counterexample(weights, rule, found[1])), count, cut


SAMPLED_INPUTS = 20_000
SAMPLED_COLUMNS = 128


def sampled_failure(
    weights, machine, seed: int = 0, deadline: float | None = None
) -> tuple[tuple[int, list[int]] | None, int]:
    """The shortest failing prefix among up to :data:`SAMPLED_INPUTS` random inputs of :data:`SAMPLED_COLUMNS`
    columns (seeded: the same every run; chunks of 2,000 until ``deadline``), and how many were run: wider rules
    fail off the attractors that the pattern search follows."""
    from explainer.model.network import forward

    words = np.random.default_rng(seed).integers(0, machine.symbols, size=(SAMPLED_INPUTS, SAMPLED_COLUMNS))
    wrong = np.zeros(words.shape, dtype=bool)
    count = 0
    for start in range(0, len(words), 2_000):
        if start and deadline is not None and time.perf_counter() > deadline:
            break
        part = words[start : start + 2_000]
        written = forward(weights, machine.columns[part].astype(np.float64)).output_probability >= 0.5
        wrong[start : start + 2_000] = written != machine.run(part, machine.start)[0].astype(bool)
        count = start + len(part)
    if not wrong.any():
        return None, count
    first = np.where(wrong.any(axis=1), wrong.argmax(axis=1), SAMPLED_COLUMNS)
    row = int(np.argmin(first))
    return (int(first[row]) + 1, words[row, : first[row] + 1].tolist()), count


def prove(
    weights,
    model_sha256: str | None,
    deadline: float | None,
    blocks=(1, 2, 3),
    max_pieces: int | None = None,
    rule=None,
) -> tuple[dict | None, list[str]]:
    """Search for boxes closed under 1, then 2, then 3 columns; a certificate only once the checker accepts it.

    ``deadline`` (a ``time.perf_counter()`` value, or None) and ``max_pieces`` (pieces per block length, or
    None) bound the search: the second is a work budget, the same on a loaded machine as on an idle one.
    """
    from explainer.verify.certificate import check_certificate, check_rule_certificate
    from explainer.verify.invariant import certificate_document, search_invariant
    from explainer.verify.property import CARRY

    machine, names = CARRY, None
    if rule is not None:
        from explainer.verify.rule_property import rule_machine, rule_tables

        machine, names = rule_machine(rule)
    tried = []
    for block in blocks:
        if deadline is not None and time.perf_counter() > deadline:
            tried.append(f"boxes closed under {plural(block, 'column')}: not tried, the time limit ran out")
            continue
        outcome = search_invariant(weights, block=block, deadline=deadline, max_pieces=max_pieces, machine=machine)
        if outcome.invariant is None:
            tried.append(f"boxes closed under {plural(block, 'column')}: {outcome.reason}")
            continue
        if rule is None:
            document = certificate_document(outcome.invariant, weights, model_sha256, outcome.statistics)
            check = check_certificate(document, weights, model_sha256)
        else:
            document = certificate_document(
                outcome.invariant, weights, model_sha256, outcome.statistics, rule=(rule, machine, names)
            )
            check = check_rule_certificate(document, weights, rule.name, rule_tables(rule), model_sha256)
        if check.valid:
            return document, tried
        tried.append(f"boxes closed under {plural(block, 'column')}, but the checker refused them: {check.reason}")
    return None, tried
