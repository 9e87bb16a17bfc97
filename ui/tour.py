"""The guided tour on the page: offered on a first visit, restartable from the toolbar, one stop per URL.

The stops themselves (what each shows and says) are data in ``explainer/tour.py``. Here a stop is applied
to the page by setting the same session-state keys the page's own controls use (the number boxes, the
timestep, the section, the view, the ablation: ``ui.state.TOUR_SETS``), always from a callback or before
those controls are drawn. Entering saves those keys; leaving puts them back, so the visitor returns to the
page they had. A stop's card sits right above what it talks about (the picture, or the section under it), and
entering a stop scrolls the card to the top of the window.
"""

from __future__ import annotations

import contextlib
import threading

import streamlit as st

from explainer import RNNWeights, timesteps_for
from explainer.tour import RULES_POINTER_LABEL, RULES_POINTER_LINK, STOPS, rules_pointer, stop_number
from ui.ablation import write_ablation_link
from ui.echo import quoted
from ui.guards import view_or_warning
from ui.pair import set_columns, set_pair
from ui.scroll import TOUR_CARD, scroll_to
from ui.session_networks import latest_run
from ui.state import (
    A_TEXT,
    ABLATE_CLAMPED,
    ABLATE_ZEROED,
    CLAMP_VALUE_PREFIX,
    INSIGHT_VIEW,
    LINK_READ_TOUR,
    SECTION,
    SHOW_WHOLE_SUM,
    TIMESTEP,
    TOUR_OFFER_DONE,
    TOUR_SAVED_PAGE,
    TOUR_SETS,
    TOUR_STOP,
    browser_holds,
    first_time,
    link_get,
    link_has,
    set_link,
)


def _page_keys() -> list[str]:
    """What a stop changes and leaving restores: the page's own widget keys, and each clamped unit's value."""
    return [*TOUR_SETS, *(key for key in st.session_state if str(key).startswith(CLAMP_VALUE_PREFIX))]


def _save_page() -> None:
    st.session_state[TOUR_SAVED_PAGE] = {key: st.session_state[key] for key in _page_keys() if key in st.session_state}


def _show_stop(index: int, weights: RNNWeights) -> None:
    stop = STOPS[index]
    a, b, columns = stop.operands(weights)
    set_pair(a, b)
    set_columns(a, b, columns if columns is not None else timesteps_for(a, b))
    st.session_state[TIMESTEP] = stop.column(weights)
    # The first stop asks the reader to step and watch the answer appear, so it starts unfolded at its column; the
    # others talk about columns across the whole sum (a carry row from t = 1 to t = 7), so they show all of it.
    st.session_state[SHOW_WHOLE_SUM] = index != 0
    st.session_state[SECTION] = stop.section
    if stop.view is not None:
        st.session_state[INSIGHT_VIEW] = stop.view
    zeroed = list(stop.zeroed_units(weights))
    st.session_state[ABLATE_ZEROED] = zeroed
    st.session_state[ABLATE_CLAMPED] = []
    write_ablation_link(zeroed, {})  # the address bar follows the stop, so a fresh link reads the same
    st.session_state[TOUR_STOP] = index
    set_link(TOUR_STOP, str(index + 1))
    scroll_to(TOUR_CARD)


def start_tour(weights: RNNWeights, index: int = 0) -> None:
    """Callback: save the visitor's page (unless a tour is already running) and open stop ``index``."""
    if TOUR_STOP not in st.session_state:
        _save_page()
    st.session_state[TOUR_OFFER_DONE] = True
    _show_stop(index, weights)


def leave_tour() -> None:
    """Callback: close the tour and put back the page the visitor had when it started."""
    saved = st.session_state.pop(TOUR_SAVED_PAGE, {})
    st.session_state.pop(TOUR_STOP, None)
    for key in _page_keys():
        if key in saved:
            st.session_state[key] = saved[key]
        else:  # it had no value yet (e.g. a link straight to a stop): the page's own default comes back
            st.session_state.pop(key, None)
    clamped = {
        unit: float(saved.get(f"{CLAMP_VALUE_PREFIX}{unit}", 0.5))
        for unit in saved.get(ABLATE_CLAMPED, [])
        if unit not in saved.get(ABLATE_ZEROED, [])
    }
    write_ablation_link(list(saved.get(ABLATE_ZEROED, [])), clamped)
    set_link(TOUR_STOP, None)


def _dismiss_offer() -> None:
    st.session_state[TOUR_OFFER_DONE] = True


