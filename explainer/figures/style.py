"""One look for every figure: the palette named by meaning, the font, the common layout, the time axis.

Every figure module and every caption that names a colour takes it from here, so one meaning has one
colour on the whole page and a caption can never disagree with its chart: captions interpolate a colour's
``name`` (e.g. ``f"the {CARRIED_CONTRIBUTION.name} bar"``). The hues are Okabe & Ito's (2008), which stay
distinguishable under the common colour-vision deficiencies; the heatmap scales are Cividis (designed for
red-green colour blindness and greyscale) and ColorBrewer's RdBu (colour-blind safe, diverging at zero).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import plotly.colors
import plotly.graph_objects as go


@dataclass(frozen=True)
class Colour:
    hex: str  # what the figures use
    name: str  # what the captions say


# What the network reads now versus what its memory brings: x_t·W_x against h_{t-1}·W_h, everywhere.
INPUT_CONTRIBUTION = Colour("#0072B2", "blue")
CARRIED_CONTRIBUTION = Colour("#E69F00", "orange")
# The carry: units the probe leans on, a carry of 1, runs that found it.
CARRY = Colour("#009E73", "green")
# A wrong bit, a failed run, where the probe first disagrees.
WRONG = Colour("#D55E00", "red")
WRONG_FILL = "#f4a3a3"  # a wrong cell's background: a light tint of the same warning
# What the reader chose: the timestep, the checkpoint, the pair (dashed: the column the pointer or keyboard is on,
# solid: the step chosen; ringed in the state space and the machine). Stands out against Cividis and RdBu.
HIGHLIGHT = Colour("#CC79A7", "pink")
# Units held fixed by an ablation.
ABLATED = Colour("#F0E442", "yellow")
# Everything that carries no special meaning: baselines, "no carry", bit accuracy, the start state.
NEUTRAL = Colour("#999999", "grey")
INK = "#000000"  # totals, paths, arrows, outlines
ACCURACY = Colour("#56B4E9", "light blue")  # exact accuracy and the states of the extracted machine
ONE_BIT_FILL = "#dbe4f0"  # a cell holding a 1 bit
EMPTY_FILL = "#F0F0F0"  # a cell holding a 0 in the bit-row charts
AXIS_GRID = "#eee"
AXIS_ZERO = "#999"
# Column sums 0–3 in Viridis order (dark to light), so the colour also reads as "more".
COLUMN_SUM_COLOURS = ("#440154", "#31688E", "#35B779", "#FDE725")
CARRY_COLOURS = (NEUTRAL.hex, CARRY.hex)  # carry 0, carry 1
# A rule's machine state, by its number in the rule's machine (explainer.rules): state 0 (the start: carry 0,
# borrow 0, remainder 0, depth 0) grey and state 1 green as addition's carry, then Paul Tol's colour-blind-safe
# indigo, sand, wine, cyan, dark green and purple for the states only rules with more of them have.
STATE_COLOURS = (NEUTRAL.hex, CARRY.hex, "#332288", "#DDCC77", "#882255", "#88CCEE", "#117733", "#AA4499")


def state_colour(state: int) -> str:
    """The colour of a rule's machine state ``state`` (0, 1, …) in every figure; the last colour repeats past it."""
    return STATE_COLOURS[min(int(state), len(STATE_COLOURS) - 1)]


# Units are sigmoids, so the activation scale is fixed to [0, 1] and colours mean the same for every pair.
ACTIVATION_SCALE = "Cividis"
COUNT_SCALE = "Cividis"
# Weights are signed: a diverging scale centred on zero.
WEIGHT_SCALE = "RdBu"

FONT = {"family": "Inter, Helvetica, Arial, sans-serif", "size": 13}
LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "font": FONT}


