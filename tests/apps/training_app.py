"""A small page that uses ``ui.training`` the way ``streamlit_app.py`` does, for the AppTest tests.

It writes the chosen network's fingerprint and its answer for one pair, so a test can see which network
every view is using.
"""

import streamlit as st

from explainer import RNNWeights, load_weights, trace_addition
from explainer.training.sweep import DEFAULT_SWEEP_PATH
from ui.live import live_updates_ui
from ui.model_source import model_source_ui, replay_ui
from ui.side_by_side import side_by_side_ui
from ui.training import training_panel_ui

A, B = 50, 18


@st.cache_resource
def shipped_weights() -> RNNWeights:
    return load_weights()


shipped = shipped_weights()
live_updates_ui()  # as streamlit_app.py: marks where this session's run stands for the whole page run
with st.popover("Network"):
    label, weights = model_source_ui(shipped)
replay_ui()  # as on the page: the checkpoint slider in the main area, under the network choice
trace = trace_addition(weights, A, B)
st.markdown(f"source: {label}")
st.markdown(f"fingerprint: {weights.fingerprint}")
st.markdown(f"answer: {trace.predicted_sum}")
if weights != shipped:
    side_by_side_ui(shipped, weights, label, A, B)
# A test can point the sweep chart at a file it made by setting this before the first run.
training_panel_ui(sweep_path=st.session_state.get("test_sweep_path", DEFAULT_SWEEP_PATH))
