"""Plotly figures about training. Pure functions: plain numbers in, ``plotly.graph_objects.Figure`` out.

- :func:`training_curves_figure`: loss and accuracy over a run's checkpoints, with the replayed checkpoint marked.
- :func:`sweep_figure`: steps to 100% per hidden size over many seeds, failures drawn apart from successes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.figures.style import ACCURACY, CARRY, HIGHLIGHT, INK, NEUTRAL, WRONG, subplot_layout

LOSS_COLOUR = INK
EXACT_COLOUR = ACCURACY.hex
BIT_COLOUR = NEUTRAL.hex
SOLVED_COLOUR = CARRY.hex  # found the carry
FAILED_COLOUR = WRONG.hex


def training_curves_figure(
    steps: Sequence[int],
    losses: Sequence[float],
    exact_accuracies: Sequence[float],
    bit_accuracies: Sequence[float],
    selected_step: int | None = None,
    check_set: str = "all 16,384 pairs (a, b < 128)",
) -> go.Figure:
    """Loss (top) and accuracy over all 16,384 training pairs (bottom) at each checkpoint of one run.

    ``check_set`` says in words what the accuracy is over: another rule's run is checked on its own training set.

    All four sequences have one entry per checkpoint, in step order. ``losses`` may hold NaN (there is no
    training loss before the first step); those points are left out. ``selected_step``, which must be one
    of ``steps``, is marked in both panels: it is the checkpoint every other view is showing.
    The long flat stretch of exact accuracy near 0 followed by a jump is the plateau before the carry.
    """
    steps = [int(step) for step in steps]
    columns = {"losses": losses, "exact_accuracies": exact_accuracies, "bit_accuracies": bit_accuracies}
    if not steps:
        raise ValueError("steps is empty: a run has at least its step-0 checkpoint.")
    for name, values in columns.items():
        if len(values) != len(steps):
            raise ValueError(f"{name} has {len(values)} entries but steps has {len(steps)}; give one per checkpoint.")
    if selected_step is not None and selected_step not in steps:
        raise ValueError(f"selected_step {selected_step} is not a checkpoint; choose one of the steps given.")
    loss = np.asarray(losses, dtype=float)
    has_loss = np.isfinite(loss)

    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.14,  # room for the lower panel's title above its 100% line
        subplot_titles=("Training loss (lower is better)", f"Accuracy over {check_set}"),
    )
    figure.add_trace(
        go.Scatter(
            x=np.asarray(steps)[has_loss],
            y=loss[has_loss],
            mode="lines+markers",
            name="loss",
            line={"color": LOSS_COLOUR},
            hovertemplate="step %{x:,}<br>loss %{y:.4f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    for values, name, colour in (
        (exact_accuracies, "every bit right (exact)", EXACT_COLOUR),
        (bit_accuracies, "bits right", BIT_COLOUR),
    ):
        figure.add_trace(
            go.Scatter(
                x=steps,
                y=list(values),
                mode="lines+markers",
                name=name,
                line={"color": colour},
                hovertemplate="step %{x:,}<br>" + name + " %{y:.1%}<extra></extra>",
            ),
            row=2,
            col=1,
        )
    if selected_step is not None:
        index = steps.index(selected_step)
        for row in (1, 2):
            figure.add_vline(x=selected_step, line={"color": HIGHLIGHT.hex, "width": 2, "dash": "dot"}, row=row, col=1)
        marker = {"color": HIGHLIGHT.hex, "size": 13, "symbol": "diamond", "line": {"color": "white", "width": 1}}
        if has_loss[index]:
            figure.add_trace(
                go.Scatter(x=[selected_step], y=[loss[index]], mode="markers", marker=marker, showlegend=False),
                row=1,
                col=1,
            )
        figure.add_trace(
            go.Scatter(
                x=[selected_step],
                y=[exact_accuracies[index]],
                mode="markers",
                marker=marker,
                name=f"shown: step {selected_step:,}",
                hovertemplate="shown: step %{x:,}<br>exact %{y:.1%}<extra></extra>",
            ),
            row=2,
            col=1,
        )
    figure.update_yaxes(title_text="loss", rangemode="tozero", row=1, col=1)
    # Headroom over 100%: a run that solves draws its line along the top, clear of the panel's title.
    figure.update_yaxes(title_text="fraction", range=[-0.03, 1.1], tickvals=[0, 0.5, 1], tickformat=".0%", row=2, col=1)
    figure.update_xaxes(title_text="training step", tickformat=",", row=2, col=1)
    figure.update_layout(**subplot_layout(460, legend_y=-0.15))
    return figure


def sweep_figure(runs: Sequence[Mapping], max_steps: int) -> go.Figure:
    """Steps until every training pair is added exactly, one dot per run, one column per hidden size.

    ``runs`` are records as in a sweep file (``hidden_units``, ``seed``, ``solved``, ``steps_to_100``: int or
    None). Runs that never got there are drawn as crosses at ``max_steps`` in another colour (the true value
    is "more than ``max_steps``"), and each column is labelled with how many of its seeds succeeded.
    """
    if not runs:
        raise ValueError("runs is empty: load a sweep file with load_sweep() first.")
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise ValueError(f"max_steps must be a positive whole number; got {max_steps!r}.")
    sizes = sorted({int(run["hidden_units"]) for run in runs})
    position = {size: index for index, size in enumerate(sizes)}
    spread = {}
    for size in sizes:
        in_column = [run for run in runs if int(run["hidden_units"]) == size]
        width = min(0.5, 0.08 * (len(in_column) - 1))
        for rank, run in enumerate(sorted(in_column, key=lambda run: run["seed"])):
            spread[id(run)] = rank * width / max(len(in_column) - 1, 1) - width / 2
    figure = go.Figure()
    for solved, name, colour, symbol in (
        (True, "reached 100%", SOLVED_COLOUR, "circle"),
        (False, f"not by {max_steps:,} steps", FAILED_COLOUR, "x"),
    ):
        chosen = [run for run in runs if bool(run["solved"]) == solved]
        if not chosen:
            continue
        # Spread the runs of one column sideways, centred on it, so equal values do not hide each other.
        offsets = [spread[id(run)] for run in chosen]
        figure.add_trace(
            go.Scatter(
                x=[position[int(run["hidden_units"])] + offset for run, offset in zip(chosen, offsets, strict=True)],
                y=[run["steps_to_100"] if solved else max_steps for run in chosen],
                mode="markers",
                name=name,
                marker={"color": colour, "symbol": symbol, "size": 11, "line": {"width": 1, "color": "white"}},
                customdata=[[run["seed"], run["hidden_units"], run["exact_accuracy"]] for run in chosen],
                hovertemplate=(
                    "H = %{customdata[1]}, seed %{customdata[0]}<br>"
                    + ("100% at step %{y:,}" if solved else f"not 100% by step {max_steps:,}")
                    + "<br>exact at the end: %{customdata[2]:.1%}<extra></extra>"
                ),
            )
        )
    for size in sizes:
        in_column = [run for run in runs if int(run["hidden_units"]) == size]
        solved_count = sum(bool(run["solved"]) for run in in_column)
        figure.add_annotation(
            x=position[size],
            y=1.0,
            yref="paper",
            yanchor="bottom",
            text=f"{solved_count}/{len(in_column)} solved",
            showarrow=False,
        )
    figure.add_hline(y=max_steps, line={"color": FAILED_COLOUR, "width": 1, "dash": "dot"})
    figure.update_xaxes(
        title_text="hidden units (H)",
        tickvals=list(range(len(sizes))),
        ticktext=[str(size) for size in sizes],
        range=[-0.6, len(sizes) - 0.4],
    )
    figure.update_yaxes(title_text="steps to 100% exact", tickformat=",", range=[0, max_steps * 1.08])
    figure.update_layout(**subplot_layout(380, left_margin=70, legend_y=-0.2))
    return figure
