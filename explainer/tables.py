"""Tables of one addition: the screen-reader alternative to the figures, and the CSV download."""

from __future__ import annotations

import pandas as pd

from explainer.trace import AdditionTrace


def trace_table(trace: AdditionTrace) -> pd.DataFrame:
    """One row per timestep (least significant first): bits, carries, output and every hidden unit."""
    table = pd.DataFrame(
        {
            "timestep": range(trace.timesteps),
            "place value": [f"2^{step}" for step in range(trace.timesteps)],
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
    hidden = pd.DataFrame(trace.hidden.round(6), columns=[f"h unit {unit}" for unit in range(trace.hidden_units)])
    return pd.concat([table, hidden], axis=1)


def step_table(trace: AdditionTrace, timestep: int) -> pd.DataFrame:
    """One row per hidden unit at ``timestep``: input part, recurrent part, their sum and h_t."""
    return pd.DataFrame(
        {
            "unit": range(trace.hidden_units),
            "x_t·W_x": trace.input_part[timestep].round(4),
            "h_{t-1}·W_h": trace.recurrent_part[timestep].round(4),
            "pre-activation": (trace.input_part[timestep] + trace.recurrent_part[timestep]).round(4),
            "h_t": trace.hidden[timestep].round(4),
        }
    )


def trace_csv(trace: AdditionTrace) -> str:
    """The trace as CSV text, with a comment-free header row so spreadsheets open it directly."""
    return trace_table(trace).to_csv(index=False)
