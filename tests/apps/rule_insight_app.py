"""A small page that calls ``ui.rule_insight`` the way the page will, for the AppTest and browser tests.

The link's ``?rule=`` picks the rule (``compare`` shows "Compare the rules" instead); the rule's shipped network
is the one analysed, as on the page.
"""

import streamlit as st

from explainer.rules import RULES
from ui.rule_insight import compare_rules_ui, rule_insight_ui, shipped_rule_weights
from ui.styles import page_style

st.set_page_config(layout="wide")  # as the page, with its style rules (the captions' contrast among them)
page_style()

# This test page reads its own parameter; the page proper reads ?rule= through ui.state.
chosen = st.query_params.get("rule", "subtraction")
if chosen == "compare":
    compare_rules_ui()
else:
    name = chosen if chosen in RULES else "subtraction"
    st.markdown(f"rule: {name}")
    rule_insight_ui(RULES[name], shipped_rule_weights(name))
