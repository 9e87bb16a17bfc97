"""The verifier's verdict on a network, for the page: read beside a shipped model, or computed under a budget.

``python -m explainer.verify`` (``explainer/verify/``) proves that a network adds at every length or finds a
sum it gets wrong. The page needs that answer for

- the two shipped networks: precomputed, one JSON file beside each model (:func:`verdict_file_path`), written by

      python -m explainer.verify.verdict --model assets/model.keras
      python -m explainer.verify.verdict --model assets/model-long.keras

  which runs the verifier (the same ``verify`` as the command line) and writes its JSON object, so a page
  view costs a file read, not a proof search;
- a network trained or uploaded in the page: :func:`verdict_in_child` runs the same search on the weights in
  a child process (the search is Python loops over numpy, which would hold the page process's GIL for
  seconds and stall every other visitor), under a time limit and the verifier's memory bound
  (:mod:`explainer.verify.memory`: ~0.3 GB of peak RSS whatever network is uploaded), at most
  :data:`MAX_VERIFIER_CHILDREN` at once per server process.

A :class:`Verdict` is what the page shows; it is parsed from the verifier's JSON, so the two paths agree.
A finite rule's verdict (:mod:`explainer.rules`) stays the verifier's JSON object: :func:`shipped_rule_verdict`
reads the one beside the rule's shipped network (written by ``python -m explainer.verify --rule NAME``) and
:func:`rule_verdict_in_child` computes one for other weights, in the same kind of child process.
Nothing here imports streamlit or Keras.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from explainer.byte_cache import ByteCache
from explainer.files.keras_file import (
    LONG_MODEL_PATH,
    SHIPPED_MODEL_PATH,
    load_weights,
    page_model_path,
    rule_model_path,
    write_json_atomically,
)
from explainer.files.npz_file import weights_from_npz_bytes, weights_to_npz_bytes
from explainer.model.network import RNNWeights
from explainer.paths import PROJECT_ROOT
from explainer.wording import plural

PAGE_TIME_LIMIT = 10.0  # seconds of search for a network made in the page (the verifier's own limit)
CHILD_GRACE = 20.0  # on top of the limit: starting Python and numpy, writing the answer, a loaded machine
MAX_VERIFIER_CHILDREN = 2  # per server process: each is one busy core for up to PAGE_TIME_LIMIT seconds
_children = threading.BoundedSemaphore(MAX_VERIFIER_CHILDREN)


def verdict_file_path(model_path: str | os.PathLike) -> Path:
    """``assets/model.keras`` → ``assets/model.verdict.json``: where a model's precomputed verdict lives."""
    return Path(model_path).with_suffix(".verdict.json")


def certificate_file_path(model_path: str | os.PathLike) -> Path:
    """``assets/model-long.keras`` → ``assets/model-long.certificate.json`` (the verifier's default)."""
    return Path(model_path).with_suffix(".certificate.json")


@dataclass(frozen=True)
class Verdict:
    """What the verifier concluded about one network (``fingerprint``), in the page's terms.

    ``kind`` is "proved", "counterexample" or "unknown". A counterexample is ``(a, b, columns)`` with the sum
    the network wrote over those columns; ``no_counterexample_below`` is the bounded proof (every input of
    fewer columns is proved right). ``certificate`` is the certificate document when proved (its boxes and
    transitions are the abstract states the page draws), else ``None``.
    """

    kind: str
    fingerprint: str
    property: str
    seconds: float
    source: str  # how the page got it: "precomputed" or "computed in the page"
    counterexample: dict | None = None
    no_counterexample_below: int | None = None
    bounded_proof: str = ""
    tried: tuple[str, ...] = ()
    certificate: dict | None = None

    @property
    def headline(self) -> str:
        """The verdict in one line: "Proved for every length" / "Wrong from N columns on: a + b" / "Unknown"."""
        if self.kind == "proved":
            return "Proved for every length"
        if self.kind == "counterexample":
            example = self.counterexample
            return f"Wrong from {plural(example['columns'], 'column')} on: {example['a']} + {example['b']}"
        return "Unknown: neither proved nor refuted in the time limit"

    @property
    def short(self) -> str:
        """For other views' captions: "proved for every length" / "wrong from 17 columns on (1 + 65534)"."""
        if self.kind == "proved":
            return "proved for every length"
        if self.kind == "counterexample":
            example = self.counterexample
            return f"wrong from {example['columns']} columns on ({example['a']} + {example['b']})"
        return "not settled (the verifier ran out of time)"

    @property
    def bounded_proof_reaches_counterexample(self) -> bool:
        """Whether "no input of fewer columns fails" is proved right up to the counterexample's length."""
        return (
            self.kind == "counterexample"
            and self.no_counterexample_below is not None
            and self.no_counterexample_below >= self.counterexample["columns"]
        )


