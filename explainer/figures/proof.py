"""The "Proof at every length" view's figure and tables: the abstract states of a certificate and its transitions.

A certificate (``explainer/verify/certificate.py``) holds boxes of hidden states, each labelled with a carry
(a lower and an upper bound per unit), and for each box and each word of k columns a split tree whose leaves
name the box each piece lands in. These functions take those plain lists and return a Plotly figure or a
pandas table (the table is the screen-reader alternative of the figure). Pure functions of data: no model,
no Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.figures.lazy_pandas import pd
from explainer.figures.style import ACTIVATION_SCALE, CARRY, FONT, NEUTRAL, subplot_layout

ROW_HEIGHT = 22  # pixels per box in the heatmap


def box_labels(carries: Sequence[int]) -> list[str]:
    """``"box 3 · carry 1"`` for each box, the label every figure and table of the view uses."""
    return [f"box {index} · carry {int(carry)}" for index, carry in enumerate(carries)]


def _bounds(lower: object, upper: object, carries: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    lower = np.asarray(lower, dtype=np.float64)
    upper = np.asarray(upper, dtype=np.float64)
    if lower.ndim != 2 or lower.shape != upper.shape or lower.shape[0] != len(carries):
        raise ValueError(
            f"lower and upper must both be (boxes, units) with one carry per box; got {lower.shape}, "
            f"{upper.shape} and {len(carries)} carries."
        )
    return lower, upper


def abstract_states_figure(lower: object, upper: object, carries: Sequence[int]) -> go.Figure:
    """Two heatmaps side by side, boxes (rows) × units (columns): each box's lower and upper bound per unit.

    On the page's activation scale (Cividis, fixed 0–1), so a unit pinned near 0 or 1 reads as a dark or
    light cell in both panels, and a unit the box leaves free reads as dark on the left and light on the right.
    Boxes of carry 1 have their labels in the carry colour.
    """
    lower, upper = _bounds(lower, upper, carries)
    boxes, units = lower.shape
    labels = box_labels(carries)
    tick_text = [
        f"<span style='color:{CARRY.hex if carry else NEUTRAL.hex}'>{label}</span>"
        for label, carry in zip(labels, carries, strict=True)
    ]
    figure = make_subplots(
        rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06, subplot_titles=("lower", "upper")
    )
    for column, (values, name) in enumerate(((lower, "lower"), (upper, "upper")), start=1):
        figure.add_trace(
            go.Heatmap(
                z=values,
                x=list(range(units)),
                y=list(range(boxes)),
                zmin=0,
                zmax=1,
                colorscale=ACTIVATION_SCALE,
                showscale=column == 2,
                colorbar={"title": {"text": "h"}, "thickness": 12},
                customdata=np.array(labels)[:, None].repeat(units, axis=1),
                hovertemplate=f"%{{customdata}}, unit %{{x}}: {name} bound %{{z:.4f}}<extra></extra>",
                xgap=1,
                ygap=1,
            ),
            row=1,
            col=column,
        )
        # Every fifth unit: legible on a phone too (each panel is under 100 px wide there); hover names each cell.
        figure.update_xaxes(title_text="unit", tickmode="linear", dtick=5, row=1, col=column)
    figure.update_yaxes(
        tickmode="array", tickvals=list(range(boxes)), ticktext=tick_text, autorange="reversed", row=1, col=1
    )
    figure.update_layout(
        **subplot_layout(height=120 + ROW_HEIGHT * boxes, left_margin=130),
        title={"text": "The abstract states: each box's bounds on every unit", "font": FONT},
    )
    return figure


def abstract_states_table(lower: object, upper: object, carries: Sequence[int]) -> pd.DataFrame:
    """One row per box: its carry and, per unit, ``"lower–upper"`` (4 decimals)."""
    lower, upper = _bounds(lower, upper, carries)
    table = {"box": list(range(lower.shape[0])), "carry": [int(carry) for carry in carries]}
    for unit in range(lower.shape[1]):
        table[f"unit {unit}"] = [
            f"{low:.4f}–{high:.4f}" for low, high in zip(lower[:, unit], upper[:, unit], strict=True)
        ]
    return pd.DataFrame(table)


def word_label(word: int, block_columns: int) -> str:
    """The word's columns as ``a b`` bit pairs, first column first: ``"a=1 b=0"`` or ``"10 · 01"`` for k = 2.

    Word numbers follow the certificate: the first column varies slowest, pattern 2·a + b.
    """
    patterns = [(word // 4 ** (block_columns - 1 - column)) % 4 for column in range(block_columns)]
    if block_columns == 1:
        return f"a={patterns[0] >> 1} b={patterns[0] & 1}"
    return " · ".join(f"{pattern >> 1}{pattern & 1}" for pattern in patterns)


def leaf_targets(tree: object) -> list[int]:
    """The target boxes of a split tree (an int, or ``[unit, value, left, right]``), left to right."""
    if isinstance(tree, list):
        return leaf_targets(tree[2]) + leaf_targets(tree[3])
    return [int(tree)]


def transitions_table(
    transitions: Sequence[Sequence[object]], carries: Sequence[int], block_columns: int
) -> pd.DataFrame:
    """One row per box and word: where the box goes after that word (several boxes if the search cut it)."""
    rows = []
    for box, per_word in enumerate(transitions):
        for word, tree in enumerate(per_word):
            targets = leaf_targets(tree)
            distinct = sorted(set(targets))
            rows.append(
                {
                    "box": f"box {box} · carry {int(carries[box])}",
                    "word (a b per column)": word_label(word, block_columns),
                    "→ target box": ", ".join(f"box {target} · carry {int(carries[target])}" for target in distinct),
                    "pieces": len(targets),  # in the certificate; the search's "pieces checked" counts every round
                }
            )
    return pd.DataFrame(rows)
