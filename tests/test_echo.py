"""ui/echo.py: a value from a link or an upload, quoted, reads back as exactly its text in Markdown.

Read by a CommonMark parser (markdown-it-py, with raw HTML allowed: the worst case) inside the sentence a
notice puts it in. Streamlit's own renderer is checked in Chromium by tests/test_link_injection.py.
"""

from __future__ import annotations

import html
import string

import pytest
from markdown_it import MarkdownIt

from ui.echo import QUOTED_LENGTH, quoted

COMMONMARK = MarkdownIt("commonmark", {"html": True})
WORD_JOINER = "\u2060"  # invisible; ui/echo.py puts one into ":material/…:" (see the test at the end)

HOSTILE = {
    "an image": "![x](https://evil.example/p.png)",
    "a link": "[Sign in again](https://evil.example)",
    "a protocol-relative link": "[Go](//evil.example)",
    "bold": "**BIG**",
    "emphasis": "_i_ *i*",
    "an HTML image": '<img src="https://evil.example/p.png">',
    "a script tag": "<script>alert(1)</script>",
    "an autolink": "<https://evil.example>",
    "LaTeX": "$\\frac{1}{0}$ and $$x$$",
    "a colour directive": ":red[x] :material/warning:",
    "backticks": "`tick` ``two`` ```",
    "a heading": "# Title",
    "a list": "- item",
    "an entity": "&amp; &lt;b&gt;",
    "a bare URL": "www.evil.example http://evil.example a@evil.example",
    "a backslash": "\\*not bold\\*",
    "every ASCII punctuation": string.punctuation,
}


def rendered_inside_a_sentence(value: str) -> str:
    return COMMONMARK.render(f"The link's b={quoted(value, limit=None)} was not usable.")


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_quoted_value_reads_back_as_its_own_text_and_nothing_else(case):
    value = HOSTILE[case]
    out = rendered_inside_a_sentence(value)
    before, code = "<p>The link's b=<code>", "</code> was not usable.</p>\n"
    assert out.startswith(before) and out.endswith(code), out  # one paragraph, one code element, nothing else
    inner = out[len(before) : -len(code)]
    assert "<" not in inner and html.unescape(inner).replace(WORD_JOINER, "") == value, out


@pytest.mark.parametrize("character", list(string.punctuation))
def test_every_markdown_special_character_alone_or_around_a_word_is_literal(character):
    for value in (character, character * 3, f"{character}x{character}", f"x{character}"):
        out = rendered_inside_a_sentence(value)
        text = html.unescape(out.removeprefix("<p>The link's b=").removesuffix(" was not usable.</p>\n"))
        assert text in (value, f"<code>{value}</code>"), (value, out)
        if text == value:  # shown as it is only when nothing in it is Markdown
            assert value.replace(".", "").replace("-", "").replace("_", "").replace("x", "") == ""


@pytest.mark.parametrize("value", ["50", "weights_7.npz", "my-weights.2.npz", "nowhere"])
def test_a_plain_word_or_number_is_shown_as_it_is(value):
    assert quoted(value) == value


@pytest.mark.parametrize("value", ["www.evil.example", "a@evil.example", "_i_", "x y"])
def test_a_word_that_streamlit_would_read_as_more_than_text_is_code(value):
    assert quoted(value).startswith("`")


def test_a_long_value_is_cut_with_an_ellipsis():
    value = "![x](https://evil.example/" + "p" * 5000 + ".png)"
    shown = quoted(value)
    assert len(shown) < QUOTED_LENGTH + 10 and "…" in shown and "p" * 5000 not in shown
    assert quoted(value, limit=10) == "` ![x](https… `"
    assert quoted("a" * 41) == "` " + "a" * 40 + "… `"


def test_line_breaks_and_control_characters_cannot_end_the_quote():
    value = "x\n\n**BIG**\r\u2028[a](https://evil.example)\x00"
    out = rendered_inside_a_sentence(value)
    assert out.count("<p>") == 1 and "<strong>" not in out and "<a " not in out, out
    assert "<code>" in out and "evil.example" in out


def test_a_material_icon_name_keeps_its_slash():
    # Streamlit rewrites ":material/home:" to ":material_home:" even inside code (seen in Chromium); a word
    # joiner after the colon stops it, and nothing else in the value changes.
    shown = quoted("a :material/home: b")
    assert shown == f"` a :{WORD_JOINER}material/home: b `"
    assert quoted(":red[x] :smile:") == "` :red[x] :smile: `"  # only the icon pattern is touched