def verdict_from_json(document: dict, source: str, certificate: dict | None = None) -> Verdict:
    """A :class:`Verdict` from the verifier's JSON object. Raises ``ValueError`` if it is not one."""
    kind = document.get("verdict")
    if kind not in ("proved", "counterexample", "unknown") or not isinstance(document.get("fingerprint"), str):
        raise ValueError("not a verdict of python -m explainer.verify (no verdict or fingerprint).")
    counterexample = document.get("counterexample") if kind == "counterexample" else None
    if kind == "counterexample" and not (
        isinstance(counterexample, dict)
        and all(isinstance(counterexample.get(name), int) for name in ("a", "b", "columns", "network_sum"))
    ):
        raise ValueError("a counterexample verdict must name a, b, columns and network_sum.")
    below = document.get("no_counterexample_below")
    return Verdict(
        kind=kind,
        fingerprint=document["fingerprint"],
        property=str(document.get("property", "")),
        seconds=float(document.get("seconds", 0.0)),
        source=source,
        counterexample=counterexample,
        no_counterexample_below=below if isinstance(below, int) else None,
        bounded_proof=str(document.get("bounded_proof", "")),
        tried=tuple(str(item) for item in document.get("tried", ())),
        certificate=certificate if kind == "proved" else None,
    )


def read_verdict_file(model_path: str | os.PathLike, weights: RNNWeights) -> Verdict | None:
    """The precomputed verdict beside ``model_path``, if there is one for exactly these weights.

    A missing, unreadable or stale file (other weights' fingerprint) gives ``None``: the page then computes it.
    A "proved" verdict comes with the certificate beside the model, re-checked here by the verifier's separate
    checker (~0.1 s, once per server process when the caller caches it); without a valid one it is ``None``.
    """
    try:
        document = json.loads(verdict_file_path(model_path).read_text())
        verdict = verdict_from_json(document, "precomputed")
    except (OSError, ValueError):
        return None
    if verdict.fingerprint != weights.fingerprint:
        return None
    if verdict.kind != "proved":
        return verdict
    from explainer.verify.certificate import check_certificate, load_certificate

    try:
        certificate = load_certificate(certificate_file_path(model_path))
    except (OSError, ValueError):
        return None
    if not check_certificate(certificate, weights).valid:
        return None
    return verdict_from_json(document, "precomputed", certificate)


