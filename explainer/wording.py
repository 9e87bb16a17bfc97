"""Small rules of English that several sentences share, so "1 columns" cannot come back in one of them."""

from __future__ import annotations


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``count`` and ``noun``, the noun in the plural unless the count is exactly one.

    ``plural(1, "column")`` → "1 column"; ``plural(2_000, "column")`` → "2,000 columns";
    ``plural(3, "box", "boxes")`` → "3 boxes".
    """
    return f"{count:,} {noun if count == 1 else plural_noun or noun + 's'}"


def a_or_an(count: int) -> str:
    """The article before a number read aloud: "an 8-state table", "an 11", "an 18", "a 2"."""
    spoken = str(count)
    starts_with_vowel = spoken.startswith("8") or (len(spoken) in (2, 5, 8) and spoken[:2] in ("11", "18"))
    return "an" if starts_with_vowel else "a"


SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_two(exponent: int) -> str:
    """A column's place value as text, without markup: ``power_of_two(10)`` → "2¹⁰"."""
    return "2" + str(int(exponent)).translate(SUPERSCRIPT)


def bits_phrase(bits) -> str:
    """A column's input bits in words: "the bit is 0", "the bits are 1 and 0", "the bits are 1, 0 and 1"."""
    words = [str(int(bit)) for bit in bits]
    if len(words) == 1:
        return f"the bit is {words[0]}"
    return f"the bits are {', '.join(words[:-1])} and {words[-1]}"
