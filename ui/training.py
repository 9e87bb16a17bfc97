"""Train it yourself: the section that composes training, results, upload and the sweep.

The parts live in their own modules: :mod:`ui.training_run` (settings, the training child, Stop),
:mod:`ui.results` (curves and downloads), :mod:`ui.upload`, :mod:`ui.sweep`; the session's runs and
uploads are in :mod:`ui.session_networks`; the page's choice of network (and the replay slider) is
:mod:`ui.model_source`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from explainer.rules import DEFAULT_RULE
from explainer.training.sweep import DEFAULT_SWEEP_PATH
from ui.results import run_results_ui
from ui.session_networks import page_rule, selected_run
from ui.state import DROPPED_RUN_NOTICE
from ui.sweep import sweep_ui
from ui.training_run import settings_ui, training_controls_ui, warm_up_training
from ui.upload import upload_ui


def training_panel_ui(sweep_path: str | Path = DEFAULT_SWEEP_PATH) -> None:
    """The “Train it yourself” section for the main area: settings, Train/Stop, live progress, the run's
    curves (marked at the replayed checkpoint), downloads, upload, and the sweep chart (from ``sweep_path``).
    On a rule's page it trains that rule; the upload and the sweep (both about adders) say so or stay away."""
    settings_ui()
    warm_up_training()
    latest = training_controls_ui()
    run = selected_run()
    if run is not None:
        run_results_ui(run)
    notice = st.session_state.pop(DROPPED_RUN_NOTICE, None)
    if notice:
        st.info(notice, icon="🗂️")
    if latest is None or not latest.active:
        st.caption(
            "Nothing trains until you press Train. While it trains, the whole page keeps working and follows the "
            "newest checkpoint; the network you train stays in your browser session."
        )
    if page_rule() != DEFAULT_RULE:
        st.caption("Uploading weights is for addition only: an upload is read as an adder's weights.")
        return
    with st.expander("Upload weights"):
        upload_ui()
    with st.expander("How often does training find the carry? (a sweep over seeds and sizes)"):
        sweep_ui(sweep_path)
