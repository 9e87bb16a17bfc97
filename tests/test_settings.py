"""Deployment settings: the training limit from the environment (or Streamlit secrets), and clear refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from explainer.files.keras_file import MODEL_PATH_VARIABLE
from explainer.serving.settings import (
    DEFAULT_MAX_TRAININGS,
    MAX_TRAININGS_CEILING,
    MAX_TRAININGS_VARIABLE,
    SettingsError,
    max_trainings,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("raw", "expected"), [(None, 2), ("", 2), ("  ", 2), ("1", 1), (" 3 ", 3), ("16", 16)])
def test_max_trainings_reads_the_environment(raw, expected):
    environment = {} if raw is None else {MAX_TRAININGS_VARIABLE: raw}
    assert max_trainings(environment) == expected
    assert DEFAULT_MAX_TRAININGS == 2 and MAX_TRAININGS_CEILING == 16


@pytest.mark.parametrize("raw", ["0", "-1", "17", "two", "1.5", "1e3", "∞", "2 3"])
def test_bad_max_trainings_gets_a_clear_message(raw):
    with pytest.raises(SettingsError) as caught:
        max_trainings({MAX_TRAININGS_VARIABLE: raw})
    message = str(caught.value)
    assert MAX_TRAININGS_VARIABLE in message and "from 1 to 16" in message and repr(raw) in message
    assert isinstance(caught.value, ValueError)


def test_max_trainings_defaults_to_the_process_environment(monkeypatch):
    monkeypatch.setenv(MAX_TRAININGS_VARIABLE, "5")
    assert max_trainings() == 5
    monkeypatch.delenv(MAX_TRAININGS_VARIABLE)
    assert max_trainings() == DEFAULT_MAX_TRAININGS


def test_streamlit_secrets_reach_the_settings_without_the_page_passing_them(tmp_path):
    """Community Cloud's way: root-level secrets. Streamlit copies them into os.environ when it loads them
    (``streamlit run`` does so before the page runs), so the Keras- and Streamlit-free readers see them."""
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        f'{MAX_TRAININGS_VARIABLE} = 1\n{MODEL_PATH_VARIABLE} = "/srv/models/adder.keras"\n'
    )
    script = (
        "import json, sys\n"
        "import explainer.serving.settings, explainer.files.keras_file\n"
        "light = not any(name in sys.modules for name in ('keras', 'tensorflow', 'streamlit'))\n"
        "import streamlit\n"
        "assert streamlit.secrets.load_if_toml_exists()\n"
        "print(json.dumps([light, explainer.serving.settings.max_trainings(),"
        " str(explainer.files.keras_file.page_model_path())]))\n"
    )
    environment = {
        name: value for name, value in os.environ.items() if name not in {MAX_TRAININGS_VARIABLE, MODEL_PATH_VARIABLE}
    }
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,  # Streamlit reads ./.streamlit/secrets.toml
        env={**environment, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == [True, 1, "/srv/models/adder.keras"]
