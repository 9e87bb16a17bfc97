"""Small rules of English that several sentences share, so "1 columns" cannot come back in one of them."""

from __future__ import annotations


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``count`` and ``noun``, the noun in the plural unless the count is exactly one.

    ``plural(1, "column")`` → "1 column"; ``plural(2_000, "column")`` → "2,000 columns";
    ``plural(3, "box", "boxes")`` → "3 boxes".
    """
    return f"{count:,} {noun if count == 1 else plural_noun or noun + 's'}"
