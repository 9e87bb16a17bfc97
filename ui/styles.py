"""The page's few style rules, each for a reason a visitor would notice: contrast, phones, keyboard access.

Streamlit has no setting for these, so they are one ``<style>`` block and one small script, sent once per run
(they take no space on the page).
"""

from __future__ import annotations

import streamlit as st

from ui.scroll import SCROLL_MARGIN_PX, SECTION_VIEW, TOUR_CARD

# - Captions: Streamlit draws them grey (3.9:1 on white) and fades them while a run is under way (2.9:1);
#   WCAG AA asks 4.5:1 for small text.
# - The first screen holds the verdict, the unfolded addition and the top of its heatmap (1400 × 900): less room
#   above the title (Streamlit leaves 6rem for its header bar, which needs ~3.75rem) and a smaller title.
# - The "+" between the number boxes, at the height of the boxes.
# - A tour card, and a section a link opens, stop below the header bar when scrolled to (ui.scroll).
# - The drawings shrink to fit a column only while their smallest text stays at 11 px (explainer.figures.svg);
#   wider than that, they scroll sideways in their own region (each region's child is as wide as its drawing, so
#   the overflow is the child's and can be reached from either end). The unfolded additions' regions start scrolled to
#   their right end (right-to-left overflow), where t = 0 and the first columns are, as a written sum starts on
#   the right; their contents stay left-to-right.
# - Beside the picture at desktop width, "Inside one step"'s equations may be wider than their column: they
#   scroll sideways in their own region (ui.styles' script gives it a tab stop) instead of being cut.
# - Phones (Streamlit stacks columns below 640 px): a smaller title still, so the verdict fits on the first
#   screen; the weights chart (Plotly) keeps 680 px, enough for its labels, and scrolls sideways too.
SCROLLING_DRAWINGS = ".st-key-unfolded_chart, .st-key-step_chart, .st-key-side_by_side_shipped_chart, " + (
    ".st-key-side_by_side_other_chart"
)
UNFOLDED_DRAWINGS = ".st-key-unfolded_chart, .st-key-side_by_side_shipped_chart, .st-key-side_by_side_other_chart"
PAGE_CSS = f"""
<style>
[data-testid="stCaptionContainer"] {{ opacity: 1 !important; }}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {{ color: #55534f; }}
[data-testid="stMainBlockContainer"] {{ padding-top: 3.5rem; }}
h1 {{ font-size: 2.25rem !important; padding: 0 !important; }}
p.plus-sign {{ font-size: 1.75rem; font-weight: 600; margin: 0 0 0.1rem 0; line-height: 2.5rem; }}
.st-key-{TOUR_CARD}, .st-key-{SECTION_VIEW} {{ scroll-margin-top: {SCROLL_MARGIN_PX}px; }}
.katex-display {{ overflow-x: auto; overflow-y: hidden; }}
{SCROLLING_DRAWINGS} {{ overflow-x: auto; }}
{UNFOLDED_DRAWINGS} {{ direction: rtl; }}
{", ".join(f"{selector} > *" for selector in SCROLLING_DRAWINGS.split(", "))} {{ min-width: min-content; }}
{", ".join(f"{selector} > *" for selector in UNFOLDED_DRAWINGS.split(", "))} {{ direction: ltr; }}
@media (max-width: 640px) {{
  h1 {{ font-size: 1.75rem !important; }}
  .st-key-weights_chart {{ overflow-x: auto; }}
  .st-key-weights_chart > * {{ min-width: 680px; }}
}}
</style>
"""

# An element that scrolls sideways (a wide equation on a phone) must be reachable with the keyboard, or its
# hidden part cannot be read without a mouse: give each such element a tab stop and a name.
SCROLLABLE_REGIONS_SCRIPT = """
<script>
(() => {
  if (window.additionUnfoldedRegions) return;
  window.additionUnfoldedRegions = true;
  const mark = () => {
    const regions = [
      ['.katex-display', 'Equation'],
      ['.st-key-unfolded_chart, .st-key-step_chart, .st-key-weights_chart, .st-key-side_by_side_shipped_chart, '
        + '.st-key-side_by_side_other_chart', 'Chart'],
    ];
    for (const [selector, name] of regions) {
      document.querySelectorAll(selector).forEach((element, index) => {
        if (element.scrollWidth > element.clientWidth && !element.hasAttribute('tabindex')) {
          element.tabIndex = 0;
          element.setAttribute('role', 'region');
          element.setAttribute('aria-label', `${name} ${index + 1}, scrolls sideways`);  // landmark names differ
        }
      });
    }
  };
  // At most once a frame: reading widths lays the page out, and one step adds hundreds of SVG nodes.
  let pending = false;
  const markSoon = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; mark(); });
  };
  new MutationObserver(markSoon).observe(document.body, { childList: true, subtree: true });
  window.addEventListener('resize', mark);
  mark();
})();
</script>
"""


def page_style() -> None:
    st.html(PAGE_CSS)
    st.html(SCROLLABLE_REGIONS_SCRIPT, unsafe_allow_javascript=True)
