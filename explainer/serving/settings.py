"""Deployment settings, read from the environment. No Keras, no Streamlit: the page and the tests import it freely.

- ``ADDITION_UNFOLDED_MAX_TRAININGS``: how many training runs (each a child process with TensorFlow, ~0.8 GB)
  may go at once per server process; further Train presses wait their turn. Default 2; 1 on a 1 GB host such
  as Streamlit Community Cloud.
- ``ADDITION_UNFOLDED_MODEL`` (read by :func:`explainer.files.keras_file.page_model_path`): the model file the
  page shows.
- ``ADDITION_UNFOLDED_WARM_RULES``: ``1`` works out every shipped rule network's analyses in a background thread
  once the first rule page (or "Compare the rules") opens, so later visitors of those views rarely wait
  (:mod:`explainer.analysis.rule_warmup`); ``0`` (the default) leaves each to the first visitor who asks. Off by
  default because the thread shares the interpreter with every session: while it works (~45 s of a core), step
  clicks on that server answer several times slower (``bench/README.md``).

On Streamlit Community Cloud, set them as root-level secrets (``ADDITION_UNFOLDED_MAX_TRAININGS = 1``):
``streamlit run`` copies every root-level string or number secret into ``os.environ`` before the page runs, so
reading the environment here covers secrets too, without importing Streamlit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

MAX_TRAININGS_VARIABLE = "ADDITION_UNFOLDED_MAX_TRAININGS"
DEFAULT_MAX_TRAININGS = 2
# A training child peaks near 0.9 GB; more than this many at once is a typo rather than a plan.
MAX_TRAININGS_CEILING = 16


WARM_RULES_VARIABLE = "ADDITION_UNFOLDED_WARM_RULES"


class SettingsError(ValueError):
    """A deployment setting has a value that cannot be used; the message says which and what is allowed."""


def max_trainings(environment: Mapping[str, str] | None = None) -> int:
    """How many training children may run at once: ``$ADDITION_UNFOLDED_MAX_TRAININGS``, default 2.

    Unset or blank means the default. Anything but a whole number from 1 to 16 raises :class:`SettingsError`.
    """
    environment = os.environ if environment is None else environment
    raw = environment.get(MAX_TRAININGS_VARIABLE, "")
    text = str(raw).strip()
    if not text:
        return DEFAULT_MAX_TRAININGS
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not 1 <= value <= MAX_TRAININGS_CEILING:
        raise SettingsError(
            f"{MAX_TRAININGS_VARIABLE} must be a whole number from 1 to {MAX_TRAININGS_CEILING} (how many training "
            f"runs may go at once; default {DEFAULT_MAX_TRAININGS}); got {raw!r}."
        )
    return value


def warm_rules(environment: Mapping[str, str] | None = None) -> bool:
    """Whether the server works out the shipped rule networks' analyses in the background:
    ``$ADDITION_UNFOLDED_WARM_RULES``, ``0`` (default) or ``1``. Anything else raises :class:`SettingsError`."""
    environment = os.environ if environment is None else environment
    raw = environment.get(WARM_RULES_VARIABLE, "")
    text = str(raw).strip()
    if text not in ("", "0", "1"):
        raise SettingsError(
            f"{WARM_RULES_VARIABLE} must be 0 (the default) or 1 (work out the rules' analyses in the background); "
            f"got {raw!r}."
        )
    return text == "1"
