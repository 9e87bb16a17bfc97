"""``python -m explainer.verify``: prove the network adds at every length, or show the shortest sum it gets wrong.

    python -m explainer.verify --model assets/model-long.keras [--time-limit 30] [--certificate PATH]
    python -m explainer.verify --check PATH --model assets/model-long.keras

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
    parser.add_argument("--model", required=True, help="a .keras file of the adder's architecture")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, help="seconds (default 30)")
    parser.add_argument(
        "--max-pieces",
        type=int,
        help="a work budget for the proof search (pieces checked per block length), the same on any machine",
    )
    parser.add_argument("--certificate", help="where to write the certificate when proved")
    parser.add_argument("--check", metavar="CERTIFICATE", help="re-check this certificate instead of searching")
    arguments = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
