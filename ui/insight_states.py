""" "What did it learn?" about the hidden states themselves: the state space and the extracted machine.

Both follow the page's step t (the slider, ◀/▶ or a click on a column of the unfolded addition): the state space
rings h_t, the point step t leaves the network at, and the machine rings the state h_t falls in. The pictures are
:mod:`explainer.figures.insight`'s; :mod:`ui.insight` picks the view.
"""

from __future__ import annotations

import streamlit as st

from explainer import AdditionTrace, RNNWeights
from explainer.analysis import Ablation, describe_ablation, exact_accuracy, extract_machine, state_space
from explainer.figures.insight import state_space_figure
from explainer.figures.lazy_pandas import pd
from explainer.figures.machine import machine_diagram_figure
from explainer.figures.style import HIGHLIGHT, math_text
from explainer.figures.tables import seed_runs_table, state_space_path_table
from explainer.glossary import explain, words_caption
from ui.charts import show_chart, show_table
from ui.proof import verdict_sentence


def look_for(text: str) -> None:
    st.caption(f"**What to look for:** {text}")


def state_space_view(weights: RNNWeights, trace: AdditionTrace, timestep: int) -> None:
    space = state_space(weights)
    colour_by = st.radio("Colour by", ("carry", "column sum"), key="insight_state_colour", horizontal=True)
    look_for(
        "whether the two carry colours fall in separate regions. These are only the two directions that keep most "
        "of the states' spread; how well the whole state tells the carry apart is the carry probe's number, not "
        "this picture's. The arrows are this addition, one per column, labelled with its bits a+b."
    )
    colours = space.point_carry if colour_by == "carry" else space.point_column_sum
    path = space.path(trace.hidden)
    labels = [f"{a_bit}+{b_bit}" for a_bit, b_bit in trace.input_bits]
    show_chart(
        state_space_figure(
            space.points, colours, colour_by, path, labels, space.explained_variance_ratio, current_step=timestep
        ),
        key="insight_state_space",
        alt=f"Every hidden state projected to two dimensions, coloured by carry, with this addition's path; the "
        f"state after step t={timestep} is ringed.",
    )
    state = math_text(f"h_({timestep})")  # printed as hₜ is, not typed
    st.caption(
        f"Ringed in {HIGHLIGHT.name}: {state}, where step t={timestep} ({trace.input_bits[timestep, 0]}+"
        f"{trace.input_bits[timestep, 1]}) leaves the network, and the arrow that step took. Click a column of the "
        "addition above to move it; point at one (or reach it with Tab) and its state is ringed dashed. "
        + words_caption("direction of most spread")
    )
    with st.expander("This addition's path as a table (for screen readers)"):
        show_table(state_space_path_table(trace, path), key="insight_state_space_table")


def machine_view(weights: RNNWeights, trace: AdditionTrace, timestep: int, ablation: Ablation | None) -> None:
    machine = extract_machine(weights, ablation)
    look_for(
        "after minimising, the network's states boil down to a machine you can read. If it has two states and "
        "matches written addition edge for edge, the network's grouped states step like the carry machine on the "
        "pairs they were extracted from; longer sums are another question (“Proof at every length”)."
    )
    columns = st.columns(4)
    columns[0].metric("Clusters", machine.cluster_count)
    columns[1].metric("States after minimising", machine.minimal.state_count)
    columns[2].metric("Fidelity, 16,384 pairs", f"{machine.fidelity_7bit:.2%}", help=explain("fidelity"))
    columns[3].metric("Fidelity, 65,536 8-bit pairs", f"{machine.fidelity_8bit:.2%}", help=explain("fidelity"))
    (st.success if machine.equivalent_to_carry_machine else st.info)(machine.comparison)
    st.caption(
        "Fidelity is measured on sums of 8 and 9 columns; whether the network is this machine on longer sums is "
        f"the verifier's question. {verdict_sentence(weights)}"
    )
    if ablation is not None:
        st.caption(f"Extracted from the ablated network ({describe_ablation(ablation)}).")
    # The state this run's h_t is in: its nearest cluster's state (−1: a cluster minimising dropped).
    states = [int(state) for state in machine.states_of(trace.hidden)]
    current = states[timestep]
    if machine.minimal.state_count <= 12:
        show_chart(
            machine_diagram_figure(
                machine.minimal.state_names,
                machine.minimal.next_state,
                machine.minimal.output,
                machine.minimal.start,
                current=current if current >= 0 else None,
                current_step=timestep,
                step_states=states,
            ),
            key="insight_machine_diagram",
            alt="State diagram of the extracted machine; each edge says input bits a b and the bit written"
            + (f"; the state after step t={timestep} is ringed." if current >= 0 else "."),
        )
    else:
        st.caption(f"{machine.minimal.state_count} states are too many to draw legibly; the table has them all.")
    state = math_text(f"h_({timestep})")  # printed as hₜ is, not typed
    if current >= 0:
        st.caption(
            f"Ringed in {HIGHLIGHT.name}: “{machine.minimal.state_names[current]}”, the state {state} is in "
            f"after step t={timestep} (the state of its nearest cluster). Click a column of the addition above to "
            "move it; point at one (or reach it with Tab) and its state is ringed dashed."
        )
    else:
        st.caption(f"After step t={timestep}, {state} is nearest a cluster the minimal machine never reaches.")
    network_exact_8bit = exact_accuracy(weights, 8, ablation)
    st.caption(
        f"{machine.fidelity_sentence(network_exact_8bit)} {machine.consistency:.1%} of the observed "
        "cluster-to-cluster steps agree with the table's majority."
    )
    st.caption(machine.stability_sentence())
    with st.expander("The transition table, next to written addition"):
        show_table(pd.DataFrame(machine.comparison_records()), key="insight_machine_table")
    with st.expander("Every grouping run (k-means, one per seed)"):
        st.caption(words_caption("k-means"))
        show_table(seed_runs_table(machine.seed_runs, machine.seed), key="insight_machine_seeds_table")
