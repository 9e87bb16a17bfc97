"""The guided tour: a newcomer's first five minutes, as data.

Each :class:`TourStop` says what the page should show (pair, timestep, section, "What did it learn?" view,
ablation) and, in two or three sentences, what to look at. The sentences are written from the network on
the page: every number in them is computed here from its weights (the analyses are cached), never typed in,
so they stay true if the shipped network changes. ``ui/tour.py`` draws the stops; this module knows nothing
of Streamlit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from explainer.analysis import (
    DEFAULT_LENGTHS,
    accuracy_by_length,
    carry_probe,
    error_locations,
    exact_accuracy,
    extract_machine,
    make_ablation,
    state_space,
)
from explainer.model.network import RNNWeights
from explainer.model.trace import AdditionTrace, trace_addition
from explainer.rules import RULES
from explainer.sections import INSIGHT_SECTION, STEP_SECTION, TRAINING_SECTION
from explainer.verify.verdict import BreakingSum, breaking_sum
from explainer.wording import plural

# Stop 6's sum when no verdict file names a counterexample (the verdict files are missing): a carry rippling
# through seven columns, which every view can show.
NO_COUNTEREXAMPLE_PAIR = (127, 1)


def _units(units: tuple[int, ...]) -> str:
    names = [str(unit) for unit in units]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _percent(value: float) -> str:
    return f"{value:.1%}".replace(".0%", "%")


@dataclass(frozen=True)
class TourStop:
    """One stop: the page state it sets and the words it says.

    ``timestep`` picks the column from the stop's trace (e.g. the first wrong one). ``zero_carry_units``
    zeroes the units the carry probe leans on most; every other stop clears the ablation. ``describe``
    writes the stop's sentences from the network on the page and the stop's trace.
    """

    title: str
    pair: tuple[int, int] | None  # None: the verifier's counterexample (:func:`breaking_sum`), over its columns
    section: str
    describe: Callable[[RNNWeights, AdditionTrace], str]
    view: str | None = None
    timestep: Callable[[AdditionTrace], int] = lambda trace: 0
    zero_carry_units: bool = False
    heading: Callable[[RNNWeights], str] | None = None  # a title that depends on the network (else ``title``)
    # What the page is doing while the stop's numbers are computed (once per network: they are cached), in
    # words a student knows; shown in the stop's card when that takes a moment.
    working: str = "Working out this stop's numbers…"

    def title_for(self, weights: RNNWeights) -> str:
        return self.heading(weights) if self.heading is not None else self.title

    def operands(self, weights: RNNWeights) -> tuple[int, int, int | None]:
        """``(a, b, columns)`` the stop shows; ``columns`` None means what the sum needs."""
        if self.pair is not None:
            return (*self.pair, None)
        chosen = breaking_sum(weights)
        if chosen is None:
            return (*NO_COUNTEREXAMPLE_PAIR, None)
        return chosen.a, chosen.b, chosen.columns

    def zeroed_units(self, weights: RNNWeights) -> tuple[int, ...]:
        return tuple(int(unit) for unit in carry_probe(weights).top_carry_units) if self.zero_carry_units else ()

    def trace(self, weights: RNNWeights) -> AdditionTrace:
        """The stop's addition, run with the stop's ablation."""
        ablation = make_ablation(weights.hidden_units, set(self.zeroed_units(weights)))
        a, b, columns = self.operands(weights)
        return trace_addition(weights, a, b, columns, ablation=ablation)

    def text(self, weights: RNNWeights) -> str:
        return self.describe(weights, self.trace(weights))

    def column(self, weights: RNNWeights) -> int:
        return int(self.timestep(self.trace(weights)))


# --------------------------------------------------------------------------------------------------
# What each stop says. Each reads its numbers off the network.
# --------------------------------------------------------------------------------------------------


def _column_by_column(weights: RNNWeights, trace: AdditionTrace) -> str:
    a_bit, b_bit = trace.input_bits[0]
    return (
        f"The network reads one column per step, right to left, as you add on paper: t = 0 is the 2⁰ column. "
        f"There it reads {a_bit} and {b_bit} and puts the chance that the sum bit is 1 at "
        f"{trace.output_probability[0]:.2f}. Press **Next ▶**, just above the addition, to step left through all "
        f"{trace.timesteps} columns and watch its answer, {trace.predicted_sum}, appear bit by bit."
    )


def _carry_enters(weights: RNNWeights, trace: AdditionTrace) -> str:
    carried = int(np.flatnonzero(trace.carry_in)[-1]) if trace.carry_in.any() else 0
    step = 1
    unit = int(np.argmax(np.abs(trace.recurrent_part[step])))
    # The same column t = 1 (the same bits) with no carry coming in: a's lowest bit cleared, so t = 0 makes none.
    quiet = trace_addition(weights, trace.a & ~1, trace.b, trace.timesteps)
    differs = int(np.argmax(np.abs(trace.recurrent_part[step] - quiet.recurrent_part[step])))
    return (
        f"At t = 0, 1 + 1 makes a carry; from t = 1 to t = {carried} the carry row is 1, and the bits in front of "
        "the network no longer say so: only its hidden state can. In “Inside one step” (beside the picture; under "
        f"it on a phone), at t = {step} unit {unit} gets {trace.recurrent_part[step, unit]:+.2f} from memory "
        "(hₜ₋₁·Wₕ) against "
        f"{trace.input_part[step, unit]:+.2f} from the bits. In {quiet.a} + {quiet.b}, the same column with no "
        f"carry coming in, its memory term is {quiet.recurrent_part[step, unit]:+.2f}, so a large memory term is "
        f"not by itself the carry; the unit whose memory term differs most between the two is unit {differs} "
        f"({trace.recurrent_part[step, differs]:+.2f} against {quiet.recurrent_part[step, differs]:+.2f})."
    )


def _carry_units(weights: RNNWeights, trace: AdditionTrace) -> str:
    probe = carry_probe(weights)
    lowest = _percent(float(probe.accuracy_by_timestep.min()))
    cut = f"A linear probe, one straight cut through the {weights.hidden_units} hidden numbers, names the carry"
    if lowest == "100%":  # "at least 100% at each step" would read as if more were possible
        reading = f"{cut} right at every step of all 16,384 training pairs (100%)."
    else:
        reading = (
            f"{cut} right {_percent(probe.accuracy)} of the time over every step of the 16,384 training pairs (at "
            f"least {lowest} at each step)."
        )
    if not probe.top_carry_units:  # e.g. a network of one unit, or all-zero weights
        return f"{reading} {probe.carry_units_sentence()}"
    return (
        f"{reading} It leans most on units {_units(probe.top_carry_units)}: the dotted rows of the heatmap, and "
        "the probe's carry in row of the addition. A probe only reads: that it can read the carry there does not "
        "show the network relies on those units (the next stop zeroes them)."
    )


def _zero_them(weights: RNNWeights, trace: AdditionTrace) -> str:
    probe = carry_probe(weights)
    units = probe.top_carry_units
    if not units:  # nothing to zero: the stop says why and leaves the network intact
        return (
            f"{probe.carry_units_sentence()} So nothing is zeroed here, and 127 + 1 comes out as "
            f"{trace.predicted_sum}. Pick units to zero under “Switch units off”, beside the answer, to see what "
            "breaks."
        )
    ablation = make_ablation(weights.hidden_units, set(int(unit) for unit in units))
    before = exact_accuracy(weights, 7)
    after = exact_accuracy(weights, 7, ablation)
    where = error_locations(weights, ablation)
    wrong = int((~trace.correct).sum())
    return (
        f"Here units {_units(units)} are zeroed (see “Switched off”, beside the answer). Now 127 + 1 comes out as "
        f"{trace.predicted_sum}, with {plural(wrong, 'wrong bit')}, and the share of the 16,384 training pairs it adds "
        f"exactly drops from {_percent(before)} to {_percent(after)}. Over those pairs a bit goes wrong "
        f"{_percent(where.wrong_rate_with_carry)} of the time where a carry comes in and "
        f"{_percent(where.wrong_rate_without_carry)} where none does: the network needs these units, and not only "
        "for the carry."
    )


def _state_space(weights: RNNWeights, trace: AdditionTrace) -> str:
    space = state_space(weights)
    machine = extract_machine(weights)
    explained = float(np.sum(space.explained_variance_ratio[:2]))
    kind = "the 2-state carry machine of written addition" if machine.equivalent_to_carry_machine else "a machine"
    return (
        "Here every hidden state of the 16,384 pairs is drawn along the two directions that keep most of their "
        f"spread ({_percent(explained)} of it), coloured by the carry. Grouped into {machine.cluster_count} "
        f"clusters and minimised, the states become {plural(machine.minimal.state_count, 'state')} — {kind} "
        f"(“Extracted machine”), which writes the network's bits on {_percent(machine.fidelity_8bit)} of all "
        "65,536 8-bit pairs. That describes the pairs it was extracted from, not every length: the next stop "
        "shows where that matters."
    )


def breaking_sum_title(weights: RNNWeights, chosen: BreakingSum | None = None) -> str:
    """ "Where it breaks" when this network gets the verifier's counterexample wrong; else what it is instead."""
    chosen = chosen if chosen is not None else breaking_sum(weights)
    if chosen is None:
        return "Where it breaks"
    trace = trace_addition(weights, chosen.a, chosen.b, chosen.columns)
    return "Where it breaks" if not trace.is_correct else "Where the first network breaks"


