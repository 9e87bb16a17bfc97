"""Which rule the page shows: the Rule picker (on both pages, beside the inputs) and ``?rule=`` in the link.

Light on purpose: addition's page imports it; the page of another rule (:mod:`ui.rule_page`) is imported only when
a rule other than addition is shown.
"""

from __future__ import annotations

import streamlit as st

from explainer.rules import DEFAULT_RULE, RULES, Rule, rule_named
from ui.echo import quoted
from ui.state import (
    A_TEXT,
    B_TEXT,
    BRACKETS_TEXT,
    C_TEXT,
    LINK_READ_RULE,
    RULE,
    browser_holds,
    first_time,
    link_text,
    set_link,
)


def restore_rule_from_url() -> list[str]:
    """Once per session, the rule the link names (``?rule=subtraction``); a name that is no rule gets a notice and
    addition. A picker the browser already holds (a reconnecting tab) keeps its value (:mod:`ui.state`)."""
    if not first_time(LINK_READ_RULE):
        return []
    text = link_text(RULE)
    if text is None:
        return []
    try:
        st.session_state[RULE] = rule_named(text).name
    except ValueError as error:
        st.session_state[RULE] = DEFAULT_RULE
        return [f"The link's rule={quoted(text)} cannot be shown: {error} Showing addition."]
    return []


def current_rule() -> Rule:
    """The rule the page shows now: the picker's value (addition until one is picked)."""
    return RULES.get(st.session_state.get(RULE), RULES[DEFAULT_RULE])


def rule_picker_ui() -> None:
    """The rule picker, on the first screen beside the inputs (both pages): a change reruns the whole page."""
    if RULE not in st.session_state and not browser_holds(RULE):
        st.session_state[RULE] = DEFAULT_RULE
    st.selectbox(
        "Rule",
        list(RULES),
        format_func=lambda name: f"Rule: {RULES[name].label}",  # says what it chooses: its label is not shown
        key=RULE,
        help="The same network (16 units), trained on another rule. Its state is what the rule must remember.",
        # The label is read out, not shown: a button's height keeps the first screen's heatmap in sight at 1400 × 900.
        label_visibility="collapsed",
        width=230,
    )


def save_rule_to_url(rule: Rule) -> None:
    """``rule=`` in the address bar (left out for addition, so its links stay as they were), and only the inputs
    this rule reads: a third number and a bracket string leave the link when the rule does not read them."""
    set_link(RULE, None if rule.name == DEFAULT_RULE else rule.name)
    names = set(rule.input_names) if rule.machine is not None else set()
    if "c" not in names:
        set_link(C_TEXT, None)
    if rule.machine is not None:
        set_link(BRACKETS_TEXT, None)
    else:
        set_link(A_TEXT, None)
        set_link(B_TEXT, None)
