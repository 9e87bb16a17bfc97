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


# A name like "weights_7.npz" is shown as it is. Anything else goes into a code span, whose content Markdown
# shows literally: backslash escapes are not enough, because Streamlit still turns "www.x", "http://x" and
# "a@b.x" into live links after unescaping (checked in Chromium).
_PLAIN_NAME = re.compile(r"(?!www\.)[A-Za-z0-9][A-Za-z0-9._-]*", re.IGNORECASE)


def escape_markdown(text: str) -> str:
    """``text`` (a file name a visitor chose) as Markdown that shows exactly that text: no link, image,
    autolink, emphasis, ``:colour[…]`` or ``$maths$``. Plain names stay as they are; others become code."""
    text = " ".join(str(text).splitlines())  # a blank line would end the code span
    if _PLAIN_NAME.fullmatch(text):
        return text
    longest_run = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest_run + 1)
    return f"{fence} {text} {fence}"  # CommonMark strips one space on each side, so a ` at either end is safe
