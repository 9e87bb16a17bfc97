"""The scroll script (ui/scroll.py) goes out once, in the run that enters a tour stop or opens a link to a section
under the picture, and in no other run: a rerun or a step click carries none of it."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from explainer.paths import PROJECT_ROOT
from ui.scroll import SECTION_VIEW, TOUR_CARD

PAGE = str(PROJECT_ROOT / "streamlit_app.py")


def scrolls_to(app: AppTest) -> list[str]:
    """The parts this run's scroll scripts bring into sight."""
    bodies = [element.proto.body for element in app.get("html")]
    return [place for body in bodies for place in (TOUR_CARD, SECTION_VIEW) if f"'.st-key-{place}'" in body]


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ({"section": "the-weights"}, [SECTION_VIEW]),
        ({"section": "what-did-it-learn", "view": "state-space"}, [SECTION_VIEW]),
        ({"section": "inside-one-step"}, []),  # beside the picture: in sight already
        ({"a": "127", "b": "1"}, []),
        ({"tour": "5", "section": "the-weights"}, [TOUR_CARD]),  # the stop wins over the section it changes
    ],
)
def test_a_link_scrolls_once_to_what_it_opens(link, expected):
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.query_params.update(link)
    app.run()
    assert not app.exception
    assert scrolls_to(app) == expected
    app.run()  # the next run is the visitor's: no scrolling
    assert scrolls_to(app) == []


def test_each_tour_stop_scrolls_to_its_card_and_a_step_click_does_not():
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    assert scrolls_to(app) == []
    app.button(key="tour_start").click().run()
    assert scrolls_to(app) == [TOUR_CARD]
    app.button(key="timestep_next").click().run()
    assert scrolls_to(app) == []
    app.button(key="tour_next").click().run()
    assert scrolls_to(app) == [TOUR_CARD]
    app.button(key="tour_leave").click().run()
    assert scrolls_to(app) == []
