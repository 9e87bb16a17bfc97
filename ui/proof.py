""" "Proof at every length": what the verifier (``explainer/verify/``) concluded about the network shown.

Samples cannot show that a network adds every sum; the verifier either proves it (boxes of hidden states
closed under every column pattern: the abstract states drawn here) or finds a sum it gets wrong. The
verdict comes from :mod:`explainer.verify.verdict`:

- for the two shipped networks, precomputed beside each model (``assets/*.verdict.json``), read once per
  server process (a proved one's certificate re-checked by the separate checker then);
- for a network trained or uploaded in the page, computed when a visitor opens this view, in a child
  process under :data:`explainer.verify.verdict.PAGE_TIME_LIMIT`, once per network for the whole server.

Other views name the verdict with :func:`verdict_sentence`, which never starts a computation.
"""

from __future__ import annotations

import streamlit as st

from explainer import AdditionTrace, RNNWeights, timesteps_for
from explainer.analysis import Ablation
from explainer.figures.proof import abstract_states_figure, abstract_states_table, leaf_targets, transitions_table
from explainer.files.keras_file import LONG_MODEL_PATH, load_weights, page_model_path
from explainer.glossary import explain, words_caption
from explainer.verify import PROPERTY
from explainer.verify.verdict import PAGE_TIME_LIMIT, Verdict, VerdictStore, read_verdict_file, verdict_in_child
from explainer.wording import plural
from ui.charts import show_chart, show_table
from ui.pair import set_columns, set_pair

VIEW_NAME = "Proof at every length"


@st.cache_resource(show_spinner=False)
def _verdict_store() -> VerdictStore:
    """One store per server process: a network made in the page is verified once, whoever opens the view."""
    return VerdictStore()


@st.cache_resource(show_spinner=False)  # keyed by the path alone: one entry per shipped model, whatever is uploaded
def _precomputed(model_path: str) -> Verdict | None:
    """The verdict file beside ``model_path``, about the model in that file; read once per process."""
    try:
        weights = load_weights(model_path)
    except Exception:  # a missing or damaged model file: the page says so elsewhere; here there is just no verdict
        return None
    return read_verdict_file(model_path, weights)


def known_verdict(weights: RNNWeights) -> Verdict | None:
    """The verdict on ``weights`` if it is already known (shipped, or computed earlier), without computing it."""
    for path in (page_model_path(), LONG_MODEL_PATH):
        verdict = _precomputed(str(path))
        if verdict is not None and verdict.fingerprint == weights.fingerprint:
            return verdict
    return _verdict_store().known(weights.fingerprint)


def network_verdict(weights: RNNWeights) -> Verdict:
    """The verdict on ``weights``: known, or computed now (behind a spinner, at most the time limit + start-up)."""
    verdict = known_verdict(weights)
    if verdict is not None:
        return verdict
    with st.spinner(f"Running the verifier on this network (at most {PAGE_TIME_LIMIT:.0f} s)…", show_time=True):
        return _verdict_store().get_or_compute(weights, verdict_in_child)


def verdict_sentence(weights: RNNWeights) -> str:
    """For other views' captions: ``"Proof: wrong from 17 columns on (1 + 65534)."`` or why there is none yet."""
    verdict = known_verdict(weights)
    if verdict is None:
        return f"Proof: not run yet for this network (open “{VIEW_NAME}”)."
    return f"Proof: {verdict.short}."


def load_counterexample(a: int, b: int, columns: int) -> None:
    """Button callback: the counterexample goes into the number boxes, with its column count."""
    set_pair(a, b)
    set_columns(a, b, columns)


def _cuts(count: int) -> str:
    if count == 0:
        return "No box had to be cut."
    return f"{plural(count, 'cut')} split a box where its outputs could not be proved whole."


