"""The main view: type two numbers, see the verdict, the unfolded addition and the hidden state."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import streamlit as st

from explainer import AdditionTrace, RNNWeights, parse_operand, timesteps_for
from explainer.analysis.probe import PROBE_CARRY_IN
from explainer.byte_cache import ByteCache
from explainer.figures.step_drawing import step_drawing
from explainer.figures.step_equations import step_equations, step_sentences
from explainer.figures.style import CARRY, HIGHLIGHT, math_text
from explainer.figures.tables import step_table, trace_csv, trace_table
from explainer.figures.unfolded_drawing import UnfoldedDrawing, unfolded_drawing
from explainer.figures.weights import weights_figure
from explainer.tour import breaking_sum_title
from explainer.verify.verdict import breaking_sum
from explainer.wording import plural, power_of_two
from ui.charts import show_chart, show_drawing
from ui.echo import quoted
from ui.state import (
    A_TEXT,
    B_TEXT,
    COLUMNS,
    COLUMNS_PAIR,
    LAST_GOOD_PAIR,
    LINK_READ_PAIR,
    SHOW_WHOLE_SUM,
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


def columns_ui(a: int, b: int) -> int:
    """How many columns (timesteps) ``a + b`` runs over: by default what its sum needs, max(8, bit length).

    A new pair starts at its default. Fewer columns than the sum needs are refused with a message (the sum
    would not fit); more show leading zero columns. Returns the column count to run.
    """
    needed = timesteps_for(a, b)
    if COLUMNS_PAIR not in st.session_state and browser_holds(COLUMNS):
        st.session_state[COLUMNS_PAIR] = (a, b)  # a reconnecting tab: its column count was chosen for its pair
    elif st.session_state.get(COLUMNS_PAIR) != (a, b) or COLUMNS not in st.session_state:
        set_columns(a, b, needed)
    column_input, column_note = st.columns([3, 9], vertical_alignment="bottom")
    columns = column_input.number_input(
        "Columns (timesteps)",
        min_value=1,
        max_value=MAX_COLUMNS,
        step=1,
        key=COLUMNS,
        help=f"Run the pair over more columns than its sum needs (leading zero columns), up to {MAX_COLUMNS}. "
        f"{a} + {b} needs {needed}.",
    )
    if columns < needed:
        column_note.warning(f"{a} + {b} needs at least {needed} columns, so {needed} are shown.", icon="✋")
        return needed
    if columns > needed:
        column_note.caption(f"{plural(columns - needed, 'leading zero column')} beyond the {needed} this sum needs.")
    return int(columns)


def operands_ui() -> tuple[int, int]:
    """Two text boxes (text keeps every digit: a number box would round past 2**53) and presets.

    Returns the pair to show: what was typed, or the last good pair while the text is not a number.
    """
    ensure_default(A_TEXT, str(DEFAULT_PAIR[0]))
    ensure_default(B_TEXT, str(DEFAULT_PAIR[1]))
    help_text = "A whole number from 0 to 18446744073709551615 (2**64 − 1)."
    # One row at every width (columns would stack on a phone and push the verdict off the first screen).
    with st.container(horizontal=True, wrap=False, vertical_alignment="bottom", key="operands"):
        a_text = st.text_input("a", key=A_TEXT, help=help_text, placeholder="e.g. 50")
        # Not a heading: a "+" between the h1 and the verdict's h2 would break the heading order for screen readers.
        st.markdown('<p class="plus-sign" aria-hidden="true">+</p>', unsafe_allow_html=True, width="content")
        b_text = st.text_input("b", key=B_TEXT, help=help_text, placeholder="e.g. 18")
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

    return pair


def _set_pair_and_columns(a: int, b: int, columns: int) -> None:
    set_pair(a, b)
    set_columns(a, b, columns)


def presets_ui(weights: RNNWeights) -> None:
    """One button per preset pair, in a row that wraps: on a phone they take a few lines, not one each.

    The last is the verifier's counterexample (:func:`explainer.verify.verdict.breaking_sum`), over its column
    count; on a network that gets it right (the long-sums one) its label and help say so.
    """
    chosen = breaking_sum(weights)
    with st.container(horizontal=True, gap="small", key="presets"):
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


def _move_timestep(target: int) -> None:
    # The target is fixed when the button is drawn, from the step then shown, not read back from the slider:
    # a click that comes right after a step can carry the slider's previous value (the browser updates its
    # copy of the slider a moment after it shows the new step), which would undo the step before this ran.
    st.session_state[TIMESTEP] = target


def timestep_ui(timesteps: int) -> int:
    """Previous / slider / next. The chosen column is outlined in every view."""
    if TIMESTEP in st.session_state:
        if not 0 <= st.session_state[TIMESTEP] < timesteps:  # a shorter sum may end before it
            st.session_state[TIMESTEP] = int(np.clip(st.session_state[TIMESTEP], 0, timesteps - 1))
    else:
        ensure_default(TIMESTEP, 0)
    column_previous, column_slider, column_next = st.columns([2, 12, 2], vertical_alignment="bottom")
    # The slider first (the buttons sit left and right of it all the same): their targets come from the step it
    # shows, which for a tab reconnecting to a new server session is known only once the slider is drawn.
    with column_slider:
        timestep = int(
            st.slider(
                "Step through time (t = 0 is the rightmost column, the 2⁰ bits)",
                min_value=0,
                max_value=timesteps - 1,
                key=TIMESTEP,
            )
        )
    column_previous.button(
        "◀ Previous",
        key="timestep_previous",
        on_click=_move_timestep,
        args=(max(timestep - 1, 0),),
        disabled=timestep == 0,
        width="stretch",
    )
    column_next.button(
        "Next ▶",
        key="timestep_next",
        on_click=_move_timestep,
        args=(min(timestep + 1, timesteps - 1),),
        disabled=timestep == timesteps - 1,
        width="stretch",
    )
    return timestep


def _trace_digest(trace: AdditionTrace, probe_carry: np.ndarray | None) -> str:
    """What the unfolded drawing of ``trace`` is drawn from: the bits, every h_t and o_t (so the network and any
    ablation), and the probe's reading."""
    digest = hashlib.blake2b(f"{trace.a}+{trace.b}".encode(), digest_size=16)
    for array in (trace.input_bits, trace.hidden, trace.output_probability, probe_carry):
        digest.update(b"-" if array is None else np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


_DRAWINGS = ByteCache(16 * 2**20)  # SVG text: ~40 kB for 8 columns, ~190 kB for 41; shared by every session


def _unfolded_drawing(
    digest: str, trace: AdditionTrace, probe_carry: np.ndarray | None, highlighted_units: tuple[int, ...]
) -> UnfoldedDrawing:
    """The unfolded drawing of one trace, built once per trace (keyed by ``digest``) and shared: it is immutable.
    A step click then only draws the chosen column's marks."""
    key = (digest, highlighted_units)
    return _DRAWINGS.get_or_compute(key, lambda: unfolded_drawing(trace, probe_carry, highlighted_units))


def unfolded_ui(
    trace: AdditionTrace,
    timestep: int,
    probe_carry: np.ndarray | None = None,
    highlighted_units: tuple[int, ...] = (),
    carry_units_note: str = "",
) -> None:
    """The unfolded addition with the heatmap and output strip under it, columns aligned.

    ``carry_units_note`` (e.g. ``CarryProbe.carry_units_sentence()``) says why no units are outlined, if none are.
    """
    drawing = _unfolded_drawing(_trace_digest(trace, probe_carry), trace, probe_carry, tuple(highlighted_units))
    whole_sum = st.toggle(
        "Show the whole sum",
        key=SHOW_WHOLE_SUM,
        help="Off: the columns after the chosen step are covered, as they are not worked out yet. On: every column.",
    )
    marks = drawing.chosen_column(timestep, unfold=not whole_sum)
    show_drawing(drawing.body, key="unfolded_chart", marks=marks, column=timestep)
    carry_note = ""
    if highlighted_units:
        names = ", ".join(str(unit) for unit in highlighted_units)
        carry_note = (
            f" Units {names} ({CARRY.name} dotted outlines) are the ones a linear probe reads the carry from most."
        )
    elif carry_units_note:
        carry_note = " " + carry_units_note
    if probe_carry is not None:
        last = trace.timesteps - 1
        carry_note += (
            f" The row '{PROBE_CARRY_IN}' is what the probe reads from hₜ₋₁, the state before column t: the carry "
            f"coming in (· at t = 0, where there is no state yet). From the last state {math_text(f'h_({last})')} it "
            "reads a final "
            f"carry out of {int(probe_carry[last])} (true: {int(trace.carry_out[last])})."
        )
    reached = (
        ""
        if whole_sum or timestep == trace.timesteps - 1
        else f"Columns after t = {timestep} are covered: the network has not reached them yet (only a and b are "
        f"known, as on paper). The {CARRY.name} arrow takes this column's carry to the next one. "
    )
    st.caption(
        "**What to look for:** " + reached + "Read right to left, like a written sum. Where the carry row shows 1, "
        "look for units that switch and hold while it stays 1." + carry_note + " The bottom strip "
        f"is the network's confidence that the sum bit is 1; the column outlined in {HIGHLIGHT.name} is the step "
        "you chose."
    )
    # Built only while open (a step click does not redo a table that does not change with the step); the CSV
    # only when downloaded.
    table = st.expander(
        "The same as a table (for screen readers), and a CSV download", key="trace_table_open", on_change="rerun"
    )
    if table.open:
        table.dataframe(trace_table(trace, probe_carry), hide_index=True, key="trace_table")
        table.download_button(
            "Download this trace as CSV",
            lambda: trace_csv(trace, probe_carry),
            file_name=f"trace_{trace.a}_plus_{trace.b}.csv",
            mime="text/csv",
            key="download_trace_csv",
            on_click="ignore",
        )


def step_ui(trace: AdditionTrace, weights: RNNWeights, timestep: int) -> None:
    """The equation of one step with its real numbers, split into what came in now and what was carried."""
    bits = trace.input_bits[timestep]
    st.markdown(
        f"**Step t = {timestep}** reads the {power_of_two(timestep)} column: a bit {bits[0]}, b bit {bits[1]}"
        f" (true carry in {trace.carry_in[timestep]}, true sum bit {trace.sum_bits[timestep]})."
    )
    for line in step_equations(trace, timestep):
        st.latex(line)
    show_drawing(step_drawing(trace, weights, timestep), key="step_chart")
    # Every sentence is read off the numbers drawn above (explainer.figures.step_equations.step_sentences).
    st.caption(
        "**What the chart shows:** "
        + " ".join(step_sentences(trace, weights.output_weights[:, 0], timestep))
        + " A large memory term is not by itself the carry: compare the same column with a carry coming in and "
        "without one (t = 1 of 127 + 1 and of 126 + 1)."
    )
    table = st.expander("These numbers as a table", key="step_table_open", on_change="rerun")
    if table.open:  # built only while open
        table.dataframe(step_table(trace, timestep), hide_index=True, key="step_table")


def weights_ui(weights: RNNWeights) -> None:
    """The 304 numbers the network learned."""
    show_chart(
        weights_figure(weights),
        key="weights_chart",
        alt="Heatmaps of the input, recurrent and output weight matrices, stacked with one column per hidden unit; "
        "the recurrent matrix's diagonal is outlined.",
    )
    count = weights.input_weights.size + weights.recurrent_weights.size + weights.output_weights.size
    recurrent = weights.recurrent_weights
    diagonal = np.diag(recurrent)
    own = int(np.argmax(np.abs(diagonal)))
    between = np.abs(recurrent - np.diag(diagonal))
    source, target = (int(index) for index in np.unravel_index(int(np.argmax(between)), recurrent.shape))
    st.caption(
        f"**What to look for:** all {count} learned numbers, on one colour scale. Blue is positive, red negative, "
        "white zero. Each column is one hidden unit: down it, what it gets from the two input bits (W_x), from "
        "every unit's value one step earlier (W_h), and what it sends to the output (W_o). The outlined diagonal "
        "of W_h is each unit's weight onto its own next value. Here the largest is unit "
        f"{own}'s ({diagonal[own]:+.2f}); the largest between two different units is unit {source} → unit "
        f"{target} ({recurrent[source, target]:+.2f})."
    )
    with st.expander("The weights as tables"):
        units = [f"unit {unit}" for unit in range(weights.hidden_units)]
        st.write("W_x (rows: a bit, b bit)")
        st.dataframe(np.round(weights.input_weights, 4), key="table_input_weights")
        st.write("W_h (row: unit at t−1, column: unit at t)")
        st.dataframe(np.round(weights.recurrent_weights, 4), key="table_recurrent_weights")
        st.write("W_o")
        st.dataframe({"unit": units, "W_o": np.round(weights.output_weights[:, 0], 4)}, key="table_output_weights")