def _relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#rrggbb`` colour."""
    channels = [int(colour.lstrip("#")[index : index + 2], 16) / 255 for index in (0, 2, 4)]
    linear = [value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4 for value in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours: 1 (none) to 21 (black on white); text needs ≥ 4.5."""
    lighter, darker = sorted((_relative_luminance(first), _relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (e.g. a state's label on its circle)."""
    return INK if contrast_ratio(INK, fill) >= contrast_ratio("#ffffff", fill) else "#ffffff"


def subplot_layout(height: int, left_margin: int = 60, legend_y: float | None = None) -> dict:
    """Font, margins and (if ``legend_y`` is given) a horizontal legend under the plot, for subplot figures."""
    layout = {"height": height, "margin": {"l": left_margin, "r": 20, "t": 40, "b": 50}, "font": FONT}
    if legend_y is not None:
        layout["legend"] = {"orientation": "h", "yanchor": "top", "y": legend_y}
    return layout


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUBSCRIPTS = str.maketrans("0123456789+-−()ehotx", "₀₁₂₃₄₅₆₇₈₉₊₋₋₍₎ₑₕₒₜₓ")
_SUBSCRIPTED = re.compile(r"_\(([0-9+\-−()ehotx]*)\)|_([0-9ehotx])(?![\w])")


def math_text(words: str) -> str:
    """The maths names in ``words`` as a reader sees them printed, not as typed: ``h_t`` → hₜ, ``W_o`` → Wₒ,
    ``h_(t−1)`` → hₜ₋₁ (a subscript in brackets, or one character that has a subscript form; anything else, such
    as ``unit_count``, is left as it is). For figures' labels, legends and tooltips."""
    return _SUBSCRIPTED.sub(lambda match: (match.group(1) or match.group(2)).translate(_SUBSCRIPTS), words)


def place_value(step: int) -> str:
    """The place value column ``step`` stands for, written as a power of two: ``"2³"`` for step 3."""
    return "2" + str(step).translate(_SUPERSCRIPTS)


def timestep_labels(timesteps: int) -> list[str]:
    """``"t=3 · 2³"``-style labels: the timestep and the place value its column stands for."""
    return [f"t={step}<br>{place_value(step)}" for step in range(timesteps)]


def time_axis(figure: go.Figure, timesteps: int, **settings) -> None:
    """Timesteps right to left (t = 0 on the right), as in the page's unfolded addition and on paper."""
    figure.update_xaxes(
        autorange="reversed",
        tickmode="array",
        tickvals=list(range(timesteps)),
        ticktext=timestep_labels(timesteps),
        **settings,
    )


def as_vector(values: object, name: str, dimensions: int = 1) -> np.ndarray:
    """``values`` as a float array of ``dimensions`` dimensions, or a ``ValueError`` naming ``name``."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != dimensions:
        raise ValueError(f"{name} must be a {dimensions}-D array; got shape {array.shape}.")
    return array


@functools.lru_cache(maxsize=8)
def _scale_stops(scale: str) -> tuple[np.ndarray, np.ndarray]:
    """Positions (K,) and RGB channels (K, 3) of one of Plotly's named colour scales."""
    stops = plotly.colors.get_colorscale(scale)
    positions = np.array([position for position, _ in stops], dtype=np.float64)
    rgb = [plotly.colors.convert_colors_to_same_type(colour, "rgb")[0][0] for _, colour in stops]
    channels = np.array([plotly.colors.unlabel_rgb(colour) for colour in rgb], dtype=np.float64)
    return positions, channels


def scale_colours(values: object, scale: str, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """``#rrggbb`` of each value on the colour scale ``scale`` (e.g. ``ACTIVATION_SCALE``) over [low, high], an
    array of strings shaped like ``values``: the colour Plotly paints that value with, for figures drawn as SVG."""
    positions, channels = _scale_stops(scale)
    fractions = np.clip((np.asarray(values, dtype=np.float64) - low) / (high - low), 0.0, 1.0)
    rgb = np.stack([np.interp(fractions, positions, channels[:, channel]) for channel in range(3)], axis=-1)
    packed = np.rint(rgb).astype(np.int64) @ np.array([1 << 16, 1 << 8, 1])
    return np.array([f"#{value:06x}" for value in packed.ravel()]).reshape(packed.shape)
