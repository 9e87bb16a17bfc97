""" "Transplant the carry": the interchange interventions' table and IIA by column, for the network on the page.

The computing is :func:`explainer.analysis.alignment_search.interchange_table` (cached per network, shared by every
session); the figure is :mod:`explainer.figures.interchange`, the tables :mod:`explainer.figures.tables`.
"""

from __future__ import annotations

import streamlit as st

from explainer import AdditionTrace, RNNWeights
from explainer.analysis import Ablation, describe_ablation
from explainer.analysis.alignment_search import (
    CARRY_UNITS,
    LEARNED_DIRECTION,
    PROBE_DIRECTION,
    WHOLE_STATE,
    InterchangeTable,
    alignment_label,
    alignment_sentence,
    illusion_sentence,
    interchange_table,
)
from explainer.analysis.interchange import flipped_carry_source, transplant_pair
from explainer.figures.interchange import iia_by_column_figure, transplant_heatmaps_figure
from explainer.figures.tables import iia_by_column_table, iia_table, pair_transplant_table, transplant_states_table
from explainer.model.encoding import parse_operand, timesteps_for
from ui.charts import show_chart, show_table
from ui.echo import link_notice, quoted
from ui.state import (
    LINK_READ_TRANSPLANT,
    TRANSPLANT_COLUMN,
    TRANSPLANT_SOURCE,
    TRANSPLANT_SOURCE_A,
    TRANSPLANT_SOURCE_B,
    TRANSPLANT_WHAT,
    ensure_default,
    first_time,
    link_text,
    set_link,
    slug,
    url_name,
)

VIEW_NAME = "Transplant the carry"
# The rows drawn as lines and given a sentence; every unit's row is in the table.
_NAMED = (WHOLE_STATE, CARRY_UNITS, PROBE_DIRECTION, LEARNED_DIRECTION)


def interchange_view(weights: RNNWeights, trace: AdditionTrace, ablation: Ablation | None = None) -> None:
    """The IIA table and IIA by column for ``weights``, each row with the sentence its numbers license.

    The transplants run on the intact network: with an ``ablation`` on the page, a caption says so.
    """
    st.caption(
        "**What to look for:** a probe *reads* the carry from the state; a transplant tests whether the network "
        "*uses* it. Take the state hₜ from another sum (the source), put part of it into this run at column t, and see "
        "whether every later bit is the one written addition gives with the source's carry. A row near 100% "
        "where the carries differ holds the carry the network uses; the grey band is what random directions reach."
    )
    with st.spinner("Transplanting states…"):
        table = interchange_table(weights)
    if ablation is not None:
        st.caption(
            f"These transplants run on the intact network; the ablation ({describe_ablation(ablation)}) is not applied."
        )
    st.caption(f"Population: {table.population}. Base and source carries differ in {table.share_carries_differ:.1%}.")
    present = [name for name in _NAMED if any(row.name == name for row in table.rows)]
    for name in present:
        st.write(alignment_sentence(table.row(name), table))
    st.write(illusion_sentence(table))
    lines = [(name, table.row(name).iia_by_column) for name in present]
    low = [min(row.iia_by_column[t] for row in table.random) for t in range(len(table.random_by_column))]
    high = [max(row.iia_by_column[t] for row in table.random) for t in range(len(table.random_by_column))]
    show_chart(
        iia_by_column_figure(lines, low, table.random_by_column, high),
        key="insight_interchange_chart",
        alt=(
            "Interchange intervention accuracy by the column the state was transplanted at, one line for each of "
            + ", ".join(alignment_label(table.row(name), table) for name in present)
            + ", over a grey band for random directions."
        ),
    )
    show_table(iia_table(table), key="insight_interchange_table")
    with st.expander("IIA by column as a table (for screen readers)"):
        show_table(iia_by_column_table(lines, table.random_by_column), key="insight_interchange_columns")
    _pair_transplant_ui(weights, trace, table)


# Where the source comes from: the pair that differs from this one only in column t (its carry flipped there), or
# a pair the visitor types (its own carry out of column t, whichever way that goes).
FLIPPED, TYPED = "flipped", "typed"
SOURCE_LABELS = {FLIPPED: "the pair that differs only in column t", TYPED: "a pair I type"}


def _link_name(name: str) -> str:
    """A row's name as the address bar spells it: "probe's direction" → "probes-direction"."""
    return slug(name.replace("'", ""))


def _from_link(columns: int, names: list[str]) -> list[str]:
    """Once per session, set the panel's choices from the link (``patch_t``, ``patch``, ``patch_a``/``patch_b``).
    Returns a notice for each value it cannot use; that choice keeps its default."""
    if not first_time(LINK_READ_TRANSPLANT):
        return []
    notices = []
    text = link_text(TRANSPLANT_COLUMN)
    if text is not None:
        if text.isascii() and text.isdigit() and int(text) < columns:
            st.session_state[TRANSPLANT_COLUMN] = int(text)
        else:
            notices.append(
                f"The link's {url_name(TRANSPLANT_COLUMN)}={quoted(text)} is not a column from 0 to {columns - 1} "
                "of this pair; transplanting at column 0."
            )
    text = link_text(TRANSPLANT_WHAT)
    if text is not None:
        by_slug = {_link_name(name): name for name in names}
        if text in by_slug:
            st.session_state[TRANSPLANT_WHAT] = by_slug[text]
        else:
            notices.append(
                f"The link's {url_name(TRANSPLANT_WHAT)}={quoted(text)} is not one of {', '.join(by_slug)}; "
                f"transplanting the {names[0]}."
            )
    texts = {key: link_text(key) for key in (TRANSPLANT_SOURCE_A, TRANSPLANT_SOURCE_B)}
    if any(text is not None for text in texts.values()):
        try:
            for key, text in texts.items():
                if text is None:
                    raise ValueError(f"{url_name(key)} is missing: a typed source needs both patch_a and patch_b.")
                parse_operand(text, url_name(key))
        except ValueError as error:
            shown = ", ".join(f"{url_name(key)}={quoted(text)}" for key, text in texts.items() if text is not None)
            notices.append(f"The link's source ({shown}) cannot be used: {error} Using {SOURCE_LABELS[FLIPPED]}.")
        else:
            st.session_state[TRANSPLANT_SOURCE] = TYPED
            for key, text in texts.items():
                st.session_state[key] = text.strip()
    return notices


