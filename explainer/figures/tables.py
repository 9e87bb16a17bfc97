"""Tables: the screen-reader alternative to every figure, and the CSV download. Pure functions of data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from explainer.analysis.length import LengthAccuracy
from explainer.analysis.logit_split import LogitSplit
from explainer.analysis.probe import PROBE_CARRY_IN_LABEL, PROBE_CARRY_OUT_LABEL, CarryProbe
from explainer.figures.lazy_pandas import pd
from explainer.figures.style import math_text
from explainer.model.ablation import describe_ablation
from explainer.model.trace import AdditionTrace
from explainer.wording import power_of_two


def trace_table(trace: AdditionTrace, probe_carry: np.ndarray | None = None) -> pd.DataFrame:
    """One row per timestep (least significant first): bits, carries, output and every hidden unit.

    ``probe_carry`` (T,), the carry out a probe reads from each h_t, adds both probe columns: the carry in
    read from h_{t−1} (empty at t = 0) and the carry out read from h_t. The ``ablation`` column says which
    units were held in this run ("no ablation" if none), on every row, so a saved CSV says what it shows.
    """
    table = pd.DataFrame(
        {
            "timestep": range(trace.timesteps),
            "place value": [power_of_two(step) for step in range(trace.timesteps)],
            "a bit": trace.input_bits[:, 0],
            "b bit": trace.input_bits[:, 1],
            "carry in": trace.carry_in,
            "true sum bit": trace.sum_bits,
            "carry out": trace.carry_out,
            "output probability": trace.output_probability.round(6),
            "RNN bit": trace.predicted_bits,
            "correct": trace.correct,
        }
    )
    if probe_carry is not None:
        carry_out = pd.array([int(bit) for bit in probe_carry], dtype="Int8")
        table.insert(5, PROBE_CARRY_IN_LABEL, pd.array([None, *carry_out[:-1]], dtype="Int8"))
        table.insert(8, PROBE_CARRY_OUT_LABEL, carry_out)  # after the true carry out
    table["ablation"] = describe_ablation(trace.ablation)
    hidden = pd.DataFrame(trace.hidden.round(6), columns=[f"h unit {unit}" for unit in range(trace.hidden_units)])
    return pd.concat([table, hidden], axis=1)


def step_table(trace: AdditionTrace, timestep: int) -> pd.DataFrame:
    """One row per hidden unit at ``timestep``: input part, recurrent part, their sum, h_t and how h_t was set
    (σ(pre-activation), or held by the ablation: then h_t is not σ of the sum next to it)."""
    held = trace.held_units
    return pd.DataFrame(
        {
            "unit": range(trace.hidden_units),
            math_text("x_t·W_x"): trace.input_part[timestep].round(4),
            math_text("h_(t−1)·W_h"): trace.recurrent_part[timestep].round(4),
            "pre-activation": trace.pre_activation[timestep].round(4),
            math_text("h_t"): trace.hidden[timestep].round(4),
            math_text("h_t is"): [
                "held by the ablation" if held[unit] else "σ(pre-activation)" for unit in range(held.size)
            ],
        }
    )


def trace_csv(trace: AdditionTrace, probe_carry: np.ndarray | None = None) -> str:
    """The trace as CSV text, with a comment-free header row so spreadsheets open it directly."""
    return trace_table(trace, probe_carry).to_csv(index=False)


# --------------------------------------------------------------------------------------------------
# "What did it learn?": the screen-reader alternative to each analysis figure.
# --------------------------------------------------------------------------------------------------


def probe_pair_table(trace: AdditionTrace, probe: CarryProbe) -> pd.DataFrame:
    """One row per timestep: the true carry out and the probe's reading of it for this pair."""
    return pd.DataFrame(
        {
            "timestep": range(trace.timesteps),
            "true carry out": trace.carry_out,
            PROBE_CARRY_OUT_LABEL: probe.decode(trace.hidden),
            "probe score": np.round(probe.score(trace.hidden), 3),
        }
    )


def probe_accuracy_table(probe: CarryProbe) -> pd.DataFrame:
    """The probe's accuracy at each timestep over all training pairs."""
    return pd.DataFrame({"timestep": range(probe.accuracy_by_timestep.size), "accuracy": probe.accuracy_by_timestep})


