"""Finding the page's widgets in an AppTest where their key is not fixed."""

from __future__ import annotations

NETWORK_RADIO_LABEL = "Network shown on this page"


def source_radio(app):
    """The radio that chooses the network shown (its key changes with each change the page makes itself:
    ui.model_source._choice_key), found by its label."""
    (radio,) = [radio for radio in app.radio if radio.label == NETWORK_RADIO_LABEL]
    return radio
