"""``python -m explainer.verify``: prove the network adds at every length, or show the shortest sum it gets wrong.

    python -m explainer.verify --model assets/model-long.keras [--time-limit 30] [--certificate PATH]
    python -m explainer.verify --check PATH --model assets/model-long.keras
    python -m explainer.verify --rule subtraction [--model assets/rules/subtraction.keras] [--time-limit 120]

With ``--rule`` (a finite rule of :mod:`explainer.rules`; addition by default) the network is held to the rule's
machine; the model defaults to the rule's shipped network, and the verdict is written beside the model
(``assets/rules/<name>.verdict.json``, and ``.certificate.json`` when proved).

The last line of standard output is one JSON object. Bad arguments exit with status 2 and a message;
``--check`` exits 0 only when every step of the certificate holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from explainer.files.keras_file import ModelFileError, file_sha256, load_weights
from explainer.verify.run import verify_weights

DEFAULT_TIME_LIMIT = 30.0
DEFAULT_RULE_TIME_LIMIT = 120.0  # a rule's shipped verdict: a third for counterexamples, the boxes, a bounded proof


def default_certificate_path(model_path: str) -> Path:
    """``assets/model-long.keras`` → ``assets/model-long.certificate.json``."""
    return Path(model_path).with_suffix(".certificate.json")


def verify(
    model_path: str,
    time_limit: float = DEFAULT_TIME_LIMIT,
    certificate_path: str | None = None,
    max_pieces: int | None = None,
) -> dict:
    """Everything the command prints, as a dict. Raises ModelFileError for a bad model file.

    ``max_pieces`` bounds the proof search's work (per block length) independently of the clock.
    """
    weights = load_weights(model_path)
    sha = file_sha256(model_path)
    path = Path(certificate_path) if certificate_path else default_certificate_path(model_path)
    return verify_weights(
        weights, time_limit, path, model_sha256=sha, max_pieces=max_pieces, result={"model": str(model_path)}
    )


def verify_rule(
    rule_name: str, model_path: str | None = None, time_limit: float = DEFAULT_RULE_TIME_LIMIT, max_pieces=None
) -> dict:
    """A finite rule's verdict on a model file (the rule's shipped network by default), written beside it.

    Raises ValueError for a rule with no finite machine, ModelFileError for a bad model file.
    """
    from explainer.files.keras_file import rule_model_path, write_json_atomically
    from explainer.verify.rule_property import finite_rule
    from explainer.verify.verdict import certificate_file_path, verdict_file_path

    rule = finite_rule(rule_name)
    path = Path(model_path) if model_path is not None else rule_model_path(rule.name)
    weights = load_weights(path, input_width=rule.input_width)
    outcome = verify_weights(
        weights,
        time_limit,
        certificate_file_path(path),
        model_sha256=file_sha256(path),
        max_pieces=max_pieces,
        result={"model": _shown_path(path)},
        rule=rule,
    )
    outcome["time_limit"] = time_limit
    if "certificate" in outcome:  # the shipped verdict names it as in the checkout, not this machine's path
        outcome["certificate"] = _shown_path(Path(outcome["certificate"]))
    write_json_atomically(verdict_file_path(path), outcome)
    return outcome


def _shown_path(path: Path) -> str:
    """``assets/rules/subtraction.keras`` for a file in the checkout (as addition's verdicts name theirs)."""
    from explainer.paths import PROJECT_ROOT

    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def check_rule(rule_name: str, certificate_path: str, model_path: str | None = None) -> dict:
    """Re-check a rule's certificate against a model file (the rule's shipped network by default)."""
    from explainer.files.keras_file import rule_model_path
    from explainer.verify.certificate import check_rule_certificate, load_certificate
    from explainer.verify.rule_property import finite_rule, rule_tables

    started = time.perf_counter()
    rule = finite_rule(rule_name)
    path = Path(model_path) if model_path is not None else rule_model_path(rule.name)
    weights = load_weights(path, input_width=rule.input_width)
    try:
        document = load_certificate(certificate_path)
    except (OSError, ValueError) as error:
        return {"valid": False, "reason": f"cannot read the certificate {certificate_path}: {error}"}
    result = check_rule_certificate(document, weights, rule.name, rule_tables(rule), file_sha256(path))
    return {
        **result.as_dict(),
        "rule": rule.name,
        "certificate": str(certificate_path),
        "model": str(path),
        "seconds": round(time.perf_counter() - started, 3),
    }


def check(certificate_path: str, model_path: str) -> dict:
    """Re-check a certificate against a model file with the separate checker."""
    from explainer.verify.certificate import check_certificate, load_certificate

    started = time.perf_counter()
    weights = load_weights(model_path)
    try:
        document = load_certificate(certificate_path)
    except (OSError, ValueError) as error:
        return {"valid": False, "reason": f"cannot read the certificate {certificate_path}: {error}"}
    result = check_certificate(document, weights, file_sha256(model_path))
    return {
        **result.as_dict(),
        "certificate": str(certificate_path),
        "model": str(model_path),
        "seconds": round(time.perf_counter() - started, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m explainer.verify",
        description="Prove that the network adds correctly at every length, or find the shortest sum it gets wrong.",
    )
    parser.add_argument("--model", help="a .keras file of the adder's architecture (a rule's: its shipped network)")
    parser.add_argument(
        "--rule", default="addition", help="the rule to hold the network to (default addition): " + _rule_names()
    )
    parser.add_argument("--time-limit", type=float, help="seconds (default 30; 120 for a rule other than addition)")
    parser.add_argument(
        "--max-pieces",
        type=int,
        help="a work budget for the proof search (pieces checked per block length), the same on any machine",
    )
    parser.add_argument("--certificate", help="where to write the certificate when proved")
    parser.add_argument("--check", metavar="CERTIFICATE", help="re-check this certificate instead of searching")
    arguments = parser.parse_args(argv)
    if arguments.rule != "addition":
        return _rule_main(parser, arguments)
    if arguments.model is None:
        parser.error("the following arguments are required: --model")
    if arguments.time_limit is None:
        arguments.time_limit = DEFAULT_TIME_LIMIT
    if not math.isfinite(arguments.time_limit) or arguments.time_limit <= 0:
        parser.error(f"--time-limit must be a positive number of seconds; got {arguments.time_limit}.")
    if arguments.max_pieces is not None and arguments.max_pieces < 1:
        parser.error(f"--max-pieces must be a positive whole number; got {arguments.max_pieces}.")
    if arguments.check is not None and arguments.certificate is not None:
        parser.error("--certificate names where to write a new certificate; it cannot be used with --check.")
    try:
        if arguments.check is not None:
            if not Path(arguments.check).is_file():
                parser.error(f"the certificate {arguments.check} does not exist.")
            outcome = check(arguments.check, arguments.model)
            print(json.dumps(outcome), flush=True)
            return 0 if outcome["valid"] else 1
        outcome = verify(arguments.model, arguments.time_limit, arguments.certificate, arguments.max_pieces)
    except ModelFileError as error:
        parser.error(str(error))
    print(json.dumps(outcome), flush=True)
    return 0


def _rule_names() -> str:
    from explainer.rules import FINITE_RULES

    return ", ".join(FINITE_RULES)


def _rule_main(parser: argparse.ArgumentParser, arguments) -> int:
    """``--rule NAME`` for a rule other than addition: verify and write the verdict, or ``--check`` a certificate."""
    from explainer.verify.rule_property import finite_rule

    try:
        finite_rule(arguments.rule)
    except ValueError as error:
        parser.error(str(error))
    limit = DEFAULT_RULE_TIME_LIMIT if arguments.time_limit is None else arguments.time_limit
    if not math.isfinite(limit) or limit <= 0:
        parser.error(f"--time-limit must be a positive number of seconds; got {limit}.")
    if arguments.max_pieces is not None and arguments.max_pieces < 1:
        parser.error(f"--max-pieces must be a positive whole number; got {arguments.max_pieces}.")
    if arguments.certificate is not None:
        parser.error("a rule's certificate is written beside its model (<model>.certificate.json).")
    try:
        if arguments.check is not None:
            if not Path(arguments.check).is_file():
                parser.error(f"the certificate {arguments.check} does not exist.")
            outcome = check_rule(arguments.rule, arguments.check, arguments.model)
            print(json.dumps(outcome), flush=True)
            return 0 if outcome["valid"] else 1
        outcome = verify_rule(arguments.rule, arguments.model, limit, arguments.max_pieces)
    except ModelFileError as error:
        parser.error(str(error))
    print(json.dumps(outcome), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
