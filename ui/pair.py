"""The pair on the first screen: two number boxes and a column count, the presets, and the verdict.

Also what a link says about them (``?a=50&b=18&n=10&t=3``): read once per session, written back as the page changes.
"""

from __future__ import annotations

import random

import numpy as np
import streamlit as st

from explainer import AdditionTrace, RNNWeights, parse_operand, timesteps_for
from explainer.tour import breaking_sum_title
from explainer.verify.verdict import breaking_sum
from explainer.wording import plural
from ui.echo import quoted
from ui.state import (
    A_TEXT,
    B_TEXT,
    COLUMNS,
    COLUMNS_PAIR,
    LAST_GOOD_PAIR,
    LINK_READ_PAIR,
    TIMESTEP,
    browser_holds,
    ensure_default,
    first_time,
    link_text,
    set_link,
)

DEFAULT_PAIR = (50, 18)  # the blog's own example
PRESETS = {
    "50 + 18": ((50, 18), "The blog's example."),
    "254 + 1": ((254, 1), "The blog's hardest case: no carry at all, every bit is 1."),
    "127 + 1": ((127, 1), "A carry ripples through seven columns."),
    "255 + 255": ((255, 255), "The sum needs a 9th step for the final carry."),
    "40-bit pair": ((1_000_000_000_000, 999_999_999_999), "Far longer than anything it trained on (8 bits)."),
}
BREAKS_KEY = "preset_Where it breaks"  # the verifier's counterexample; its label follows the network
RANDOM_OPERAND_LIMIT = 256  # random pairs stay in the 8-bit range the blog's network was built for
# A pair can run over more columns than its sum needs (leading zero columns), so that a network's failure in
# such a column can be seen: the property the verifier proves covers every padding. Bounded to keep a rerun cheap.
MAX_COLUMNS = 128


def set_pair(a: int, b: int) -> None:
    """Put ``a`` and ``b`` into the number boxes. For button callbacks (here and in other views): callbacks
    run before the widgets are drawn, so they may set widget state."""
    st.session_state[A_TEXT] = str(a)
    st.session_state[B_TEXT] = str(b)


def set_columns(a: int, b: int, columns: int) -> None:
    """Run ``a + b`` over ``columns`` columns (for button callbacks, with :func:`set_pair`)."""
    st.session_state[COLUMNS] = int(columns)
    st.session_state[COLUMNS_PAIR] = (a, b)


def _parse_columns(text: str, a: int, b: int) -> int:
    """``?n=…``: a whole number of columns, at least what ``a + b`` needs and at most :data:`MAX_COLUMNS`."""
    needed = timesteps_for(a, b)
    if not (text.isascii() and text.isdigit()) or len(text) > 3:
        raise ValueError("n must be a number of columns such as 18")
    columns = int(text)
    if columns < needed:
        raise ValueError(f"{a} + {b} needs at least {needed} columns; n = {columns} is fewer")
    if columns > MAX_COLUMNS:
        raise ValueError(f"at most {MAX_COLUMNS} columns; n = {columns} is more")
    return columns


def _set_random_pair() -> None:
    set_pair(random.randrange(RANDOM_OPERAND_LIMIT), random.randrange(RANDOM_OPERAND_LIMIT))


