"""How often does training find the carry? The shipped sweep over seeds and hidden sizes."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from explainer.figures.training import sweep_figure
from explainer.training.sweep import DEFAULT_SWEEP_PATH, load_sweep, summarize_runs
from ui.charts import show_chart


@st.cache_data(show_spinner=False)
def _load_sweep_cached(path: str, modified: float) -> dict:
    return load_sweep(path)  # ``modified`` is only part of the key: a re-run sweep is read afresh


def sweep_ui(path: str | Path = DEFAULT_SWEEP_PATH) -> None:
    """The distribution of steps-to-100% over seeds and hidden sizes, from ``python -m explainer.training.sweep``."""
    path = Path(path)
    try:
        sweep = _load_sweep_cached(str(path), path.stat().st_mtime)
    except FileNotFoundError:
        st.info(f"No sweep result at {path}. Make one with: python -m explainer.training.sweep --out {path}", icon="📄")
        return
    except ValueError as error:
        st.warning(str(error), icon="⚠️")
        return
    show_chart(
        sweep_figure(sweep["runs"], sweep["max_steps"]),
        key="sweep_chart",
        alt="Steps each training run took to add every pair exactly, by hidden size and seed; runs that never did.",
    )
    st.dataframe(summarize_runs(sweep["runs"]), hide_index=True, key="sweep_table")
    st.caption(
        f"{len(sweep['runs'])} runs of the {sweep['recipe']} recipe, each stopped at {sweep['max_steps']:,} steps, "
        f"checked every {sweep.get('check_every', '?'):,} steps. Made with `{sweep['command']}`."
    )
