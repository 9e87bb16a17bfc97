"""Training runs in a server thread now, so an AppTest press of Train returns at once: wait for the run."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest


def train_and_wait(app: AppTest, timeout: float = 300) -> AppTest:
    """Press Train, wait (bounded) until the session's newest run has ended, then redraw the page."""
    app.button(key="train_button").click().run()
    run = app.session_state["training_runs"][-1]
    deadline = time.monotonic() + timeout
    while run.active and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not run.active, f"the run was still {run.status} after {timeout} s"
    return app.run()
