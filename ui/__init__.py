"""Streamlit pieces of the page. Each ``*_ui()`` function draws one part and returns plain values."""