def probe_units_table(probe: CarryProbe) -> pd.DataFrame:
    """One row per hidden unit: its probe weight, importance, and whether it is a carry unit."""
    units = range(probe.coefficients.size)
    return pd.DataFrame(
        {
            "unit": units,
            "probe weight": np.round(probe.coefficients, 3),
            "importance": np.round(probe.unit_importance, 3),
            "carry unit": [unit in probe.top_carry_units for unit in units],
        }
    )


def state_space_path_table(trace: AdditionTrace, path: np.ndarray) -> pd.DataFrame:
    """This addition's route through the state space: ``path`` is ``StateSpace.path(trace.hidden)``."""
    return pd.DataFrame(
        {
            "timestep": range(trace.timesteps),
            "a bit": trace.input_bits[:, 0],
            "b bit": trace.input_bits[:, 1],
            "true carry out": trace.carry_out,
            "PC1": np.round(path[1:, 0], 3),
            "PC2": np.round(path[1:, 1], 3),
        }
    )


def ablation_bits_table(intact: AdditionTrace, ablated: AdditionTrace) -> pd.DataFrame:
    """One row per timestep: the true sum bit, the intact network's bit and the ablated network's bit."""
    return pd.DataFrame(
        {
            "timestep": range(ablated.timesteps),
            "true sum bit": ablated.sum_bits,
            "intact bit": intact.predicted_bits,
            "ablated bit": ablated.predicted_bits,
            "flipped": intact.predicted_bits != ablated.predicted_bits,
        }
    )


def seed_runs_table(runs: Sequence, kept_seed: int) -> pd.DataFrame:
    """One row per k-means seed of the extracted machine (``ExtractedMachine.seed_runs``): what each gave."""
    return pd.DataFrame(
        {
            "k-means seed": [run.seed for run in runs],
            "clusters": [run.cluster_count for run in runs],
            "raw machine fidelity, 16,384 pairs": [round(run.raw_fidelity_7bit, 4) for run in runs],
            "states after minimising": [run.minimal_states for run in runs],
            "the carry machine": [run.equivalent for run in runs],
            "kept": [run.seed == kept_seed for run in runs],
        }
    )


def unit_ablation_table(rows: Sequence, carry_units: Sequence[int] = ()) -> pd.DataFrame:
    """One row per unit (``every_unit_ablated``): exact accuracy with it zeroed and with it held at its mean, in
    percent (as the sentence above the table says them), under headers short enough to fit a phone's width."""
    return pd.DataFrame(
        {
            "unit": [row.unit for row in rows],
            "carry unit": [row.unit in carry_units for row in rows],
            "mean value": [round(row.mean, 3) for row in rows],
            "zeroed: % exact (16,384 pairs)": [round(100 * row.zeroed_7bit, 1) for row in rows],
            "zeroed: % exact (8-bit pairs)": [round(100 * row.zeroed_8bit, 1) for row in rows],
            "at mean: % exact (16,384 pairs)": [round(100 * row.at_mean_7bit, 1) for row in rows],
            "at mean: % exact (8-bit pairs)": [round(100 * row.at_mean_8bit, 1) for row in rows],
        }
    )


def wrong_pairs_table(grid: np.ndarray) -> pd.DataFrame:
    """Every pair of a correctness grid with a wrong bit: a, b and how many bits are wrong."""
    wrong_a, wrong_b = np.nonzero(grid)
    return pd.DataFrame({"a": wrong_a, "b": wrong_b, "wrong bits": grid[wrong_a, wrong_b]})


def length_table(rows: Sequence[LengthAccuracy]) -> pd.DataFrame:
    """One row per sum length: pairs tried, exact and bit accuracy, the first wrong pair."""
    return pd.DataFrame(
        {
            "bits in the sum": [row.sum_bits for row in rows],
            "pairs": [row.pairs for row in rows],
            "exact accuracy": [row.exact_accuracy for row in rows],
            "bit accuracy": [row.bit_accuracy for row in rows],
            "first wrong pair": [str(row.first_wrong_pair or "") for row in rows],
        }
    )


