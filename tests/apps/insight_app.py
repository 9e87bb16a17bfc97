"""A small page that wires ``ui.insight`` the way ``streamlit_app.py`` will, for the AppTest tests.

It shows the pair, the network's answer and the ablation in ``name: value`` lines, so a test can read
what every view is working on.
"""

import streamlit as st

from explainer import RNNWeights, load_weights, parse_operand, trace_addition
from explainer.analysis import carry_probe, describe_ablation
from ui.ablation import ablation_ui
from ui.insight import insight_ui


@st.cache_resource
def shipped_weights() -> RNNWeights:
    return load_weights()


weights = shipped_weights()
st.session_state.setdefault("a_text", "50")
st.session_state.setdefault("b_text", "18")
a = parse_operand(st.text_input("a", key="a_text"), "a")
b = parse_operand(st.text_input("b", key="b_text"), "b")
ablation = ablation_ui(  # a popover, as on the page
    weights.hidden_units, carry_probe(weights).top_carry_units
)
trace = trace_addition(weights, a, b, ablation=ablation)
st.markdown(f"pair: {a} + {b}")
st.markdown(f"answer: {trace.predicted_sum}")
st.markdown(f"ablation: {describe_ablation(ablation)}")
# A test can choose the step, as the page's slider would.
loaded = insight_ui(weights, trace, st.session_state.get("test_timestep", 3), ablation)
if loaded is not None:
    st.markdown(f"loaded: {loaded[0]} + {loaded[1]}")
