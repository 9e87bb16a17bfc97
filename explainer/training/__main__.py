"""``python -m explainer.training``: train the adder and write a ``.keras`` file with its sidecar."""

import sys

from explainer.training.train import main

sys.exit(main())