def _where_it_breaks(weights: RNNWeights, trace: AdditionTrace) -> str:
    rows = accuracy_by_length(weights, DEFAULT_LENGTHS)
    worst = min(rows, key=lambda row: row.exact_accuracy)
    sampled = (
        f"Random sums look perfect: the lowest exact score from {DEFAULT_LENGTHS[0]} to {DEFAULT_LENGTHS[-1]} "
        f"bits is {_percent(worst.exact_accuracy)} ({worst.pairs} pairs per length)."
    )
    chosen = breaking_sum(weights)
    if chosen is None:
        return (
            f"{sampled} The verifier's verdict files are missing, so there is no proved failure to show here; "
            "the view “Proof at every length” runs the verifier on this network."
        )
    single = int(((trace.input_bits.sum(axis=1) == 1) & (trace.carry_in == 0)).sum())
    wrong = np.flatnonzero(~trace.correct)
    pair = f"{trace.a} + {trace.b} over {trace.timesteps} columns"
    if wrong.size:
        found = "the verifier found for this network" if chosen.own else "the verifier found for the shipped network"
        return (
            f"{sampled} But {pair}, the sum {found}, has {single} columns of a single 1 and no carry, and the "
            f"network writes {trace.predicted_sum} instead of {trace.true_sum}: the bit at t = {int(wrong[0])} is "
            "wrong (marked on the chart below). Random pairs rarely hold such a run, so samples cannot prove a "
            "rule; only a proof covers every input (the view “Proof at every length”)."
        )
    return (
        f"{sampled} {pair} is the sum the verifier found the shipped network gets wrong; this network gets it "
        f"right ({trace.true_sum}). Samples cannot prove a rule: the view “Proof at every length” shows what the "
        "verifier found for this network."
    )


