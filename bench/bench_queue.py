"""A bystander's Train press behind pending ``.keras`` exports (issue 23 item 5): seconds to its first checkpoint.

    python -m bench.bench_queue [--root DIR] [--exports 20] [--export-seconds 1.5]

The server's warm worker is started and given time to import TensorFlow; then ``--exports`` exports of distinct
networks are requested at once, and a Train press comes right after them. The exports are stand-ins that hold
their Keras slot for ``--export-seconds`` (a real one starts TensorFlow in a child: seconds of CPU each), so the
run measures the queue, not the machine's speed at exporting. The training itself is real (the warm worker, or
a fresh child). ``--root`` runs another checkout's serving code (e.g. an export of an older commit).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, threading, time
import numpy as np
from explainer.model.network import RNNWeights
from explainer.serving import keras_slots, training_runs
from explainer.training.recipes import TrainingSettings

exports, seconds, warm_up = {exports}, {export_seconds}, {warm_up}
training_runs.prepare_warm_worker()
time.sleep(warm_up)  # the warm worker imports TensorFlow meanwhile
warm_before = training_runs.has_warm_worker()

def export(weights):
    time.sleep(seconds)
    return weights.fingerprint.encode()

def network(seed):
    rng = np.random.default_rng(seed)
    return RNNWeights(rng.normal(size=(2, 16)), rng.normal(size=(16, 16)), rng.normal(size=(16, 1)))

asks = [(network(seed), export) for seed in range(exports)]
threads = [threading.Thread(target=keras_slots.keras_file_bytes, args=ask) for ask in asks]
for thread in threads:
    thread.start()
time.sleep(0.5)  # the exports have asked for their slots
run = training_runs.start_training(TrainingSettings("fast", 0, 16, 0.05, 100))
got = run.wait_for_first_checkpoint(600)
first = run.first_checkpoint_seconds
done = sum(not thread.is_alive() for thread in threads)
run.stop()
for thread in threads:
    thread.join()
training_runs.release_idle_warm_worker()
print(json.dumps({{"warm_worker_ready": warm_before, "first_checkpoint_seconds": first, "exports_done_by_then": done}}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_queue", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--exports", type=int, default=20)
    parser.add_argument("--export-seconds", type=float, default=1.5)
    parser.add_argument("--warm-up", type=float, default=30.0, help="seconds for the warm worker to start")
    arguments = parser.parse_args(argv)
    script = SCRIPT.format(
        exports=arguments.exports, export_seconds=arguments.export_seconds, warm_up=arguments.warm_up
    )
    environment = {**os.environ, "PYTHONPATH": str(arguments.root)}
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=arguments.root, capture_output=True, text=True, env=environment
    )
    if completed.returncode:
        print(completed.stderr[-2000:])
        return 1
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"root: {arguments.root}; load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"| {arguments.exports} exports pending ({arguments.export_seconds:g} s each) | first checkpoint s "
        "| exports done by then | warm worker ready |\n|---|---|---|---|"
    )
    first = result["first_checkpoint_seconds"] or float("nan")
    print(f"| bystander's Train | {first:.1f} | {result['exports_done_by_then']} | {result['warm_worker_ready']} |")
    print(json.dumps({"exports": arguments.exports, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