def _wall_time_metric(column, verdict: Verdict) -> None:
    """The verifier's wall time, saying which run it timed: the one that wrote the verdict file, or this page's."""
    if verdict.source == "precomputed":
        label, where = "Verifier wall time (recorded)", "recorded in the verdict file by the run that made it"
    else:
        label, where = "Verifier wall time (this server)", "timed by this server's verifier child"
    column.metric(label, f"{verdict.seconds:.1f} s", help=f"Wall-clock seconds of search and check, {where}.")


def _checked_ui(verdict: Verdict) -> None:
    """What was checked, in words and numbers."""
    origin = (
        "precomputed by `python -m explainer.verify.verdict` and read beside the model"
        if verdict.source == "precomputed"
        else f"computed in this page, with a time limit of {PAGE_TIME_LIMIT:.0f} s"
    )
    if verdict.kind == "proved":
        certificate = verdict.certificate
        search = certificate.get("search", {})
        block = certificate["block_columns"]
        columns = st.columns(4)
        columns[0].metric("Abstract states (boxes)", len(certificate["boxes"]), help=explain("abstract state"))
        columns[1].metric(
            "Column patterns per step", f"{4**block} ({plural(block, 'column')})", help=explain("column pattern")
        )
        kept = sum(len(leaf_targets(tree)) for per_word in certificate["transitions"] for tree in per_word)
        columns[2].metric(
            "Pieces checked (all rounds)",
            f"{search.get('pieces_checked', 0):,}",
            help=f"Every (box, column pattern) piece the search checked, counted again in each of its "
            f"{plural(search.get('rounds', 0), 'round')}; the certificate keeps {plural(kept, 'piece')} (the "
            "transitions table's 'pieces' column).",
        )
        _wall_time_metric(columns[3], verdict)
        st.markdown(
            f"Every hidden state the network reaches after a multiple of k = {plural(block, 'column')} lies in one "
            f"of {len(certificate['boxes'])} boxes, each labelled with a carry, and h = 0 lies in a carry-0 box. From "
            f"every box, for each of the {4**block} column patterns of {plural(block, 'column')}, the verifier "
            "proved (with zonotopes, for every state in the box at once) that the bits written are written "
            "addition's and that the next state lands in a box of the right carry. By induction, every output at "
            f"every length is right. {_cuts(search.get('cuts', 0))} The "
            "certificate was re-checked by the verifier's separate checker (its own arithmetic, rounding outwards) "
            "when this server read it."
        )
        st.caption(words_caption("abstract state", "column pattern", "zonotope"))
    elif verdict.kind == "counterexample":
        example = verdict.counterexample
        columns = example["columns"]
        true_low = (example["a"] + example["b"]) % 2**columns
        metrics = st.columns(3)
        metrics[0].metric("Counterexample", f"{example['a']} + {example['b']}")
        below = verdict.no_counterexample_below
        metrics[1].metric(
            "Proved right below",
            "—" if below is None else plural(below, "column"),
            help="Every sum over fewer columns than this is proved right.",
        )
        _wall_time_metric(metrics[2], verdict)
        st.markdown(
            f"Over {columns} columns the network writes **{example['network_sum']}**; the low {columns} bits of "
            f"{example['a']} + {example['b']} are {true_low}. Found by following the network's attractors: a short "
            "prefix of any bits, then a long run of one column pattern, then one more column; confirmed by "
            "really running the network."
        )
        st.caption(words_caption("counterexample", "attractor"))
        if verdict.bounded_proof_reaches_counterexample:
            st.markdown(
                f"**Bounded proof:** every input of fewer than {columns} columns is proved right (boxes run forward "
                f"from h = 0, every column pattern), so {columns} columns is the shortest failure."
            )
        else:
            st.warning(
                f"**Bounded proof:** every input of fewer than {below} columns is proved right, but the proof stops "
                f"there. So a shorter failure, of {below} to {columns - 1} columns, is not ruled out: {columns} is "
                "the shortest *found*, not a proved minimum.",
                icon=":material/warning:",
            )
    else:
        st.markdown("Neither a proof nor a counterexample was reached. What was tried:")
        st.markdown("\n".join(f"- {attempt}" for attempt in verdict.tried) or "- (nothing reported)")
    with st.expander("How this verdict was made (for developers)"):
        st.markdown(f"Verdict {origin}.")


