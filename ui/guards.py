"""An analysis that fails leaves the rest of the page working. (Text a visitor supplied is quoted by ui/echo.py.)"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st

_LOGGER = logging.getLogger(__name__)
Result = TypeVar("Result")


def _say_it_failed(what: str, error: Exception) -> None:
    _LOGGER.exception("%s failed", what)  # the details go to the server log; visitors never see a traceback
    st.warning(
        f"{what} could not be computed for this network ({type(error).__name__}); the rest of the page still works.",
        icon="⚠️",
    )


def analysis_or_none(what: str, compute: Callable[..., Result], *arguments: object) -> Result | None:
    """``compute(*arguments)``, or ``None`` with a warning naming ``what`` if it raises."""
    try:
        return compute(*arguments)
    except Exception as error:  # Streamlit's stop and rerun are BaseExceptions and pass through
        _say_it_failed(what, error)
        return None


@contextmanager
def view_or_warning(what: str) -> Iterator[None]:
    """Draw a view in this block; if it raises, a warning naming ``what`` takes its place."""
    try:
        yield
    except Exception as error:
        _say_it_failed(what, error)
