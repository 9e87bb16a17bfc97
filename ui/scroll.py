"""Bring a part of the page into sight once: a tour stop's card, or the section a shared link opens.

A callback or a link asks with :func:`scroll_to`; the next whole-page run ends with a small script (a few hundred
bytes, in that run only: a step click, a fragment run, never carries it) that scrolls the part to the top of the
window. Streamlit has no scroll call of its own, and an ``#anchor`` in the address bar is read once, by the browser,
before the page is drawn.
"""

from __future__ import annotations

import time

import streamlit as st

from ui.state import SCROLL_TO

# The parts a run may scroll to, by the key of their container (Streamlit gives it the class st-key-<key>).
TOUR_CARD = "tour_card"
SECTION_VIEW = "section_view"
PLACES = (TOUR_CARD, SECTION_VIEW)
SCROLL_MARGIN_PX = 64  # below Streamlit's header bar (ui.styles gives the parts this scroll-margin-top)

# Scrolls to the part as soon as it is drawn, and again while the parts above it settle (a drawing unpacked, a
# chart laid out) for a few seconds, unless the visitor scrolls, clicks or types first: then the page is theirs.
_SCRIPT = """<script>
(() => {
  const SCROLL_MARGIN = %(margin)d;  // px under Streamlit's header: the parts' scroll-margin-top
  const started = performance.now();
  let theirs = false;
  const mine = () => { theirs = true; };
  for (const name of ['wheel', 'touchstart', 'keydown', 'mousedown']) {
    window.addEventListener(name, mine, { once: true, passive: true });
  }
  const bring = () => {
    if (theirs || performance.now() - started > 4000) return;
    const part = document.querySelector('.st-key-%(place)s');
    if (part) {
      const top = part.getBoundingClientRect().top;
      if (Math.abs(top - SCROLL_MARGIN) > 4) part.scrollIntoView({ block: 'start' });
    }
    setTimeout(bring, 200);
  };
  bring();
})();
// %(run)d: each script differs from the last, so the browser runs it again
</script>"""


def scroll_to(place: str, *, unless_asked: bool = False) -> None:
    """Ask the next whole-page run to bring ``place`` (one of :data:`PLACES`) into sight. For callbacks and links.

    ``unless_asked``: leave an earlier request of this run in place (a link's tour stop wins over its section)."""
    if place not in PLACES:
        raise ValueError(f"scroll_to takes one of {PLACES}, not {place!r}")
    if unless_asked and st.session_state.get(SCROLL_TO) is not None:
        return
    st.session_state[SCROLL_TO] = place


def scroll_ui() -> None:
    """Call at the end of a whole-page run: sends the script if this run was asked to scroll (once)."""
    place = st.session_state.pop(SCROLL_TO, None)
    if place in PLACES:
        st.html(
            _SCRIPT % {"place": place, "margin": SCROLL_MARGIN_PX, "run": time.monotonic_ns()},
            unsafe_allow_javascript=True,
        )
