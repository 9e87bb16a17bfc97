"""Addition, unfolded: watch a recurrent network add two binary numbers, one column at a time.

Run with ``streamlit run streamlit_app.py``. This file only composes: the maths is in ``explainer/``
and each part of the page is a ``*_ui()`` function in ``ui/``.
"""

import streamlit as st

from explainer import ModelFileError, RNNWeights, load_weights, trace_addition
from explainer.storage import SHIPPED_MODEL_COMMAND, page_model_path
from ui.addition import (
    operands_ui,
    restore_from_url,
    save_to_url,
    step_ui,
    timestep_ui,
    unfolded_ui,
    verdict_ui,
    weights_ui,
)

st.set_page_config(page_title="Addition, unfolded", page_icon="➕", layout="wide")


@st.cache_resource(show_spinner="Loading the trained network…")
def shipped_weights(path: str) -> RNNWeights:
    """Loaded once per server process and shared by every user: RNNWeights is read-only, so none can change it."""
    return load_weights(path)


st.title("Addition, unfolded")
st.markdown(
    "A recurrent neural network with 16 units learned to add binary numbers from examples. Type two numbers and "
    "watch it work through them **one column at a time, starting from the right**, keeping what it needs (the "
    "carry) in its hidden state."
)

try:
    weights = shipped_weights(str(page_model_path()))
except ModelFileError as error:
    st.error(str(error), icon="🚫")
    st.markdown("From the project folder, run:")
    st.code(SHIPPED_MODEL_COMMAND, language="bash")
    st.stop()

for notice in restore_from_url():
    st.warning(notice, icon="🔗")

a, b = operands_ui()
trace = trace_addition(weights, a, b)
verdict_ui(trace)
timestep = timestep_ui(trace.timesteps)
unfolded_ui(trace, timestep)

section = st.segmented_control(
    "Look closer",
    ["Inside one step", "The weights"],
    default="Inside one step",
    key="section",
)
if section == "Inside one step":
    step_ui(trace, weights, timestep)
elif section == "The weights":
    weights_ui(weights)

save_to_url(a, b, timestep)