def _this_pair_ui(verdict: Verdict, trace: AdditionTrace) -> None:
    example = verdict.counterexample
    columns = example["columns"]
    st.button(
        f"Load {example['a']} + {example['b']} over {columns} columns into the boxes",
        key="proof_load_counterexample",
        on_click=load_counterexample,
        args=(example["a"], example["b"], columns),
        type="primary",
    )
    needed = timesteps_for(example["a"], example["b"])
    if needed < columns:
        st.caption(
            f"The sum needs only {needed} columns; the button runs it over {columns}, so the network's mistake in "
            "a leading zero column shows (the property covers every padding)."
        )
    if (trace.a, trace.b, trace.timesteps) == (example["a"], example["b"], columns):
        wrong = [str(step) for step in range(trace.timesteps) if not trace.correct[step]]
        if wrong:
            st.markdown(
                f"On the page now: {trace.a} + {trace.b} over {columns} columns → the network writes "
                f"{trace.predicted_sum} ✗, wrong in column {', '.join(wrong)} (t = {', '.join(wrong)}). Step to it "
                "with the slider above."
            )
        else:  # units switched off (beside the verdict) change the network the page runs
            st.markdown(f"On the page now: {trace.a} + {trace.b} over {columns} columns, with every bit right here.")


def _abstract_states_ui(certificate: dict) -> None:
    boxes = certificate["boxes"]
    lower = [box["lower"] for box in boxes]
    upper = [box["upper"] for box in boxes]
    carries = [box["carry"] for box in boxes]
    show_chart(
        abstract_states_figure(lower, upper, carries),
        key="proof_states_chart",
        alt="Heatmaps of each abstract state's lower and upper bound on every hidden unit, one row per box, "
        "labelled with its carry.",
    )
    st.caption(
        "**What to look for:** a unit whose two bounds are both dark (near 0) or both light (near 1) is pinned "
        "in that box; where the lower bound is dark and the upper light the box leaves the unit free. Compare the "
        "boxes of carry 0 with those of carry 1: units whose ranges do not overlap are where these boxes keep the "
        "two carries apart."
    )
    with st.expander("The abstract states as a table (for screen readers)"):
        show_table(abstract_states_table(lower, upper, carries), key="proof_states_table")
    with st.expander("The transitions: from each box, after each word, the box it lands in"):
        show_table(
            transitions_table(certificate["transitions"], carries, certificate["block_columns"]),
            key="proof_transitions_table",
        )


def proof_view(weights: RNNWeights, trace: AdditionTrace, ablation: Ablation | None) -> None:
    """The verdict first, then the property, what was checked, and the abstract states (if proved)."""
    verdict = network_verdict(weights)
    if verdict.kind == "proved":
        st.success(f"**{verdict.headline}**", icon=":material/verified:")
    elif verdict.kind == "counterexample":
        st.error(f"**{verdict.headline}**", icon=":material/cancel:")
    else:
        st.warning(f"**{verdict.headline}**", icon=":material/help:")
    st.markdown(f"**The property:** {PROPERTY}")
    st.caption(
        "**What to look for:** a proof covers every sum of every length, which no sample can. "
        + (
            "Load the sum it gets wrong and step to the wrong column."
            if verdict.kind == "counterexample"
            else "The boxes below are the proof: every reachable hidden state lies in one of them, and each box "
            "knows its carry."
            if verdict.kind == "proved"
            else "Neither was reached here; the list says what was tried."
        )
    )
    if ablation is not None:
        st.info("The verdict is about the intact network: the units switched off above are not verified.", icon="✂️")
    if verdict.kind == "counterexample":
        _this_pair_ui(verdict, trace)
    _checked_ui(verdict)
    if verdict.kind == "proved":
        _abstract_states_ui(verdict.certificate)
    elif verdict.kind == "counterexample":
        st.caption("No abstract states: there is no invariant to draw for a network that gets a sum wrong.")
