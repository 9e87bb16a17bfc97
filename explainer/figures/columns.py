"""Where a column of the unfolded addition sits, and what makes it answer the pointer and the keyboard.

Kept apart from the drawing (:mod:`explainer.figures.unfolded_drawing`), which imports both: the time axis runs
right to left (t = 0 on the right, as on paper), and the page's script (``ui/charts.py``) reads the same geometry
back from the drawing (``g.columns``) to find the column under the pointer.
"""

from __future__ import annotations

from collections.abc import Sequence

from explainer.figures.style import HIGHLIGHT, place_value


def column_x(left: float, column_width: float, timesteps: int, step: int) -> float:
    """The left edge of column ``step``: t = 0 is the rightmost column, as on paper."""
    return left + (timesteps - 1 - step) * column_width


# The columns answer the pointer: the page's script (ui/charts.py) shows the hovered column's outline and selects a
# clicked one; a keyboard reaches the same through the column buttons under the time axis.
COLUMN_STYLE = (
    "<style>.unfolded-drawing:has(.columns) :is(.panel rect,.future,.column-button){cursor:pointer}"
    ".unfolded-drawing .column-button:focus{outline:none}"
    f".unfolded-drawing .column-button:focus-visible{{stroke:{HIGHLIGHT.hex};stroke-width:3}}</style>"
)


def column_controls(
    left: float, column_width: float, timesteps: int, panels: list[tuple[float, float]], axis_top: float
) -> str:
    """What makes a column answer the pointer and the keyboard, drawn over everything else.

    - ``g.hover-column``: a dashed outline, in every panel, of the column under the pointer (or keyboard focus);
      hidden until then. It is drawn at the leftmost column (t = T − 1) and moved by the page's script, which reads
      the grid's geometry from ``g.columns``.
    - ``g.columns``: one button per column over the time axis, named for screen readers; the first (t = 0) is in
      the tab order, the arrow keys move between them (a single tab stop however long the sum).
    """
    outlines = "".join(
        f'<rect x="{left:g}" y="{top - 1:g}" width="{column_width:g}" height="{height + 2:g}"/>'
        for top, height in panels
    )
    hover = (
        f'<g class="hover-column" visibility="hidden" pointer-events="none" fill="none" stroke="{HIGHLIGHT.hex}" '
        f'stroke-width="2" stroke-dasharray="5 3" aria-hidden="true">{outlines}</g>'
    )
    grid_top = panels[0][0]
    buttons = "".join(
        f'<rect class="column-button" role="button" tabindex="{0 if step == 0 else -1}" data-t="{step}" '
        f'aria-label="Show step t={step} (the {place_value(step)} column)" '
        f'x="{column_x(left, column_width, timesteps, step):g}" y="{axis_top:g}" width="{column_width:g}" '
        f'height="32" fill="transparent"/>'
        for step in range(timesteps)
    )
    return hover + (
        f'<g class="columns" data-left="{left:g}" data-width="{column_width:g}" data-timesteps="{timesteps}" '
        f'data-top="{grid_top:g}" data-bottom="{axis_top + 32:g}">{buttons}</g>'
    )


def step_points_meta(points: Sequence[Sequence[float] | None], ring_size: float) -> dict:
    """A figure's ``layout.meta`` for the page's hover link (``ui/charts.py``): ``points[t]`` is where step t's
    mark sits in data coordinates (``None``: nowhere), ``ring_size`` the ring's diameter in pixels. Hovering column
    t of the unfolded addition rings that point, in the browser, without a run on the server. Coordinates are
    rounded to 4 decimals (a figure spans a few units over at most ~1,500 px: far below a pixel), to keep the
    figure short: it goes to the browser again with every step while its view is open."""
    return {
        "step_points": [None if point is None else [round(float(x), 4) for x in point[:2]] for point in points],
        "ring_size": float(ring_size),
    }
