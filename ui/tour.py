"""The guided tour on the page: offered on a first visit, restartable from the sidebar, one stop per URL.

The stops themselves (what each shows and says) are data in ``explainer/tour.py``. Here a stop is applied
to the page by setting the same session-state keys the page's own controls use (the number boxes, the
timestep, ``section``, ``insight_view``, the ablation), always from a callback or before those controls are
drawn. Entering saves those keys; leaving puts them back, so the visitor returns to the page they had.
"""

from __future__ import annotations

import streamlit as st

from explainer import RNNWeights
from explainer.analysis import format_ablation_query
from explainer.tour import STOPS, stop_number
from ui.addition import COLUMNS_KEY, COLUMNS_PAIR_KEY, WHOLE_SUM_KEY, set_pair
from ui.echo import quoted
from ui.guards import view_or_warning

TOUR_PARAM = "tour"  # ?tour=4 opens stop 4 (counted from 1), so a teacher can link to it
STOP_KEY = "tour_stop"  # the open stop's index (from 0), absent when no tour is running
SAVED_KEY = "tour_saved_page"
OFFER_DONE_KEY = "tour_offer_done"
# What a stop changes and leaving restores: the page's own widget keys.
PAGE_KEYS = (
    "a_text",
    "b_text",
    COLUMNS_KEY,
    COLUMNS_PAIR_KEY,  # without it the column box would reset to the restored pair's default (a link's n=70 lost)
    "timestep",
    WHOLE_SUM_KEY,
    "section",
    "insight_view",
    "ablate_zeroed",
    "ablate_clamped",
)
CLAMP_PREFIX = "ablate_clamp_"


def _save_page() -> None:
    keys = [*PAGE_KEYS, *(key for key in st.session_state if str(key).startswith(CLAMP_PREFIX))]
    st.session_state[SAVED_KEY] = {key: st.session_state[key] for key in keys if key in st.session_state}


def _set_ablation_link(zeroed: list[int], clamped: dict[int, float]) -> None:
    """The ablation in the address bar follows the stop, so the ablation controls read the same on a fresh link."""
    wanted = format_ablation_query(set(zeroed), clamped)
    for name in ("ablate", "clamp"):
        if name in wanted:
            st.query_params[name] = wanted[name]
        elif name in st.query_params:
            del st.query_params[name]


def _show_stop(index: int, weights: RNNWeights) -> None:
    stop = STOPS[index]
    set_pair(*stop.pair)
    st.session_state["timestep"] = stop.column(weights)
    # The first stop asks the reader to step and watch the answer appear, so it starts unfolded at its column; the
    # others talk about columns across the whole sum (a carry row from t = 1 to t = 7), so they show all of it.
    st.session_state[WHOLE_SUM_KEY] = index != 0
    st.session_state["section"] = stop.section
    if stop.view is not None:
        st.session_state["insight_view"] = stop.view
    zeroed = list(stop.zeroed_units(weights))
    st.session_state["ablate_zeroed"] = zeroed
    st.session_state["ablate_clamped"] = []
    _set_ablation_link(zeroed, {})
    st.session_state[STOP_KEY] = index
    st.query_params[TOUR_PARAM] = str(index + 1)


def start_tour(weights: RNNWeights, index: int = 0) -> None:
    """Callback: save the visitor's page (unless a tour is already running) and open stop ``index``."""
    if STOP_KEY not in st.session_state:
        _save_page()
    st.session_state[OFFER_DONE_KEY] = True
    _show_stop(index, weights)


def leave_tour() -> None:
    """Callback: close the tour and put back the page the visitor had when it started."""
    saved = st.session_state.pop(SAVED_KEY, {})
    st.session_state.pop(STOP_KEY, None)
    for key in [*PAGE_KEYS, *(key for key in st.session_state if str(key).startswith(CLAMP_PREFIX))]:
        if key in saved:
            st.session_state[key] = saved[key]
        else:  # it had no value yet (e.g. a link straight to a stop): the page's own default comes back
            st.session_state.pop(key, None)
    clamped = {
        unit: float(saved.get(f"{CLAMP_PREFIX}{unit}", 0.5))
        for unit in saved.get("ablate_clamped", [])
        if unit not in saved.get("ablate_zeroed", [])
    }
    _set_ablation_link(list(saved.get("ablate_zeroed", [])), clamped)
    if TOUR_PARAM in st.query_params:
        del st.query_params[TOUR_PARAM]


def _dismiss_offer() -> None:
    st.session_state[OFFER_DONE_KEY] = True


def tour_from_url(weights: RNNWeights) -> str | None:
    """Once per session, open the stop a link names (``?tour=4``). Call before the page's controls are drawn.

    Returns a notice when ``tour`` names no stop (the page then opens as usual).
    """
    if st.session_state.get("tour_url_read"):
        return None
    st.session_state["tour_url_read"] = True
    if TOUR_PARAM not in st.query_params:
        return None
    text = st.query_params[TOUR_PARAM]
    number = stop_number(text)
    if number is None:
        del st.query_params[TOUR_PARAM]
        return f"The link's tour stop tour={quoted(text, 20)} does not exist; the tour has stops 1 to {len(STOPS)}."
    start_tour(weights, number - 1)
    return None


def tour_button(weights: RNNWeights) -> None:
    """The sidebar's way to (re)start the tour at its first stop."""
    st.button(
        f"Take the guided tour ({len(STOPS)} stops)",
        key="tour_start_sidebar",
        on_click=start_tour,
        args=(weights, 0),
        width="stretch",
        icon=":material/explore:",
    )


def tour_ui(weights: RNNWeights) -> None:
    """The open stop (its words and Back / Next / Leave), or on a first visit the offer of a tour."""
    index = st.session_state.get(STOP_KEY)
    if index is None:
        if st.session_state.get(OFFER_DONE_KEY):
            return
        with st.container(border=True, key="tour_offer"):
            st.markdown(
                f"**New here?** A {len(STOPS)}-stop tour sets the page up for you and tells you what to look at, "
                "from 50 + 18 to where the network breaks."
            )
            with st.container(horizontal=True):
                st.button("Take the tour", key="tour_start", type="primary", on_click=start_tour, args=(weights, 0))
                st.button("No thanks", key="tour_dismiss", on_click=_dismiss_offer)
        return
    stop = STOPS[index]
    if st.query_params.get(TOUR_PARAM) != str(index + 1):
        st.query_params[TOUR_PARAM] = str(index + 1)
    with st.container(border=True, key="tour_card"):
        st.markdown(f"**Tour, stop {index + 1} of {len(STOPS)}: {stop.title}**")
        with view_or_warning("This stop's words"):  # a visitor's own network may not suit every analysis
            st.markdown(stop.text(weights))
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
