"""An ablation: which hidden units are held at a fixed value, and its URL form ``?ablate=3,7&clamp=5:0.9``.

An :class:`Ablation` is a frozen, hashable value, so it keys every analysis cache as it is; the network
applies it in one place, :func:`explainer.model.network.activate`, through :meth:`Ablation.mask_and_values`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Ablation:
    """Hidden units held at fixed values at every timestep, for a network with ``hidden_units`` units.

    ``zeroed`` units are held at 0 and each ``(unit, value)`` of ``clamped`` at ``value`` in [0, 1] (a sigmoid
    unit's range). Both are sorted by unit. Build one with :func:`make_ablation`, which validates the choice.
    """

    hidden_units: int
    zeroed: tuple[int, ...] = ()
    clamped: tuple[tuple[int, float], ...] = ()

    @property
    def held(self) -> tuple[tuple[int, float], ...]:
        """Every held unit with its value, ``((unit, value), …)`` sorted by unit."""
        return tuple(sorted([(unit, 0.0) for unit in self.zeroed] + list(self.clamped)))

    @cached_property
    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        mask = np.zeros(self.hidden_units, dtype=bool)
        values = np.zeros(self.hidden_units, dtype=np.float64)
        for unit, value in self.held:
            mask[unit] = True
            values[unit] = value
        mask.setflags(write=False)
        values.setflags(write=False)
        return mask, values

    def mask_and_values(self) -> tuple[np.ndarray, np.ndarray]:
        """``(mask (H,) bool, values (H,) float)``: ``h_t[mask]`` is replaced by ``values[mask]``."""
        return self._arrays

    def describe(self) -> str:
        """'units 3, 7 zeroed; unit 5 held at 0.9' — for captions."""
        zeroed = [str(unit) for unit, value in self.held if value == 0.0]
        held = [f"unit {unit} held at {value:g}" for unit, value in self.held if value != 0.0]
        parts = [f"unit{'s' if len(zeroed) > 1 else ''} {', '.join(zeroed)} zeroed"] if zeroed else []
        return "; ".join(parts + held)


def describe_ablation(ablation: Ablation | None) -> str:
    """'units 3, 7 zeroed; unit 5 held at 0.9' — for captions; 'no ablation' for ``None``."""
    return "no ablation" if ablation is None else ablation.describe()


def make_ablation(
    hidden_units: int, zeroed: set[int] | frozenset[int] | tuple[int, ...] = (), clamped: dict[int, float] | None = None
) -> Ablation | None:
    """The :class:`Ablation` that zeroes ``zeroed`` and holds each unit of ``clamped`` at its value.

    Returns ``None`` when nothing is ablated, so callers can pass it straight on. Raises ``ValueError``
    naming the bad unit or value.
    """
    clamped = dict(clamped or {})
    if isinstance(hidden_units, bool) or not isinstance(hidden_units, int) or hidden_units < 1:
        raise ValueError(f"hidden_units must be a positive int; got {hidden_units!r}.")
    for unit in [*zeroed, *clamped]:
        if isinstance(unit, bool) or not isinstance(unit, int | np.integer) or not 0 <= unit < hidden_units:
            raise ValueError(f"unit {unit!r} does not exist: this network has units 0–{hidden_units - 1}.")
    both = sorted(set(zeroed) & set(clamped))
    if both:
        raise ValueError(f"unit(s) {both} are both zeroed and clamped; pick one for each unit.")
    for unit, value in clamped.items():
        if not isinstance(value, int | float | np.floating | np.integer) or not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"unit {unit} is clamped to {value!r}; a sigmoid unit's value must be in [0, 1].")
    if not zeroed and not clamped:
        return None
    return Ablation(
        hidden_units=hidden_units,
        zeroed=tuple(sorted(int(unit) for unit in set(zeroed))),
        clamped=tuple(sorted((int(unit), float(value)) for unit, value in clamped.items())),
    )


# A clamp value as format_ablation_query writes it (``{value:g}``): ASCII digits, an optional point and exponent.
_CLAMP_VALUE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_UNIT_DIGITS = 3  # units are 0–63; a longer number is refused before int() (which refuses 4,300+ digits itself)


def _unit_number(piece: str) -> int | None:
    """``piece`` as a unit number if it is 1–3 ASCII digits, else ``None`` (Python's int() takes ``٣``)."""
    return int(piece) if piece.isascii() and piece.isdigit() and len(piece) <= _UNIT_DIGITS else None


def parse_ablation_query(ablate: str, clamp: str, hidden_units: int) -> tuple[frozenset[int], dict[int, float]]:
    """Read ablations from URL query values: ``ablate="3,7"`` (units to zero), ``clamp="5:0.9,2:0.1"``.

    Returns ``(zeroed, clamped)``. Raises ``ValueError`` saying what is wrong, so a page can warn and fall
    back to no ablation: anything but ASCII digits, a unit clamped twice, a value that is not a plain
    number. The message never repeats the link's text (a page shows it as Markdown; the page quotes the
    value itself). The result is also validated by :func:`make_ablation`.
    """
    zeroed: set[int] = set()
    clamped: dict[int, float] = {}
    for piece in filter(None, (part.strip() for part in (ablate or "").split(","))):
        unit = _unit_number(piece)
        if unit is None:
            raise ValueError("ablate has a piece that is not a unit number; write e.g. ablate=3,7.")
        zeroed.add(unit)
    for piece in filter(None, (part.strip() for part in (clamp or "").split(","))):
        unit_text, separator, value_text = piece.partition(":")
        unit = _unit_number(unit_text.strip())
        if not separator or unit is None:
            raise ValueError("clamp has a piece that is not unit:value; write e.g. clamp=5:0.9.")
        if not _CLAMP_VALUE.fullmatch(value_text.strip()) or not np.isfinite(float(value_text)):
            raise ValueError("clamp has a value that is not a number between 0 and 1; write e.g. clamp=5:0.9.")
        if unit in clamped:
            raise ValueError(f"clamp: unit {unit} is clamped twice; give each unit one value.")
        clamped[unit] = float(value_text)
    make_ablation(hidden_units, zeroed, clamped)  # raises for units out of range, overlaps, bad values
    return frozenset(zeroed), clamped


def format_ablation_query(zeroed: set[int] | frozenset[int], clamped: dict[int, float]) -> dict[str, str]:
    """The query parameters that :func:`parse_ablation_query` reads back; empty ones are left out."""
    params = {}
    if zeroed:
        params["ablate"] = ",".join(str(unit) for unit in sorted(zeroed))
    if clamped:
        params["clamp"] = ",".join(f"{unit}:{clamped[unit]:g}" for unit in sorted(clamped))
    return params