def _verdict_document(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def precomputed_counterexample(weights: RNNWeights) -> dict | None:
    """The counterexample in a verdict file beside the page's model or the long-sums model, if one is about
    exactly ``weights`` (its fingerprint); ``None`` when no such file names one (proved, unknown, or not ours).

    Reads only the JSON (no certificate check): a proved network has no counterexample to show either way.
    """
    for model_path in (page_model_path(), LONG_MODEL_PATH):
        document = _verdict_document(verdict_file_path(model_path))
        if document is None or document.get("fingerprint") != weights.fingerprint:
            continue
        try:
            verdict = verdict_from_json(document, "precomputed")
        except ValueError:
            continue
        return verdict.counterexample
    return None


@dataclass(frozen=True)
class BreakingSum:
    """The one sum the page shows as "where it breaks" (the preset, tour stop 6, "Any length"'s mark).

    It is the verifier's counterexample: this network's own when its verdict names one (``own`` is True), else
    the shipped network's (assets/model.verdict.json), so a network the verifier proves right, such as the
    long-sums one, is shown the sum the first network gets wrong. ``columns`` is the counterexample's column
    count (it may include leading zero columns, where the mistake is).
    """

    a: int
    b: int
    columns: int
    own: bool


def breaking_sum(weights: RNNWeights, verdict: Verdict | None = None) -> BreakingSum | None:
    """The verifier's counterexample for ``weights`` (``verdict`` if the caller knows it, else a precomputed
    file about these weights), else the shipped network's; ``None`` when no verdict file names one."""
    example = verdict.counterexample if verdict is not None else precomputed_counterexample(weights)
    own = example is not None
    if example is None:
        document = _verdict_document(verdict_file_path(SHIPPED_MODEL_PATH))
        try:
            shipped = verdict_from_json(document, "precomputed") if document is not None else None
        except ValueError:
            shipped = None
        example = shipped.counterexample if shipped is not None else None
    if example is None:
        return None
    return BreakingSum(int(example["a"]), int(example["b"]), int(example["columns"]), own)


CHILD_FAILED = "the verifier's process did not finish with an answer"


def _verifier_child(
    weights: RNNWeights, time_limit: float, extra: tuple[str, ...] = ()
) -> tuple[dict | None, dict | None, float]:
    """Run :func:`verify_weights` in a child process (``python -m explainer.verify.verdict --child``).

    Waits for one of :data:`MAX_VERIFIER_CHILDREN` slots. Returns the child's JSON object (``None`` if it died or
    overran), the certificate it wrote when proved, and the wall time.
    """
    with _children, tempfile.TemporaryDirectory(prefix="addition-verify-") as folder:
        certificate_path = Path(folder) / "certificate.json"
        command = [
            sys.executable,
            "-m",
            "explainer.verify.verdict",
            "--child",
            "--time-limit",
            str(time_limit),
            "--certificate",
            str(certificate_path),
            *extra,
        ]
        started = time.perf_counter()
        try:
            finished = subprocess.run(
                command,
                input=weights_to_npz_bytes(weights),
                capture_output=True,
                timeout=time_limit + CHILD_GRACE,
                cwd=PROJECT_ROOT,
                check=False,
            )
            lines = finished.stdout.decode(errors="replace").strip().splitlines()
            document = json.loads(lines[-1]) if finished.returncode == 0 and lines else None
        except (subprocess.TimeoutExpired, ValueError):
            document = None
        certificate = None
        if document is not None and document.get("verdict") == "proved":
            certificate = json.loads(certificate_path.read_text())
        return document, certificate, round(time.perf_counter() - started, 3)


def verdict_in_child(weights: RNNWeights, time_limit: float = PAGE_TIME_LIMIT) -> Verdict:
    """The verdict on ``weights`` computed in a child process (:func:`_verifier_child`).

    A child that dies or overruns gives an "unknown" verdict saying so; nothing raises for a network the
    verifier cannot handle.
    """
    document, certificate, seconds = _verifier_child(weights, time_limit)
    if document is None:
        return Verdict(
            kind="unknown",
            fingerprint=weights.fingerprint,
            property="",
            seconds=seconds,
            source="computed in the page",
            tried=(CHILD_FAILED,),
        )
    return verdict_from_json(document, "computed in the page", certificate)


def rule_verdict_in_child(weights: RNNWeights, rule_name: str, time_limit: float = PAGE_TIME_LIMIT) -> dict:
    """A finite rule's verdict on ``weights`` (the verifier's JSON object, ``"certificate"`` holding the document
    when proved), computed in a child process like :func:`verdict_in_child`, under the same bounds."""
    document, certificate, seconds = _verifier_child(weights, time_limit, ("--rule", rule_name))
    if document is None:
        return {
            "fingerprint": weights.fingerprint,
            "rule": rule_name,
            "verdict": "unknown",
            "tried": [CHILD_FAILED],
            "seconds": seconds,
        }
    return {**document, "certificate": certificate, "source": "computed in the page"}


def shipped_rule_verdict(name: str) -> dict | None:
    """What the verifier proved about rule ``name``'s shipped network: its JSON object from
    ``assets/rules/<name>.verdict.json`` (``"verdict"``: "proved", "counterexample" with the shortest failing input
    found, or "unknown" with a bounded proof), with ``"certificate"`` holding the re-checked certificate document
    when proved. ``None`` when none is shipped for these weights: no such rule or file, a rule with no finite
    machine, a verdict about other weights, or a proof whose certificate the separate checker does not accept.
    """
    from explainer.rules import RULES

    rule = RULES.get(name) if isinstance(name, str) else None
    if rule is None or rule.machine is None:
        return None
    model_path = rule_model_path(name)
    document = _verdict_document(verdict_file_path(model_path))
    if document is None or document.get("verdict") not in ("proved", "counterexample", "unknown"):
        return None
    try:
        weights = load_weights(model_path, input_width=rule.input_width)
    except Exception:  # a missing or damaged model file: there is no verdict about it to show
        return None
    if document.get("fingerprint") != weights.fingerprint or document.get("rule") != name:
        return None
    if document["verdict"] != "proved":
        return {**document, "certificate": None}
    from explainer.verify.certificate import check_rule_certificate, load_certificate
    from explainer.verify.rule_property import rule_tables

    try:
        certificate = load_certificate(certificate_file_path(model_path))
    except (OSError, ValueError):
        return None
    if not check_rule_certificate(certificate, weights, name, rule_tables(rule)).valid:
        return None
    return {**document, "certificate": certificate}


KEPT_VERDICT_BYTES = 16 * 2**20  # a verdict is ~1 kB; a proved one holds its certificate (up to ~400 boxes × H)


class VerdictStore:
    """Verdicts computed in the page, one per network fingerprint, shared by every session of a server process.

    :meth:`get_or_compute` computes a network's verdict once: a second request for the same network while it
    runs waits for that one. :meth:`known` answers without computing (for views that only name the verdict).
    Keeps the most recently used verdicts up to ``max_bytes`` (:class:`explainer.byte_cache.ByteCache`).
    """

    def __init__(self, max_bytes: int = KEPT_VERDICT_BYTES) -> None:
        self.cache = ByteCache(max_bytes)

    def known(self, fingerprint: str) -> Verdict | None:
        return self.cache.get(fingerprint)

    def get_or_compute(self, weights: RNNWeights, compute: Callable[[RNNWeights], Verdict]) -> Verdict:
        return self.cache.get_or_compute(weights.fingerprint, lambda: compute(weights))


def _child(time_limit: float, certificate_path: str, rule_name: str | None = None) -> int:
    from explainer.verify.run import verify_weights

    rule = None
    if rule_name is not None:
        from explainer.verify.rule_property import finite_rule

        rule = finite_rule(rule_name)
    weights = weights_from_npz_bytes(sys.stdin.buffer.read(), input_width=2 if rule is None else rule.input_width)
    outcome = verify_weights(
        weights, time_limit, Path(certificate_path), result={"model": "weights from the page"}, rule=rule
    )
    print(json.dumps(outcome), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m explainer.verify.verdict",
        description="Run the verifier on a model file and write its verdict beside it (<model>.verdict.json).",
    )
    parser.add_argument("--model", help="a .keras file of the adder's architecture")
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds (default 30)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # the page's child: npz on stdin
    parser.add_argument("--certificate", help=argparse.SUPPRESS)
    parser.add_argument("--rule", help=argparse.SUPPRESS)  # the child's rule, other than addition
    arguments = parser.parse_args(argv)
    if not (np.isfinite(arguments.time_limit) and arguments.time_limit > 0):
        parser.error(f"--time-limit must be a positive number of seconds; got {arguments.time_limit}.")
    if arguments.child:
        return _child(arguments.time_limit, arguments.certificate, arguments.rule)
    if arguments.model is None:
        parser.error("--model is required.")
    from explainer.files.keras_file import ModelFileError
    from explainer.verify.__main__ import verify

    try:
        load_weights(arguments.model)
        outcome = verify(arguments.model, arguments.time_limit, str(certificate_file_path(arguments.model)))
    except ModelFileError as error:
        parser.error(str(error))
    write_json_atomically(verdict_file_path(arguments.model), outcome)
    print(json.dumps(outcome), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
