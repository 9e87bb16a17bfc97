"""The ablation controls: zero or clamp hidden units, in a popover beside the verdict they change; mirrored in the URL.

:func:`ablation_ui` returns the :class:`~explainer.analysis.Ablation` to pass to ``trace_addition`` and to
``ui.insight.insight_ui``. It reads and writes ``?ablate=3,7&clamp=5:0.9`` so an ablation can be shared.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from explainer.analysis import (
    CARRY_UNIT_CRITERION,
    Ablation,
    format_ablation_query,
    make_ablation,
    parse_ablation_query,
)
from ui.echo import link_notice, quoted
from ui.state import (
    ABLATE_CLAMPED,
    ABLATE_ZEROED,
    CLAMP_VALUE_PREFIX,
    LINK_READ_ABLATION,
    browser_holds,
    ensure_default,
    first_time,
    link_get,
    set_link,
    url_name,
)


def _clamp_key(unit: int) -> str:
    return f"{CLAMP_VALUE_PREFIX}{unit}"


def _restore_ablation_from_url(hidden_units: int) -> str | None:
    """Once per session, fill the ablation widgets from the URL. Returns a notice if the URL was junk.

    A tab reconnecting to a new server session keeps the ablation its browser holds (see :mod:`ui.state`)."""
    if not first_time(LINK_READ_ABLATION) or browser_holds(ABLATE_ZEROED) or browser_holds(ABLATE_CLAMPED):
        return None
    notice = None
    try:
        zeroed, clamped = parse_ablation_query(link_get(ABLATE_ZEROED), link_get(ABLATE_CLAMPED), hidden_units)
    except ValueError as error:
        names = [name for name in ("ablate", "clamp") if name in st.query_params]
        given = ", ".join(f"{name}={quoted(st.query_params[name])}" for name in names)
        notice = f"The link's ablation ({given}) could not be used ({error}) so no units are ablated."
        zeroed, clamped = frozenset(), {}
    st.session_state[ABLATE_ZEROED] = sorted(zeroed)
    st.session_state[ABLATE_CLAMPED] = sorted(clamped)
    for unit, value in clamped.items():
        st.session_state[_clamp_key(unit)] = float(value)
    return notice


def write_ablation_link(zeroed, clamped: dict[int, float]) -> None:
    """The ablation in the address bar (``ablate=3,7&clamp=5:0.9``), or neither parameter when there is none."""
    wanted = format_ablation_query(set(zeroed), clamped)
    for key in (ABLATE_ZEROED, ABLATE_CLAMPED):
        set_link(key, wanted.get(url_name(key)))


def _clear_ablation() -> None:
    st.session_state[ABLATE_ZEROED] = []
    st.session_state[ABLATE_CLAMPED] = []


def _zero_units(units: tuple[int, ...]) -> None:
    st.session_state[ABLATE_ZEROED] = sorted(units)
    st.session_state[ABLATE_CLAMPED] = [unit for unit in st.session_state.get(ABLATE_CLAMPED, []) if unit not in units]


def _popover_label(hidden_units: int) -> str:
    """What the popover's button says: what is switched off now, so a changed verdict has its reason in sight."""
    try:
        current = make_ablation(
            hidden_units,
            set(st.session_state.get(ABLATE_ZEROED, [])),
            {
                unit: float(st.session_state.get(_clamp_key(unit), 0.5))
                for unit in st.session_state.get(ABLATE_CLAMPED, [])
                if unit not in st.session_state.get(ABLATE_ZEROED, [])
            },
        )
    except ValueError:
        current = None
    return "Switch units off" if current is None else f"Switched off: {current.describe()}"


def ablation_ui(hidden_units: int, carry_units: Sequence[int] = (), notices=None) -> Ablation | None:
    """Pick hidden units to zero or clamp, in a popover whose button says what is ablated; returns the
    :class:`Ablation` to run the network with, or ``None``.

    ``carry_units`` (e.g. ``carry_probe(weights).top_carry_units``) adds a one-click "zero the carry units".
    The choice is mirrored in the URL (``ablate=3,7``, ``clamp=5:0.9``); a URL that does not parse falls
    back to no ablation with a warning, drawn into ``notices`` (a container; by default here).
    """
    notice = _restore_ablation_from_url(hidden_units)
    if notice:
        with notices if notices is not None else st.container():
            link_notice(notice)
    # A different network may have fewer units than the ones chosen before: drop those that no longer exist.
    for key in (ABLATE_ZEROED, ABLATE_CLAMPED):
        if key in st.session_state:
            st.session_state[key] = [unit for unit in st.session_state[key] if 0 <= unit < hidden_units]
        else:
            ensure_default(key, [])
    with st.popover(_popover_label(hidden_units), icon=":material/content_cut:", key="ablation_popover"):
        st.caption("Switch hidden units off, or hold them at a value, and watch what breaks.")
        return _ablation_controls(hidden_units, carry_units)


def _ablation_controls(hidden_units: int, carry_units: Sequence[int]) -> Ablation | None:
    units = list(range(hidden_units))
    zeroed, clamp_units = (
        st.multiselect(label, units, key=key, format_func=lambda unit: f"unit {unit}", help=help_text)
        for label, key, help_text in (
            (
                "Units to zero",
                ABLATE_ZEROED,
                "These units output 0 at every step, whatever they would have computed.",
            ),
            ("Units to clamp", ABLATE_CLAMPED, "These units are held at a fixed value of your choice at every step."),
        )
    )
    clamped = {}
    for unit in clamp_units:
        if unit in zeroed:
            st.caption(f"Unit {unit} is zeroed, so its clamp is ignored.")
            continue
        ensure_default(_clamp_key(unit), 0.5)
        clamped[unit] = st.slider(f"Unit {unit} held at", 0.0, 1.0, step=0.001, format="%.3f", key=_clamp_key(unit))
    if carry_units:
        st.button(
            f"Zero the carry units ({', '.join(str(unit) for unit in carry_units)})",
            key="ablate_carry_units",
            on_click=_zero_units,
            args=(tuple(int(unit) for unit in carry_units),),
            help=f"The units the carry probe reads the carry from most: {CARRY_UNIT_CRITERION}.",
            width="stretch",
        )
    st.button(
        "Clear the ablation",
        key="ablate_clear",
        on_click=_clear_ablation,
        disabled=not (zeroed or clamp_units),
        width="stretch",
    )

    write_ablation_link(zeroed, clamped)
    return make_ablation(hidden_units, set(zeroed), clamped)
