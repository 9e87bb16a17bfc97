"""The main view: step through time, the unfolded addition and the hidden state, one step's equation, the weights."""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from explainer import AdditionTrace, RNNWeights
from explainer.analysis.probe import PROBE_CARRY_IN
from explainer.byte_cache import ByteCache
from explainer.figures.step_drawing import step_drawing
from explainer.figures.step_equations import step_equations, step_sentences
from explainer.figures.style import CARRY, HIGHLIGHT, math_text
from explainer.figures.tables import step_table, trace_csv, trace_table
from explainer.figures.unfolded_drawing import UnfoldedDrawing, unfolded_drawing
from explainer.figures.weights import weights_figure
from explainer.wording import power_of_two
from ui.charts import STEP_DRAWING, show_chart, show_drawing
from ui.state import SHOW_WHOLE_SUM, TIMESTEP, ensure_default


def _move_timestep(target: int) -> None:
    # The target is fixed when the button is drawn, from the step then shown, not read back from the slider:
    # a click that comes right after a step can carry the slider's previous value (the browser updates its
    # copy of the slider a moment after it shows the new step), which would undo the step before this ran.
    st.session_state[TIMESTEP] = target


def column_chooser(timesteps: int):
    """The callback of a click on a column of the unfolded drawing: that column becomes the step, as with the slider
    (the value comes from the browser: anything but a column of this sum is ignored)."""

    def choose(column: object) -> None:
        if isinstance(column, int) and not isinstance(column, bool) and 0 <= column < timesteps:
            st.session_state[TIMESTEP] = column

    return choose


def timestep_ui(timesteps: int) -> int:
    """Previous / slider / next. The chosen column is outlined in every view."""
    if TIMESTEP in st.session_state:
        if not 0 <= st.session_state[TIMESTEP] < timesteps:  # a shorter sum may end before it
            st.session_state[TIMESTEP] = int(np.clip(st.session_state[TIMESTEP], 0, timesteps - 1))
    else:
        ensure_default(TIMESTEP, 0)
    column_previous, column_slider, column_next = st.columns([3, 10, 3], vertical_alignment="bottom")
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


def whole_sum_ui() -> None:
    """The "Show the whole sum" switch (drawn beside ▶ Play; :func:`unfolded_ui` reads it)."""
    st.toggle(
        "Show the whole sum",
        key=SHOW_WHOLE_SUM,
        help="Off: the columns after the chosen step are covered, as they are not worked out yet. On: every column.",
        width="content",
    )


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
    whole_sum = bool(st.session_state.get(SHOW_WHOLE_SUM))  # the switch beside ▶ Play (whole_sum_ui)
    marks = drawing.chosen_column(timestep, unfold=not whole_sum)
    show_drawing(
        drawing.body, key="unfolded_chart", marks=marks, column=timestep, on_column=column_chooser(trace.timesteps)
    )
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
        "you chose: click or tap a column to step there."
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
    show_drawing(step_drawing(trace, weights, timestep), key=STEP_DRAWING)
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
        "white zero. Each column is one hidden unit: down it, what it gets from the two input bits (Wₓ), from "
        "every unit's value one step earlier (Wₕ), and what it sends to the output (Wₒ). The outlined diagonal "
        "of Wₕ is each unit's weight onto its own next value. Here the largest is unit "
        f"{own}'s ({diagonal[own]:+.2f}); the largest between two different units is unit {source} → unit "
        f"{target} ({recurrent[source, target]:+.2f})."
    )
    with st.expander("The weights as tables"):
        units = [f"unit {unit}" for unit in range(weights.hidden_units)]
        st.write("Wₓ (rows: a bit, b bit)")
        st.dataframe(np.round(weights.input_weights, 4), key="table_input_weights")
        st.write("Wₕ (row: unit at t−1, column: unit at t)")
        st.dataframe(np.round(weights.recurrent_weights, 4), key="table_recurrent_weights")
        st.write("Wₒ")
        st.dataframe({"unit": units, "Wₒ": np.round(weights.output_weights[:, 0], 4)}, key="table_output_weights")
