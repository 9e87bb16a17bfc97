"""A shared link cannot put markup on the page: every parameter's notice shows the link's value as text.

Each payload goes into every parameter the page reads (a, b, n, t, tour, section, view, ablate; clamp on its
own, because a bad ``ablate`` is reported first; the transplant panel's patch_t, patch, patch_a and patch_b with
its view open). Chromium then must hold no image, link or bold text the
link put there, must not have asked for anything at evil.example, and each notice must show the value
literally. Requests to evil.example are recorded and aborted, so nothing leaves the machine.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest

from tests.support.browser import require_browser
from ui.echo import QUOTED_LENGTH

require_browser()

pytestmark = pytest.mark.browser

PAYLOADS = {
    "an image": "![](//evil.example/)",
    "an https image": "![x](https://evil.example/p.png)",
    "a link": "[Sign in again](https://evil.example)",
    "a protocol-relative link": "[Go](//evil.example)",
    "bold": "**BIG**",
    "an HTML image": '<img src="//evil.example/h.png">',
    "a colour and an emoji": ":red[**BIG**] :smile:",
    "maths and an icon": "$x^2$ :material/home:",
}
PARAMETERS = ("a", "b", "n", "t", "tour", "section", "view", "ablate")
SHOWN_LENGTH = {"tour": 20}  # how much of each value a notice repeats (the rest is cut, with "…")
NOTICE = "[data-testid='stAlertContentWarning']"
RENDERED = "[data-testid='stMarkdownContainer'] p"  # a notice's text, once its Markdown is drawn


def shown(text: str) -> str:
    """What a reader sees: without the invisible word joiner ui/echo.py puts into ":material/…:"."""
    return text.replace("\u2060", "")


def to_evil(url: str) -> bool:
    """A request to the attacker's host (not the page's own URL, whose query spells the payload)."""
    return (urlsplit(url).hostname or "").endswith("evil.example")


def literal(name: str, value: str) -> str:
    limit = SHOWN_LENGTH.get(name, QUOTED_LENGTH)
    return f"{name}={value[:limit]}{'…' if len(value) > limit else ''}"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    requests = []
    context.route(to_evil, lambda route: route.abort())  # recorded below, never sent
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url) if to_evil(request.url) else None)
    page.evil_requests = requests
    yield page
    context.close()


def open_link(page, server_url: str, query: dict[str, str]):
    page.goto(f"{server_url}/?{urlencode(query)}")
    page.get_by_text("The RNN says 50 + 18 = 68").first.wait_for(timeout=60_000)


def assert_nothing_injected(page) -> None:
    assert page.locator("img[src*='evil.example']").count() == 0
    assert page.locator("a[href*='evil.example']").count() == 0
    assert page.locator("strong:has-text('BIG'), b:has-text('BIG'), em:has-text('BIG')").count() == 0
    assert page.evil_requests == []


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_a_link_value_is_shown_as_text_in_every_parameters_notice(server_url, page, payload):
    from playwright.sync_api import expect

    value = PAYLOADS[payload]
    open_link(page, server_url, dict.fromkeys(PARAMETERS, value))
    notices = page.locator(NOTICE)
    expect(notices).to_have_count(len(PARAMETERS), timeout=30_000)  # one notice each: none lost to markup
    expect(notices.locator(RENDERED)).to_have_count(len(PARAMETERS), timeout=30_000)
    assert_nothing_injected(page)
    texts = [shown(text) for text in notices.all_inner_texts()]
    for name in PARAMETERS:
        assert any(literal(name, value) in text for text in texts), (name, texts)


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_a_clamp_value_is_shown_as_text(server_url, page, payload):
    from playwright.sync_api import expect

    value = PAYLOADS[payload]
    open_link(page, server_url, {"clamp": value})
    notices = page.locator(NOTICE)
    expect(notices).to_have_count(1, timeout=30_000)
    expect(notices.locator(RENDERED)).to_have_count(1, timeout=30_000)
    assert_nothing_injected(page)
    assert literal("clamp", value) in shown(notices.first.inner_text())


TRANSPLANT_PARAMETERS = ("patch_t", "patch", "patch_a", "patch_b")
TRANSPLANT_VIEW = {"section": "what-did-it-learn", "view": "transplant-the-carry"}


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_the_transplant_panels_link_values_are_shown_as_text(server_url, page, payload):
    from playwright.sync_api import expect

    value = PAYLOADS[payload]
    open_link(page, server_url, {**TRANSPLANT_VIEW, **dict.fromkeys(TRANSPLANT_PARAMETERS, value)})
    notices = page.locator(NOTICE)
    # One for patch_t, one for patch, one for the typed source (patch_a and patch_b are read together).
    expect(notices).to_have_count(3, timeout=120_000)
    expect(notices.locator(RENDERED)).to_have_count(3, timeout=30_000)
    assert_nothing_injected(page)
    texts = [shown(text) for text in notices.all_inner_texts()]
    for name in TRANSPLANT_PARAMETERS:
        assert any(literal(name, value) in text for text in texts), (name, texts)
