"""The verifier's steps on a set of weights, in the command line's JSON shape: used by ``python -m
explainer.verify`` (weights from a file) and by the page (weights trained or uploaded there).

A third of the time limit goes to the counterexample search; then either the bounded proof below the
counterexample, or the proof search (boxes closed under 1, then 2, then 3 columns), whose certificate counts
only once the separate checker accepts it.
"""

from __future__ import annotations

import time
from pathlib import Path

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
) -> dict:
    """Prove ``weights`` right at every length, or find a counterexample with a bounded proof below it.

    Returns the JSON object the command prints; ``result`` holds extra keys to put first (e.g. the model
    file). A proof's certificate is written to ``certificate_path`` (with ``model_sha256`` in it if given).
    """
    from explainer.verify.property import PROPERTY
    from explainer.verify.search import bounded_proof, find_counterexample

    started = time.perf_counter()
    deadline = started + time_limit
    result = {**(result or {}), "fingerprint": weights.fingerprint}
    if model_sha256 is not None:
        result["sha256"] = model_sha256
    result["property"] = PROPERTY
    tried = []
    counterexample = find_counterexample(weights, deadline=started + time_limit / 3)
    cut_short = " (cut short by the time limit)" if time.perf_counter() > started + time_limit / 3 else ""
    tried.append("a short prefix of any bits, then up to 96 columns of one pattern, then one more column" + cut_short)
    if counterexample is not None:
        bounded = bounded_proof(weights, counterexample.columns, deadline=deadline)
        note = (
            "every input of fewer columns is proved right"
            if bounded.no_counterexample_below == counterexample.columns
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
    document, attempts = prove(weights, model_sha256, deadline, max_pieces=max_pieces)
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
    return {**result, "verdict": "unknown", "tried": tried, "seconds": round(time.perf_counter() - started, 3)}


def prove(
    weights, model_sha256: str | None, deadline: float | None, blocks=(1, 2, 3), max_pieces: int | None = None
) -> tuple[dict | None, list[str]]:
    """Search for boxes closed under 1, then 2, then 3 columns; a certificate only once the checker accepts it.

    ``deadline`` (a ``time.perf_counter()`` value, or None) and ``max_pieces`` (pieces per block length, or
    None) bound the search: the second is a work budget, the same on a loaded machine as on an idle one.
    """
    from explainer.verify.certificate import check_certificate
    from explainer.verify.invariant import certificate_document, search_invariant

    tried = []
    for block in blocks:
        if deadline is not None and time.perf_counter() > deadline:
            tried.append(f"boxes closed under {plural(block, 'column')}: not tried, the time limit ran out")
            continue
        outcome = search_invariant(weights, block=block, deadline=deadline, max_pieces=max_pieces)
        if outcome.invariant is None:
            tried.append(f"boxes closed under {plural(block, 'column')}: {outcome.reason}")
            continue
        document = certificate_document(outcome.invariant, weights, model_sha256, outcome.statistics)
        check = check_certificate(document, weights, model_sha256)
        if check.valid:
            return document, tried
        tried.append(f"boxes closed under {plural(block, 'column')}, but the checker refused them: {check.reason}")
    return None, tried
