"""Text from outside the page, shown back as text: a link's value or an uploaded file's name is never Markdown.

Streamlit reads every notice, caption and message as Markdown, so ``?b=![x](https://evil.example/p.png)``
echoed as it is would make the visitor's browser fetch that image, ``[Sign in](https://evil.example)`` would be
a live link and ``**BIG**`` would be bold. :func:`quoted` is the one place such a value is turned into Markdown,
and :func:`link_notice` the one place a notice about a link is drawn. Messages built elsewhere (e.g. by
``explainer``'s parsers) name what is wrong without repeating the value, so a notice's only echo is quoted here.
"""

from __future__ import annotations

import re

import streamlit as st

QUOTED_LENGTH = 40  # a 5,000-character value is not repeated back in full

# A name like "weights_7.npz" or a value like "50" is shown as it is. Anything else goes into a code span,
# whose content Markdown shows literally. Backslash escapes are not enough: Streamlit turns "www.x", "http://x"
# and "a@b.x" into live links, and ":smile:" into an emoji, after unescaping (checked in Chromium).
_PLAIN = re.compile(r"(?!www\.)[A-Za-z0-9][A-Za-z0-9._-]*", re.IGNORECASE)


def quoted(value: object, limit: int | None = QUOTED_LENGTH) -> str:
    """``value`` as Markdown that shows exactly its text: no link, image, autolink, emphasis, HTML,
    ``:colour[…]`` or ``$maths$``. Plain words and numbers stay as they are; anything else becomes code.
    Longer than ``limit`` characters, it is cut there and ends in "…"; line breaks become spaces."""
    text = " ".join(str(value).splitlines())  # a blank line would end the code span
    text = "".join(character if character.isprintable() else " " for character in text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    if _PLAIN.fullmatch(text):
        return text
    # Streamlit rewrites ":material/name:" to ":material_name:" even inside code (seen in Chromium); a word
    # joiner (invisible, no width) after the colon keeps the text as it was typed.
    text = re.sub(r":(?=material/)", ":\u2060", text, flags=re.IGNORECASE)
    longest_run = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest_run + 1)
    return f"{fence} {text} {fence}"  # CommonMark strips one space on each side, so a ` at either end is safe


def link_notice(text: str, *, where=None) -> None:
    """Draw a notice about the page's link (``where``: a container, else the page). ``text`` is Markdown whose
    echoed values went through :func:`quoted`."""
    (where or st).warning(text, icon="🔗")
