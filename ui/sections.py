"""The page's sections (one shown at a time) and the "What did it learn?" view, in the address bar.

The section and the view go into the address bar (``?section=…&view=…``, each the label in lower case with
dashes, e.g. ``section=what-did-it-learn&view=state-space``), so a shared link opens the same view. A link
naming something that does not exist gets a notice and the first one. A link to a section under the picture opens
scrolled to it ("Inside one step" is beside the picture: in sight already).
"""

from __future__ import annotations

import streamlit as st

from explainer.sections import SECTIONS, SIDE_BY_SIDE_SECTION, STEP_SECTION
from ui.echo import quoted
from ui.interchange import VIEW_NAME as TRANSPLANT_VIEW
from ui.scroll import SECTION_VIEW, scroll_to
from ui.state import (
    INSIGHT_VIEW,
    LINK_READ_VIEW,
    SECTION,
    TRANSPLANT_LINK,
    browser_holds,
    first_time,
    link_get,
    link_has,
    link_text,
    set_link,
    slug,
)

# Why a section that exists cannot be shown now.
UNAVAILABLE = {SIDE_BY_SIDE_SECTION: "needs a network you trained or uploaded"}


def available_sections(own_network: bool) -> list[str]:
    """The sections to offer: "Side by side" only while the page shows a network other than the shipped one."""
    return [section for section in SECTIONS if own_network or section not in UNAVAILABLE]


def _from_slug(text: str, labels, what: str) -> tuple[str | None, str | None]:
    by_slug = {slug(label): label for label in labels}
    if text in by_slug:
        return by_slug[text], None
    return None, f"The link's {what}={quoted(text)} is not one of {', '.join(by_slug)}; showing {labels[0]}."


def restore_view_from_url(sections: list[str], views: tuple[str, ...] | None) -> list[str]:
    """Once per session, open the section and view the link names. Returns notices for what could not be
    opened. A choice the browser already holds (a reconnecting tab) is left as it is (see :mod:`ui.state`).
    ``views`` None: the section reads its own ``view=`` (a rule's "What did it learn?": ui.rule_insight)."""
    if not first_time(LINK_READ_VIEW):
        return []
    notices = []
    wanted = link_text(SECTION)
    if wanted is not None:
        unavailable = {section: why for section, why in UNAVAILABLE.items() if section not in sections}
        section, notice = _from_slug(wanted, [*sections, *unavailable], "section")
        if section in unavailable:
            notice, section = f"The link opens “{section}”, which {unavailable[section]}; showing {sections[0]}.", None
        if section is not None:
            st.session_state[SECTION] = section
        if notice:
            notices.append(notice)
    wanted = link_text(INSIGHT_VIEW) if views is not None else None
    if wanted is not None:
        view, notice = _from_slug(wanted, list(views), "view")
        if view is not None:
            st.session_state[INSIGHT_VIEW] = view
        if notice:
            notices.append(notice)
    if st.session_state.get(SECTION, sections[0]) != STEP_SECTION and (link_has(SECTION) or link_has(INSIGHT_VIEW)):
        scroll_to(SECTION_VIEW, unless_asked=True)  # a shared view opens at that view, not ~4 screens above it
    return notices


def shown_section(sections: list[str]) -> str:
    """The section this run draws: the visitor's choice, or the first on a first visit (or "Side by side" after
    going back to the shipped network). For a reconnecting tab, whose choice is known only once the control is
    drawn, the link's section (the control's own value then decides, with one more run if it differs)."""
    if SECTION not in st.session_state and browser_holds(SECTION):
        return {slug(section): section for section in sections}.get(link_get(SECTION), sections[0])
    if st.session_state.get(SECTION) not in sections:
        st.session_state[SECTION] = sections[0]
    return st.session_state[SECTION]


def section_choice_ui(sections: list[str]) -> str:
    """The section control ("Look closer"); returns the chosen section."""
    return st.segmented_control("Look closer", sections, key=SECTION, required=True)


def save_view_to_url(section: str, view: str | None) -> None:
    """Keep ``section=`` (and ``view=`` for "What did it learn?") in the address bar; other parameters stay, but
    the transplant panel's (``patch_t=…``) only while its view is shown (the panel writes them)."""
    set_link(SECTION, slug(section))
    set_link(INSIGHT_VIEW, None if view is None else slug(view))
    if view != TRANSPLANT_VIEW:
        for key in TRANSPLANT_LINK:
            set_link(key, None)
