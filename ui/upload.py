"""Upload weights as ``.npz``: checked by :mod:`explainer.files.npz_file`, then offered as the page's network."""

from __future__ import annotations

import streamlit as st

from explainer.files.npz_file import MAX_NPZ_BYTES, weights_from_upload
from ui.echo import quoted
from ui.session_networks import PENDING_SOURCE_KEY, SOURCE_UPLOADED, UPLOADED_KEY, UploadedWeights
from ui.state import UPLOAD_MESSAGE as UPLOAD_MESSAGE_KEY  # ("success" | "error", text)
from ui.state import WEIGHTS_UPLOAD


def _on_upload() -> None:
    """Uploader callback: read and check the file; keep the last good upload if this one is refused."""
    uploaded_file = st.session_state.get(WEIGHTS_UPLOAD)
    if uploaded_file is None:
        return
    message = handle_upload(uploaded_file.name, uploaded_file.getvalue())
    st.session_state[UPLOAD_MESSAGE_KEY] = message


def handle_upload(file_name: str, data: bytes) -> tuple[str, str]:
    """What the uploader does with a file: on success the weights join this session's choices and the page
    switches to them. Returns ``("success" | "error", message)``; never raises for bad files."""
    try:
        weights = weights_from_upload(file_name, data)
    except ValueError as error:
        return "error", str(error)
    st.session_state[UPLOADED_KEY] = UploadedWeights(weights, file_name)
    st.session_state[PENDING_SOURCE_KEY] = SOURCE_UPLOADED
    return "success", f"Loaded {quoted(file_name, limit=None)}: H = {weights.hidden_units}. The page now shows it."


def upload_ui() -> None:
    st.file_uploader(
        "Upload weights (.npz)",
        type=["npz"],
        key=WEIGHTS_UPLOAD,
        on_change=_on_upload,
        help=(
            "An .npz holding exactly input_weights (2, H), recurrent_weights (H, H) and output_weights (H, 1), "
            f"H from 1 to 64, at most {MAX_NPZ_BYTES // 1024} KB. .keras files are never loaded: opening one "
            "can run code."
        ),
    )
    message = st.session_state.get(UPLOAD_MESSAGE_KEY)
    if message is not None:
        kind, text = message
        (st.success if kind == "success" else st.error)(text, icon="✅" if kind == "success" else "✋")