def _parse_timestep(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 3:
        raise ValueError("t must be a timestep number such as 3")
    return int(text)


def restore_from_url() -> list[str]:
    """Once per session, prefill a, b, the column count and the timestep from ``?a=50&b=18&n=10&t=3``.

    Returns notices for parameters that were junk; those fall back to the defaults. A box, the column count
    or the slider whose value the browser already holds (a tab reconnecting to a new server session) keeps
    it: see :mod:`ui.state`.
    """
    if not first_time(LINK_READ_PAIR):
        return []
    notices = []
    values = {"a": DEFAULT_PAIR[0], "b": DEFAULT_PAIR[1]}
    texts = {"a": link_text(A_TEXT), "b": link_text(B_TEXT)}
    for name, text in texts.items():
        if text is not None:
            try:
                values[name] = parse_operand(text, name)
            except ValueError as error:
                notices.append(
                    f"The link's {name}={quoted(text)} was not usable ({error}) so {name} = {values[name]} is shown."
                )
    for key, name in ((A_TEXT, "a"), (B_TEXT, "b")):
        if not browser_holds(key):
            st.session_state[key] = str(values[name])
    if browser_holds(A_TEXT) or browser_holds(B_TEXT):
        return notices  # the pair is the browser's, known once the boxes are drawn: columns_ui follows it
    columns = timesteps_for(values["a"], values["b"])
    text = link_text(COLUMNS)
    if text is not None:
        try:
            columns = _parse_columns(text, values["a"], values["b"])
        except ValueError as error:
            notices.append(
                f"The link's column count was not usable (n={quoted(text)}: {error}), so {columns} columns are shown."
            )
    set_columns(values["a"], values["b"], columns)
    text = link_text(TIMESTEP)
    if text is not None:
        try:
            timestep = _parse_timestep(text)
        except ValueError as error:
            shown = quoted(text)
            notices.append(f"The link's timestep t={shown} was not usable ({error}); showing t = 0.")
        else:
            last = columns - 1
            if timestep > last:
                notices.append(f"The link's t = {timestep} is past the last column of this sum; showing t = {last}.")
            st.session_state[TIMESTEP] = min(timestep, last)
    return notices


def save_to_url(a: int, b: int, timestep: int, columns: int | None = None) -> None:
    """Keep the address bar shareable: opening it restores this view. Other parameters are left alone.

    ``n`` (the column count) is written only when it differs from what the sum needs, so ordinary links stay short.
    """
    set_link(A_TEXT, str(a))
    set_link(B_TEXT, str(b))
    set_link(TIMESTEP, str(timestep))
    set_link(COLUMNS, str(columns) if columns is not None and columns != timesteps_for(a, b) else None)


COLUMNS_BOX_WIDTH = 112  # px: three digits, the − and + steppers


def _columns_ui(a: int, b: int, box) -> int:
    """How many columns (timesteps) ``a + b`` runs over: by default what its sum needs, max(8, bit length).

    The number box goes into ``box`` (beside the pair); a new pair starts at its default. Fewer columns than the
    sum needs are refused with a message (the sum would not fit); more show leading zero columns. Returns the
    column count to run.
    """
    needed = timesteps_for(a, b)
    if COLUMNS_PAIR not in st.session_state and browser_holds(COLUMNS):
        st.session_state[COLUMNS_PAIR] = (a, b)  # a reconnecting tab: its column count was chosen for its pair
    elif st.session_state.get(COLUMNS_PAIR) != (a, b) or COLUMNS not in st.session_state:
        set_columns(a, b, needed)
    columns = box.number_input(
        "Columns",
        min_value=1,
        max_value=MAX_COLUMNS,
        step=1,
        key=COLUMNS,
        help=f"How many columns (timesteps) the network runs over. More than the sum needs adds leading zero "
        f"columns, up to {MAX_COLUMNS}. {a} + {b} needs {needed}.",
        width=COLUMNS_BOX_WIDTH,
    )
    if columns < needed:
        st.warning(f"{a} + {b} needs at least {needed} columns, so {needed} are shown.", icon="✋")
        return needed
    if columns > needed:
        st.caption(f"{plural(columns - needed, 'leading zero column')} beyond the {needed} this sum needs.")
    return int(columns)


def pair_ui() -> tuple[int, int, int]:
    """Two text boxes (text keeps every digit: a number box would round past 2**53) and the column count, in one
    row at every width (columns would stack on a phone and push the verdict off the first screen).

    Returns the pair to show (what was typed, or the last good pair while the text is not a number) and its
    column count.
    """
    ensure_default(A_TEXT, str(DEFAULT_PAIR[0]))
    ensure_default(B_TEXT, str(DEFAULT_PAIR[1]))
    help_text = "A whole number from 0 to 18446744073709551615 (2**64 − 1)."
    with st.container(horizontal=True, wrap=False, vertical_alignment="bottom", key="operands"):
        a_text = st.text_input("a", key=A_TEXT, help=help_text, placeholder="e.g. 50")
        # Not a heading: a "+" between the h1 and the verdict's h2 would break the heading order for screen readers.
        st.markdown('<p class="plus-sign" aria-hidden="true">+</p>', unsafe_allow_html=True, width="content")
        b_text = st.text_input("b", key=B_TEXT, help=help_text, placeholder="e.g. 18")
        columns_box = st.container(width="content")  # filled once the pair is known: its default follows the pair
    errors = []
    parsed = {}
    for name, text in (("a", a_text), ("b", b_text)):
        try:
            parsed[name] = parse_operand(text, name)
        except ValueError as error:
            errors.append(str(error))
    last_good = st.session_state.get(LAST_GOOD_PAIR, DEFAULT_PAIR)
    if errors:
        for message in errors:
            st.error(message, icon="✋")
        st.caption(f"Still showing the last pair that worked: {last_good[0]} + {last_good[1]}.")
        pair = last_good
    else:
        pair = (parsed["a"], parsed["b"])
        st.session_state[LAST_GOOD_PAIR] = pair
    return pair[0], pair[1], _columns_ui(pair[0], pair[1], columns_box)


def _set_pair_and_columns(a: int, b: int, columns: int) -> None:
    set_pair(a, b)
    set_columns(a, b, columns)


def presets_ui(weights: RNNWeights) -> None:
    """One button per preset pair, in a row that wraps: on a phone they take a few lines, not one each.

    The last is the verifier's counterexample (:func:`explainer.verify.verdict.breaking_sum`), over its column
    count; on a network that gets it right (the long-sums one) its label and help say so.
    """
    chosen = breaking_sum(weights)
    with st.container(horizontal=True, wrap=True, gap="small", width="content", key="presets"):
        for label, ((preset_a, preset_b), description) in PRESETS.items():
            st.button(label, key=f"preset_{label}", help=description, on_click=set_pair, args=(preset_a, preset_b))
        if chosen is not None:
            title = breaking_sum_title(weights, chosen)
            whose = "this network" if chosen.own else "the first shipped network"
            outcome = "one of its bits comes out wrong" if title == "Where it breaks" else "this network gets it right"
            st.button(
                title,
                key=BREAKS_KEY,
                help=f"{chosen.a} + {chosen.b} over {chosen.columns} columns: the sum the verifier found "
                f"{whose} gets wrong. Here {outcome}.",
                on_click=_set_pair_and_columns,
                args=(chosen.a, chosen.b, chosen.columns),
            )
        st.button("Random pair", key="preset_random", help="A random pair below 256.", on_click=_set_random_pair)


def verdict_ui(trace: AdditionTrace, source_label: str = "The RNN") -> None:
    """The answer first: what the network said, and whether Python's ``+`` agrees."""
    st.markdown(f"## {trace.verdict(source_label)}")
    if trace.is_correct:
        st.caption(
            f"Right: Python's + also gives {trace.true_sum}. It took {trace.timesteps} timesteps, one per column."
        )
    else:
        wrong_steps = [str(step) for step in np.flatnonzero(~trace.correct)]
        if len(wrong_steps) == 1:
            where = f"The bit at timestep {wrong_steps[0]} is wrong."
        else:
            where = f"The bits at timesteps {', '.join(wrong_steps)} are wrong."
        st.error(f"Wrong: the true sum is {trace.true_sum}. {where}")