def _typed_source(trace: AdditionTrace, column: int) -> tuple[int, int] | None:
    """The two source boxes (first filled with the flipped pair); the source, or None after saying what is wrong."""
    flipped = flipped_carry_source(trace.a, trace.b, column)
    ensure_default(TRANSPLANT_SOURCE_A, str(flipped[0]))
    ensure_default(TRANSPLANT_SOURCE_B, str(flipped[1]))
    left, right = st.columns(2)
    with left:
        a_text = st.text_input("Source a", key=TRANSPLANT_SOURCE_A)
    with right:
        b_text = st.text_input("Source b", key=TRANSPLANT_SOURCE_B)
    try:
        source = parse_operand(a_text, "Source a"), parse_operand(b_text, "Source b")
    except ValueError as error:
        st.error(f"{error} The transplant needs a source pair.")
        return None
    needed = timesteps_for(*source)
    if needed > trace.timesteps:
        st.error(
            f"{source[0]} + {source[1]} needs {needed} columns, and {trace.a} + {trace.b} runs over "
            f"{trace.timesteps}: the source's state must come from a run as long as this one. Type a smaller "
            "source, or give this pair more columns."
        )
        return None
    return source


def _save_to_link(column: int, name: str, source: tuple[int, int] | None) -> None:
    set_link(TRANSPLANT_COLUMN, str(column))
    set_link(TRANSPLANT_WHAT, _link_name(name))
    set_link(TRANSPLANT_SOURCE_A, None if source is None else str(source[0]))
    set_link(TRANSPLANT_SOURCE_B, None if source is None else str(source[1]))


@st.fragment
def _pair_transplant_ui(weights: RNNWeights, trace: AdditionTrace, table: InterchangeTable) -> None:
    """Transplant the carry into this pair at one column, from the pair that carries the other way there or from
    a pair the visitor types. A fragment: a change here reruns only this panel."""
    st.subheader("Transplant the carry into this pair")
    names = [name for name in _NAMED if any(row.name == name for row in table.rows)]
    columns = trace.timesteps - 1  # h_t at the last column carries nothing further
    for notice in _from_link(columns, names):
        link_notice(notice)
    if st.session_state.get(TRANSPLANT_COLUMN, 0) >= columns:  # a shorter pair since the column was chosen
        st.session_state[TRANSPLANT_COLUMN] = columns - 1
    if st.session_state.get(TRANSPLANT_WHAT) not in names:
        st.session_state.pop(TRANSPLANT_WHAT, None)
    ensure_default(TRANSPLANT_COLUMN)
    ensure_default(TRANSPLANT_WHAT, names[0])
    ensure_default(TRANSPLANT_SOURCE)
    left, middle, right = st.columns(3)
    with left:
        column = st.select_slider("Column t to transplant at", options=list(range(columns)), key=TRANSPLANT_COLUMN)
    with middle:
        name = st.selectbox(
            "What to transplant",
            names,
            format_func=lambda name: alignment_label(table.row(name), table),
            key=TRANSPLANT_WHAT,
        )
    with right:
        mode = st.radio("Source", list(SOURCE_LABELS), format_func=SOURCE_LABELS.get, key=TRANSPLANT_SOURCE)
    column = int(column)
    source = _typed_source(trace, column) if mode == TYPED else None
    _save_to_link(column, name, source)
    if mode == TYPED and source is None:
        return
    row = table.row(name)
    chosen = alignment_label(row, table)
    result = transplant_pair(weights, trace.a, trace.b, column, row.basis, source=source, timesteps=trace.timesteps)
    verdict = "followed" if result.moved else "did not all follow"
    if source is None:
        how = f"the same columns except column {column}, so it carries"
    elif result.source_carry != result.base_carry:
        how = "which carries"
    else:
        how = "which carries the same way:"
    st.write(
        f"Source: {result.source_a} + {result.source_b}, {how} {result.source_carry} out of column {column} where "
        f"{trace.a} + {trace.b} carries {result.base_carry}. After transplanting {chosen} at column {column} from "
        f"the source, the later bits {verdict} written addition with the source's carry."
    )
    show_table(pair_transplant_table(result), key="insight_interchange_pair")
    show_chart(
        transplant_heatmaps_figure(result.plain_hidden, result.patched_hidden, result.column),
        key="insight_interchange_heatmaps",
        alt=(
            f"Heatmaps of the {trace.hidden_units} hidden units over {len(result.plain_bits)} columns for {trace.a} + "
            f"{trace.b}: before the transplant, after it at column {column}, and their difference, which is zero "
            f"before column {column}."
        ),
    )
    with st.expander("The hidden units before and after, as a table (for screen readers)"):
        show_table(transplant_states_table(result), key="insight_interchange_states")
