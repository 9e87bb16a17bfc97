"""The page's few style rules, each for a reason a visitor would notice: contrast, phones, keyboard access.

Streamlit has no setting for these, so they are one ``<style>`` block and one small script, sent once per run
(they take no space on the page).
"""

from __future__ import annotations

import streamlit as st

# - Captions: Streamlit draws them grey (3.9:1 on white) and fades them while a run is under way (2.9:1);
#   WCAG AA asks 4.5:1 for small text.
# - The "+" between the number boxes, at the height of the boxes.
# - The drawings shrink to fit a column only while their smallest text stays at 11 px (explainer.figures.svg);
#   wider than that, they scroll sideways in their own region (each region's child is as wide as its drawing, so
#   the overflow is the child's and can be reached from either end). The unfolded additions' regions start scrolled to
#   their right end (right-to-left overflow), where t = 0 and the first columns are, as a written sum starts on
#   the right; their contents stay left-to-right.
# - Phones (Streamlit stacks columns below 640 px): a smaller title, so the verdict fits on the first screen;
#   the weights chart (Plotly) keeps 680 px, enough for its labels, and scrolls sideways too.
SCROLLING_DRAWINGS = ".st-key-unfolded_chart, .st-key-step_chart, .st-key-side_by_side_shipped_chart, " + (
    ".st-key-side_by_side_other_chart"
)
UNFOLDED_DRAWINGS = ".st-key-unfolded_chart, .st-key-side_by_side_shipped_chart, .st-key-side_by_side_other_chart"
PAGE_CSS = f"""
<style>
[data-testid="stCaptionContainer"] {{ opacity: 1 !important; }}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {{ color: #55534f; }}
p.plus-sign {{ font-size: 1.75rem; font-weight: 600; margin: 0 0 0.1rem 0; line-height: 2.5rem; }}
{SCROLLING_DRAWINGS} {{ overflow-x: auto; }}
{UNFOLDED_DRAWINGS} {{ direction: rtl; }}
{", ".join(f"{selector} > *" for selector in SCROLLING_DRAWINGS.split(", "))} {{ min-width: min-content; }}
{", ".join(f"{selector} > *" for selector in UNFOLDED_DRAWINGS.split(", "))} {{ direction: ltr; }}
@media (max-width: 640px) {{
  h1 {{ font-size: 2rem !important; padding-top: 0 !important; }}
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
