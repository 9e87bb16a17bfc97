"""What stays while a visitor moves around the page: settings kept across sections, and the view in the URL.

Streamlit forgets a widget's value when a run does not draw the widget (another section is open), so the
training settings would come back as their defaults and the "What did it learn?" view as the first one.
:func:`keep_widget_values` keeps a copy of each such value under a key of its own (no widget has it, so it
is never forgotten) and puts it back before the widget is drawn again.

The section and the "What did it learn?" view also go into the address bar (``?section=…&view=…``, each
the label in lower case with dashes, e.g. ``section=what-did-it-learn&view=state-space``), so a shared link
opens the same view. A link naming something that does not exist gets a notice and the first one.
"""

from __future__ import annotations

import re

import streamlit as st

from ui.echo import quoted
from ui.training_run import SETTINGS_KEYS

KEPT_WIDGET_KEYS = (*SETTINGS_KEYS, "insight_view", "play_columns_speed", "play_replay_speed")
_KEPT = "kept_value_of_"  # + a widget key


def keep_widget_values() -> None:
    """Call once per run, before any widget is drawn."""
    for key in KEPT_WIDGET_KEYS:
        if key in st.session_state:
            st.session_state[_KEPT + key] = st.session_state[key]
        elif _KEPT + key in st.session_state:
            st.session_state[key] = st.session_state[_KEPT + key]


def slug(label: str) -> str:
    """A label as the address bar spells it: "What did it learn?" → "what-did-it-learn"."""
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def _from_slug(text: str, labels, what: str) -> tuple[str | None, str | None]:
    by_slug = {slug(label): label for label in labels}
    if text in by_slug:
        return by_slug[text], None
    return None, f"The link's {what}={quoted(text)} is not one of {', '.join(by_slug)}; showing {labels[0]}."


def restore_view_from_url(sections: list[str], views: tuple[str, ...], unavailable: dict[str, str]) -> list[str]:
    """Once per session, open the section and view the link names. ``unavailable`` maps a section that
    exists but cannot be shown now to why. Returns notices for what could not be opened."""
    if st.session_state.get("view_url_restored"):
        return []
    st.session_state["view_url_restored"] = True
    notices = []
    if "section" in st.query_params:
        wanted = st.query_params["section"]
        section, notice = _from_slug(wanted, [*sections, *unavailable], "section")
        if section in unavailable:
            notice, section = f"The link opens “{section}”, which {unavailable[section]}; showing {sections[0]}.", None
        if section is not None:
            st.session_state["section"] = section
        if notice:
            notices.append(notice)
    if "view" in st.query_params:
        view, notice = _from_slug(st.query_params["view"], list(views), "view")
        if view is not None:
            st.session_state["insight_view"] = view
        if notice:
            notices.append(notice)
    return notices


def save_view_to_url(section: str, view: str | None) -> None:
    """Keep ``section=`` (and ``view=`` for "What did it learn?") in the address bar; other parameters stay."""
    if st.query_params.get("section") != slug(section):
        st.query_params["section"] = slug(section)
    if view is None:
        if "view" in st.query_params:
            del st.query_params["view"]
    elif st.query_params.get("view") != slug(view):
        st.query_params["view"] = slug(view)
