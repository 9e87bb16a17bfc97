"""The training section alone, for a rule other than addition: the page's rule is whatever the test puts in
``st.session_state["rule"]`` (the rule picker, ui/state.py's RULE row, is wired by the page). It writes which of
this session's runs the page would offer as its network, so a test can see that a run stays with its rule."""

import streamlit as st

from explainer import load_weights
from ui.model_source import model_source_ui
from ui.session_networks import runs_with_checkpoints
from ui.training import training_panel_ui


@st.cache_resource
def shipped_weights():
    return load_weights()


with st.popover("Network"):
    label, _ = model_source_ui(shipped_weights())
st.markdown(f"offered runs: {', '.join(run.settings.rule for run in runs_with_checkpoints()) or 'none'}")
training_panel_ui()
