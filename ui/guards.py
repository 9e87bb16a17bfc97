"""Two small rules for showing things: an analysis that fails leaves the rest of the page working, and text a
visitor supplied (a file name) is shown as text, never as Markdown."""

from __future__ import annotations

import logging
import re
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


# Every ASCII punctuation character may be backslash-escaped in CommonMark. "." and "," are left alone where
# they cannot start anything (so "weights.npz" reads the same in the Markdown source); a "." ending a word
# could end a list marker ("1. "), and the one in "www." would start a live autolink.
_MARKDOWN_SPECIAL = re.compile(r"[!\"#$%&'()*+\-/:;<=>?@\[\\\]^_`{|}~]|(?<=www)\.|\.(?=\s|$)", re.IGNORECASE)


def escape_markdown(text: str) -> str:
    """``text`` with its Markdown backslash-escaped, for text a visitor supplied (a file name): links, images,
    emphasis, autolinks (``http:``, ``www.``, ``@``), ``:colour[…]`` and ``$maths$`` show as typed."""
    return _MARKDOWN_SPECIAL.sub(lambda match: "\\" + match.group(0), str(text))
