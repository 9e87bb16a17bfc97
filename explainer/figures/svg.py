"""The few SVG pieces the server-drawn figures are made of: escaped text and attributes, one element per call.

Why SVG and not Plotly for the figures that change on every step: a drawn Plotly chart cannot be updated in
place by Streamlit, so each "Next ▶" redrew both charts in the browser, and the first view waited for the browser
to fetch and evaluate Plotly's bundle. A few hundred rectangles of SVG are parsed and painted at once; the click
and cold-start benches (``bench/bench_clicks.py``, ``bench/bench_page.py``) and ``bench/README.md`` have the figures.
"""

from __future__ import annotations

import re
from html import escape

# No words of a drawing are shown smaller than this many CSS pixels: a drawing shrinks to fit a narrow column only
# down to the width where its smallest text is this size, and scrolls sideways in its region beyond that.
MIN_TEXT_PX = 11
_FONT_SIZE = re.compile(r'font-size="([0-9.]+)"')


def attributes(values: dict[str, object]) -> str:
    """``key="value"`` pairs, escaped; ``None`` values are left out; ``class_`` and ``font_size`` style names
    are written ``class`` and ``font-size``."""
    return " ".join(
        f'{name.rstrip("_").replace("_", "-")}="{escape(str(value), quote=True)}"'
        for name, value in values.items()
        if value is not None
    )


def element(tag: str, content: str = "", **values: object) -> str:
    """One element; ``content`` is inserted as it is (already SVG), use :func:`text` for words."""
    return f"<{tag} {attributes(values)}>{content}</{tag}>" if content else f"<{tag} {attributes(values)}/>"


def tooltip(words: str) -> str:
    """A ``<title>`` child: the browser shows it when the pointer rests on its parent."""
    return f"<title>{escape(words, quote=False)}</title>"


def text(x: float, y: float, words: str, **values: object) -> str:
    """Words centred on (x, y) unless ``text_anchor`` says otherwise."""
    values = {"text_anchor": "middle", "dominant_baseline": "central", **values}
    return f'<text x="{x:g}" y="{y:g}" {attributes(values)}>{escape(words, quote=False)}</text>'


def smallest_font(content: str) -> float | None:
    """The smallest ``font-size`` attribute in ``content`` (SVG), or None if it sets none."""
    sizes = [float(size) for size in _FONT_SIZE.findall(content)]
    return min(sizes) if sizes else None


def document(width: float, height: float, content: str, *, label: str, class_: str, role: str = "img") -> str:
    """The ``<svg>`` root: drawn at its natural size, shrunk to fit a narrower column but never so far that its
    smallest text falls under :data:`MIN_TEXT_PX`; ``label`` names it for screen readers, as a chart's ``alt``
    does. ``role`` is ``"img"`` for a picture, ``"group"`` for a drawing that holds controls (an image's parts are
    hidden from screen readers, so it cannot hold a button)."""
    smallest = smallest_font(content)
    if smallest is not None and smallest < MIN_TEXT_PX:
        raise ValueError(f"a drawing's text must be at least {MIN_TEXT_PX} px; it has {smallest:g}.")
    narrowest = width * MIN_TEXT_PX / smallest if smallest is not None else 0
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" width="{width:g}" '
        f"{attributes({'class': class_, 'role': role, 'aria_label': label})} "
        f'style="max-width:100%;min-width:{narrowest:.0f}px;height:auto;'
        f'font-family:Inter, Helvetica, Arial, sans-serif">{content}</svg>'
    )


def panel_title(x: float, y: float, words: str, fill: str) -> str:
    """A panel's title, left-aligned at ``x`` and set in bold 14 px: the drawings' panels share it."""
    return text(x, y, words, text_anchor="start", font_size=14, font_weight=600, fill=fill)