def logit_split_table(splits: Sequence[LogitSplit]) -> pd.DataFrame:
    """One row per timestep: the logit split into baseline, current bits, carried-in state and ablated units."""
    return pd.DataFrame(
        {
            "timestep": range(len(splits)),
            "baseline": [round(s.baseline, 3) for s in splits],
            "current bits": [round(s.from_input, 3) for s in splits],
            "carried-in state": [round(s.from_carried_state, 3) for s in splits],
            "ablated units": [round(s.from_ablation, 3) for s in splits],
            "logit": [round(s.logit, 3) for s in splits],
        }
    )


def training_curves_table(checkpoints: Sequence) -> dict[str, list]:
    """One row per checkpoint (anything with ``step``, ``loss``, ``exact_accuracy``, ``bit_accuracy``)."""
    return {
        "step": [checkpoint.step for checkpoint in checkpoints],
        "loss": [round(checkpoint.loss, 5) for checkpoint in checkpoints],
        "exact accuracy": [round(checkpoint.exact_accuracy, 5) for checkpoint in checkpoints],
        "bit accuracy": [round(checkpoint.bit_accuracy, 5) for checkpoint in checkpoints],
    }


def iia_table(table) -> pd.DataFrame:
    """One row per alignment of an :class:`~explainer.analysis.alignment_search.InterchangeTable`, then the floor.

    In percent, as the sentences above the table say them: IIA (interchange intervention accuracy) overall and
    split by whether base and source carry differ, the probe's reading from the same subspace, and for a direction
    the share of its length outside the visited span ("–" where a row has none).
    """
    from explainer.analysis.alignment_search import alignment_label

    def percent(share: float | None) -> float | str:
        return "–" if share is None or np.isnan(share) else round(100 * share, 1)

    rows = [
        {
            "transplanted": alignment_label(row, table),
            "% IIA": percent(row.iia),
            "% IIA where carries differ": percent(row.iia_where_carries_differ),
            "% IIA where carries agree": percent(row.iia_where_carries_agree),
            "% a probe reads the carry": percent(row.probe_reading),
            "% outside the visited span": percent(row.outside_span_share),
        }
        for row in table.rows
    ]
    mean, spread, lowest, highest = table.random_floor
    differ_mean, _ = table.random_floor_where_carries_differ
    floor = (
        f"{len(table.random)} random directions (mean; sd {100 * spread:.1f}, {100 * lowest:.1f}–{100 * highest:.1f})"
    )
    rows.append(
        {
            "transplanted": floor,
            "% IIA": percent(mean),
            "% IIA where carries differ": percent(differ_mean),
            "% IIA where carries agree": percent(float(np.mean([r.iia_where_carries_agree for r in table.random]))),
            "% a probe reads the carry": "–",
            "% outside the visited span": "–",
        }
    )
    return pd.DataFrame(rows)


def iia_by_column_table(lines: Sequence[tuple[str, Sequence[float]]], random_mean: Sequence[float]) -> pd.DataFrame:
    """One row per column t: each alignment's IIA when transplanted there, and the random directions' mean."""
    columns = {"column t": range(len(random_mean))}
    for name, values in lines:
        columns[name] = [round(float(value), 4) for value in values]
    columns["random directions (mean)"] = [round(float(value), 4) for value in random_mean]
    return pd.DataFrame(columns)


def pair_transplant_table(result) -> pd.DataFrame:
    """One row per column of a :class:`~explainer.analysis.interchange.PairTransplant`: the bits before and after
    the transplant, written addition's prediction with the source's carry, and ✓/✗ for each later column."""
    timesteps = result.plain_bits.size
    return pd.DataFrame(
        {
            "column t": range(timesteps),
            "network's bit": result.plain_bits,
            "bit after the transplant": result.patched_bits,
            "written addition with the source's carry": result.expected_bits,
            "as predicted": [
                "" if step <= result.column else ("✓" if result.matches[step] else "✗") for step in range(timesteps)
            ],
        }
    )


def transplant_states_table(result) -> pd.DataFrame:
    """One row per column of a pair transplant: each hidden unit before and after it (the heatmaps' numbers)."""
    timesteps, units = result.plain_hidden.shape
    columns: dict[str, object] = {"column t": range(timesteps)}
    for unit in range(units):
        columns[f"unit {unit} before"] = result.plain_hidden[:, unit].round(4)
        columns[f"unit {unit} after"] = result.patched_hidden[:, unit].round(4)
    return pd.DataFrame(columns)
