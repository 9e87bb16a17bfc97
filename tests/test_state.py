"""The page's state in one table (ui/state.py): no module spells a key itself, the links keep their names, and
a browser's own widget values win over the link when a tab reconnects to a new server session (issue 23, item 4).
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from explainer.paths import PROJECT_ROOT
from ui.state import BY_KEY, TABLE

APP = str(PROJECT_ROOT / "streamlit_app.py")
PAGE_SOURCES = sorted([PROJECT_ROOT / "streamlit_app.py", *(PROJECT_ROOT / "ui").glob("*.py")])
# A string literal used as a key: st.session_state["…"], .get/.pop/.setdefault("…"), "…" in st.session_state,
# and the same on st.query_params.
STORES = r"st\.(?:session_state|query_params)"
BARE_KEY = re.compile(
    rf"{STORES}\s*\[\s*[\"']|{STORES}\.(?:get|pop|setdefault)\(\s*[\"']|[\"']\s+(?:not\s+)?in\s+{STORES}"
)


@pytest.mark.parametrize("path", PAGE_SOURCES, ids=lambda path: path.name)
def test_no_module_spells_a_state_key_itself(path):
    if path.name == "state.py":
        return
    source = path.read_text(encoding="utf-8")
    bare = [line.strip() for line in source.splitlines() if BARE_KEY.search(line)]
    assert not bare, f"{path.name}: keys belong in ui/state.py: {bare}"
    widget_keys = set(re.findall(r"\bkey=[\"']([^\"']+)[\"']", source))
    assert not widget_keys & set(BY_KEY), f"{path.name}: widget keys from the table spelled out: {widget_keys}"


def test_the_bare_key_check_finds_a_bare_key():
    assert BARE_KEY.search('st.session_state["timestep"] = 3')
    assert BARE_KEY.search("st.query_params.get('a', '')")
    assert BARE_KEY.search('if "tour" in st.query_params:')
    assert not BARE_KEY.search("st.session_state[TIMESTEP] = 3")


def test_the_links_keep_their_parameter_names():
    names = [entry.url for entry in TABLE if entry.url is not None]
    assert sorted(names) == sorted(
        [
            "a",
            "b",
            "n",
            "t",
            "section",
            "view",
            "view",  # a rule's own views (ui.rule_insight), in links as addition's
            "ablate",
            "clamp",
            "tour",
            "patch_t",
            "patch",
            "patch_a",
            "patch_b",
            "rule",
            "c",  # a rule's third number (?rule=three_numbers&a=5&b=6&c=7)
            "brackets",  # balanced brackets' string (?rule=brackets&brackets=(()))
        ]
    )
    assert len({entry.key for entry in TABLE}) == len(TABLE)


def _page(query: dict[str, str]) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params.update(query)
    return app


def test_a_new_session_keeps_the_values_the_browser_sends_over_the_link():
    """A tab opened from ``?a=3005&b=45``, where 777 was typed and t = 3 chosen, reconnects to a new server
    session (its replica was killed) whose first run receives those widget values with the old link. The page
    must show 777 + 45 at t = 3, not redraw the link's pair, and the next step must go to t = 4."""
    link = {"a": "3005", "b": "45"}
    first = _page(link).run()
    first.text_input(key="a_text").input("777").run()
    first.slider(key="timestep").set_value(3).run()
    assert any("The RNN says 777 + 45 = 822" in element.value for element in first.markdown)
    browser_values = first._tree.get_widget_states()  # what the tab's widgets hold (AppTest has no public way)

    second = _page(link)
    second._run(browser_values)  # the new session's first run, with the reconnecting browser's values
    assert not second.exception
    assert second.text_input(key="a_text").value == "777"
    assert any("The RNN says 777 + 45 = 822" in element.value for element in second.markdown)
    assert second.slider(key="timestep").value == 3
    assert not second.warning, [warning.value for warning in second.warning]
    second.button(key="timestep_next").click().run()
    assert second.slider(key="timestep").value == 4
    assert any("Step t = 4" in element.value for element in second.markdown)
    assert second.query_params["a"] == "777" and second.query_params["t"] == "4"


def test_a_first_visit_still_takes_the_link_and_its_notices():
    app = _page({"a": "3005", "b": "45", "t": "99"}).run()
    assert app.text_input(key="a_text").value == "3005"
    assert app.slider(key="timestep").value == app.slider(key="timestep").max
    assert [warning.value for warning in app.warning if "t = 99" in warning.value]