def tour_from_url(weights: RNNWeights) -> str | None:
    """Once per session, open the stop a link names (``?tour=4``). Call before the page's controls are drawn.

    Returns a notice when ``tour`` names no stop (the page then opens as usual). A tab reconnecting to a new
    server session gets its stop's card back but keeps the pair its browser holds (see :mod:`ui.state`).
    """
    if not first_time(LINK_READ_TOUR) or not link_has(TOUR_STOP):
        return None
    text = link_get(TOUR_STOP)
    number = stop_number(text)
    if number is None:
        set_link(TOUR_STOP, None)
        return f"The link's tour stop tour={quoted(text, 20)} does not exist; the tour has stops 1 to {len(STOPS)}."
    if browser_holds(A_TEXT):
        st.session_state[TOUR_STOP] = number - 1
        st.session_state[TOUR_OFFER_DONE] = True
    else:
        start_tour(weights, number - 1)
    return None


def _offering() -> bool:
    return st.session_state.get(TOUR_STOP) is None and not st.session_state.get(TOUR_OFFER_DONE)


def tour_button(weights: RNNWeights) -> None:
    """The way into the tour, among the page's tools: on a first visit the offer ("Take the tour" / "No thanks",
    with :func:`tour_offer_note` under them), then a button that restarts it at its first stop. None while a stop
    is open: its card has Leave."""
    if st.session_state.get(TOUR_STOP) is not None:
        return
    if _offering():
        st.button("Take the tour", key="tour_start", type="primary", on_click=start_tour, args=(weights, 0))
        st.button("No thanks", key="tour_dismiss", on_click=_dismiss_offer)
        return
    st.button(
        f"Guided tour ({len(STOPS)} stops)",
        key="tour_restart",
        on_click=start_tour,
        args=(weights, 0),
        icon=":material/explore:",
    )


def tour_offer_note() -> None:
    """On a first visit, what the tour is (under :func:`tour_button`'s offer)."""
    if _offering():
        st.caption(
            f"**New here?** A {len(STOPS)}-stop tour sets the page up for you and tells you what to look at, "
            "from 50 + 18 to where the network breaks."
        )


def tour_section() -> str | None:
    """The section the open stop talks about (its card is drawn right above it), or None with no stop open."""
    index = st.session_state.get(TOUR_STOP)
    return None if index is None else STOPS[index].section


def _stop_words(weights: RNNWeights, index: int) -> None:
    with contextlib.suppress(Exception):  # a network that does not suit the stop: its own run shows why
        STOPS[index].text(weights)


@st.cache_resource(show_spinner=False, max_entries=64)
def _prepare_stop(fingerprint: str, index: int, _weights: RNNWeights) -> threading.Thread:
    """Work out stop ``index``'s words for this network in a background thread, once per network and server
    process: the analyses behind them are cached for everyone (explainer.byte_cache), so the reader who presses
    "Next stop" while reading this one finds them ready (or waits only for the rest of that one computation)."""
    thread = threading.Thread(target=_stop_words, args=(_weights, index), name=f"tour-stop-{index + 1}", daemon=True)
    thread.start()
    return thread


def tour_ui(weights: RNNWeights) -> None:
    """The open stop's card: its words and Back / Next / Leave. Draw it right above what :func:`tour_section` names."""
    index = st.session_state.get(TOUR_STOP)
    if index is None:
        return
    stop = STOPS[index]
    set_link(TOUR_STOP, str(index + 1))
    with st.container(border=True, key=TOUR_CARD):
        st.markdown(f"**Tour, stop {index + 1} of {len(STOPS)}: {stop.title_for(weights)}**")
        with view_or_warning("This stop's words"):  # a visitor's own network may not suit every analysis
            with st.spinner(stop.working):  # shown only if the numbers take over half a second (the first visitor)
                words = stop.text(weights)
            st.markdown(words)
        if index + 1 == len(STOPS):  # the tour is addition's; the last stop says where the other rules are
            st.markdown(rules_pointer())
            st.link_button(
                f"{RULES_POINTER_LABEL} ↗",
                RULES_POINTER_LINK,
                key="tour_rules",
                help="Opens in a new tab; this one keeps the tour.",
            )
        with st.container(horizontal=True):
            st.button(
                "◀ Previous stop", key="tour_back", on_click=start_tour, args=(weights, index - 1), disabled=index == 0
            )
            if index + 1 < len(STOPS):
                st.button(
                    "Next stop ▶", key="tour_next", type="primary", on_click=start_tour, args=(weights, index + 1)
                )
            else:
                st.button("Finish", key="tour_finish", type="primary", on_click=leave_tour)
            st.button("Leave the tour", key="tour_leave", on_click=leave_tour)
    training = (run := latest_run()) is not None and run.active  # each checkpoint is a new network: not for those
    if index + 1 < len(STOPS) and not training:
        _prepare_stop(weights.fingerprint, index + 1, weights)
