"""Training in a child process, for the page: checkpoints stream back as JSON lines.

    python -m explainer.training.worker --recipe fast --seed 0 --hidden-units 16 --learning-rate 0.05 --max-steps 2000
    python -m explainer.training.worker --rule subtraction --recipe fast ...   (another rule; addition unless given)

Why a separate process rather than calling :func:`explainer.training.train.train` in the Streamlit server:
- The server never imports Keras. Once ``keras`` is imported, Streamlit calls ``keras.backend.clear_session()``
  after every rerun of every session (~200 ms of garbage collection each), and that call, made from another
  session's thread, resets Keras's global state under a training run and can break its reproducibility.
- Stop means stop: killing the child ends training at once, wherever it is.
- Each run is seeded in its own process, so two visitors training at once get exactly the runs they asked for.

Protocol: one JSON object per line on stdout. ``{"checkpoint": {...}}`` after every exhaustive check (see
:func:`checkpoint_to_json`), then ``{"done": {...result summary...}}``, or ``{"error": "message"}`` for bad
settings (exit status 2). TensorFlow's own chatter goes to stderr.

A warm worker (``--wait-for-settings``) imports TensorFlow first, says ``{"ready": true}``, then reads one line
of settings as JSON on stdin (see :func:`settings_line`) and trains exactly as above. Starting TensorFlow
costs seconds; a server keeps one such worker waiting so that pressing Train shows a checkpoint at once.
End of input before the settings, or none within ``WARM_IDLE_SECONDS``, means "not needed": it exits 0.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from explainer.model.network import RNNWeights
from explainer.rules import DEFAULT_RULE
from explainer.training.recipes import Checkpoint, TrainingSettings


def checkpoint_to_json(checkpoint: Checkpoint) -> str:
    """A :class:`~explainer.training.recipes.Checkpoint` as one line of JSON.

    Floats are written with Python's shortest round-trip repr, so the weights come back bit for bit.
    """
    weights = checkpoint.weights
    record = {
        "step": int(checkpoint.step),
        "loss": None if math.isnan(checkpoint.loss) else float(checkpoint.loss),
        "exact_accuracy": float(checkpoint.exact_accuracy),
        "bit_accuracy": float(checkpoint.bit_accuracy),
        "train_seconds": float(checkpoint.train_seconds),
        "input_weights": weights.input_weights.tolist(),
        "recurrent_weights": weights.recurrent_weights.tolist(),
        "output_weights": weights.output_weights.tolist(),
    }
    return json.dumps({"checkpoint": record})


def checkpoint_from_record(record: dict) -> Checkpoint:
    """The inverse of :func:`checkpoint_to_json` (given the decoded ``"checkpoint"`` object).

    Raises ``ValueError`` (from :class:`RNNWeights`) if the arrays have the wrong shapes or are not finite.
    """
    return Checkpoint(
        step=int(record["step"]),
        loss=float("nan") if record["loss"] is None else float(record["loss"]),
        exact_accuracy=float(record["exact_accuracy"]),
        bit_accuracy=float(record["bit_accuracy"]),
        train_seconds=float(record["train_seconds"]),
        weights=RNNWeights(record["input_weights"], record["recurrent_weights"], record["output_weights"]),
    )


def worker_command(settings: TrainingSettings) -> list[str]:
    """The argument list that starts a worker with the interpreter running this code (``--rule`` only for a rule
    other than addition, so addition's command is what it always was)."""
    rule = [] if settings.rule == DEFAULT_RULE else ["--rule", settings.rule]
    return [
        sys.executable,
        "-m",
        "explainer.training.worker",
        "--recipe",
        settings.recipe,
        "--seed",
        str(settings.seed),
        "--hidden-units",
        str(settings.hidden_units),
        "--learning-rate",
        repr(float(settings.learning_rate)),
        "--max-steps",
        str(settings.max_steps),
        *rule,
    ]


def warm_worker_command() -> list[str]:
    """The argument list of a warm worker: TensorFlow started, settings read from stdin later."""
    return [sys.executable, "-m", "explainer.training.worker", "--wait-for-settings"]


def settings_line(settings: TrainingSettings) -> str:
    """What a warm worker reads on stdin: the same settings as :func:`worker_command`, as one JSON line."""
    return json.dumps(
        {
            "recipe": settings.recipe,
            "seed": settings.seed,
            "hidden_units": settings.hidden_units,
            "learning_rate": float(settings.learning_rate),
            "max_steps": settings.max_steps,
            "rule": settings.rule,
        }
    )


WARM_IDLE_SECONDS = 600  # a warm worker nobody needed for this long exits (its server starts another when asked)


def _settings_from_stdin() -> argparse.Namespace | None:
    import select

    ready, _, _ = select.select([sys.stdin], [], [], WARM_IDLE_SECONDS)
    if not ready:
        return None
    line = sys.stdin.readline()
    if not line.strip():
        return None
    values = json.loads(line)
    defaults = {"rule": DEFAULT_RULE}  # a settings line without a rule trains addition
    return argparse.Namespace(
        **{name: values.get(name, defaults.get(name)) for name in TrainingSettings.__dataclass_fields__}
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explainer.training.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--wait-for-settings", action="store_true", help="start TensorFlow, then read settings")
    parser.add_argument("--recipe")  # checked by train(): a bad one gets an {"error": ...} line
    parser.add_argument("--seed", type=int)
    parser.add_argument("--hidden-units", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--max-steps", type=int)
    parser.add_argument("--rule", default=DEFAULT_RULE)  # checked by train(), like the recipe
    arguments = parser.parse_args(argv)
    missing = [
        name
        for name in ("recipe", "seed", "hidden_units", "learning_rate", "max_steps")
        if getattr(arguments, name) is None
    ]
    if missing and not arguments.wait_for_settings:
        parser.error(f"missing --{missing[0].replace('_', '-')}")

    from explainer.training.train import train  # imports TensorFlow, in this process only

    if arguments.wait_for_settings:
        import select

        # A throwaway step warms TensorFlow's kernels and thread pools too (unless the settings are already
        # here: then that would only delay them); train() reseeds everything, so the real run's weights are
        # the same as in a fresh process (tests/test_live_training.py checks).
        if not select.select([sys.stdin], [], [], 0)[0]:
            train("fast", seed=0, max_steps=1)
        sys.stdout.write(json.dumps({"ready": True}) + "\n")
        sys.stdout.flush()
        arguments = _settings_from_stdin()
        if arguments is None:
            return 0

    def emit(checkpoint) -> None:
        sys.stdout.write(checkpoint_to_json(checkpoint) + "\n")
        sys.stdout.flush()  # the page reads line by line: each checkpoint must arrive as soon as it exists

    try:
        result = train(
            arguments.recipe,
            seed=arguments.seed,
            max_steps=arguments.max_steps,
            hidden_units=arguments.hidden_units,
            learning_rate=arguments.learning_rate,
            on_checkpoint=emit,
            rule=arguments.rule,
        )
    except ValueError as error:
        sys.stdout.write(json.dumps({"error": str(error)}) + "\n")
        return 2
    sys.stdout.write(json.dumps({"done": result.summary()}) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