def _train_your_own(weights: RNNWeights, trace: AdditionTrace) -> str:
    units = weights.hidden_units
    return (
        f"The network you have been watching has {units} units and {2 * units + units * units + units} weights. "
        "Train one of your own here: pick a recipe, a seed and a size, press **Train** and watch it learn; "
        "every view above follows your network, and “Side by side” compares it with the shipped one. The seed "
        "that made the shipped network would rebuild it exactly, so the page starts at another."
    )


def _first_wrong(trace: AdditionTrace) -> int:
    wrong = np.flatnonzero(~trace.correct)
    return int(wrong[0]) if wrong.size else trace.timesteps - 1


STOPS: tuple[TourStop, ...] = (
    TourStop("50 + 18, column by column", (50, 18), STEP_SECTION, _column_by_column),
    TourStop("A carry comes in", (127, 1), STEP_SECTION, _carry_enters, timestep=lambda trace: 1),
    TourStop(
        "The carry units, read by a probe",
        (127, 1),
        INSIGHT_SECTION,
        _carry_units,
        view="Carry probe",
        working="Reading the carry out of the network's state in all 16,384 sums…",
    ),
    TourStop(
        "Zero them and watch it break",
        (127, 1),
        INSIGHT_SECTION,
        _zero_them,
        view="Ablation",
        timestep=_first_wrong,
        zero_carry_units=True,
        working="Adding all 16,384 pairs again with those units switched off…",
    ),
    TourStop(
        "Its states, grouped",
        (127, 1),
        INSIGHT_SECTION,
        _state_space,
        view="State space",
        working="Sorting the network's states in all 16,384 sums into groups, and the groups into a machine…",
    ),
    TourStop(
        "Where it breaks",
        None,
        INSIGHT_SECTION,
        _where_it_breaks,
        view="Any length",
        timestep=_first_wrong,
        heading=breaking_sum_title,
        working=f"Adding random sums of {DEFAULT_LENGTHS[0]} to {DEFAULT_LENGTHS[-1]} bits…",
    ),
    TourStop("Train your own", (50, 18), TRAINING_SECTION, _train_your_own),
)


# Where the last stop points once the tour is done: the other rules side by side (the rule page's "Compare the rules"
# section, as its link spells it).
RULES_POINTER_LABEL = "Compare the rules"
RULES_POINTER_LINK = "?rule=subtraction&section=compare-the-rules"


def rules_pointer() -> str:
    """The last stop's pointer to the other rules, in plain words: what the visitor will see there. The rules are
    named from :data:`explainer.rules.RULES`, so the sentence follows the list."""
    others = [
        rule.label.split(",")[0].removesuffix(" so far").lower() for name, rule in RULES.items() if name != "addition"
    ]
    listed = ", ".join(others[:-1]) + " and " + others[-1]
    return (
        f"Addition is one rule among {len(RULES)} on this page: the same 16-unit network was also trained on "
        f"{listed}. “{RULES_POINTER_LABEL}” puts them side by side: how many states each rule needs, how many the "
        "machine read off its network has, and how far the brackets network, whose rule no finite machine computes, "
        "gets before it goes wrong."
    )


def stop_number(text: str | None) -> int | None:
    """The stop a link asks for (``?tour=4`` → 4, counted from 1), or ``None`` when it names no stop."""
    if text is None or not (text.isascii() and text.isdigit()) or len(text) > 2:
        return None
    number = int(text)
    return number if 1 <= number <= len(STOPS) else None
