"""Issue 16, as cases: what an attacker or a careless visitor tried, and what must happen instead.

1. closing a tab mid-training must not leak a training slot (a browser test at the end);
2. ``.keras`` downloads start at most the configured number of export children, and repeats are cached;
3. an ``.npy`` header declaring a giant shape is refused with a message, and what the visitor had survives;
4. weights whose sums overflow (±1e308) are refused, and a view whose analysis cannot run says so;
5. a 60 KB header, a directory or ``/dev/zero`` as the model file, Markdown in a file name, and junk in links
   (``t=999``, a unit clamped twice, non-ASCII digits, a 5,000-digit unit, over 1,000 parameters).

Page behaviours go through AppTest (``default_timeout=60``); the training-slot case needs a real browser.
"""

from __future__ import annotations

import io
import os
import re
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from explainer.files.npz_file import weights_to_npz_bytes
from explainer.model.network import RNNWeights
from tests.support.networks import random_weights
from tests.support.processes import children
from ui.session_networks import UploadedWeights

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = str(PROJECT_ROOT / "streamlit_app.py")
TIMEOUT = 60


def start(query: dict[str, str] | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in (query or {}).items():
        app.query_params[name] = value
    return app.run()


def no_exception(app: AppTest) -> None:
    assert not app.exception, [exception.value for exception in app.exception]


def verdict(app: AppTest) -> str:
    (line,) = [
        markdown.value for markdown in app.markdown if markdown.value.startswith("## ") and " says " in markdown.value
    ]
    return line


def npy_with_header(shape: tuple, data: bytes, header_padding: int = 0) -> bytes:
    """A ``.npy`` member whose header says ``shape`` (float64) whatever ``data`` really holds."""
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape!r}, }}" + " " * header_padding + "\n"
    if len(header) < 2**16:
        return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode("latin1") + data
    return b"\x93NUMPY\x02\x00" + len(header).to_bytes(4, "little") + header.encode("latin1") + data


def npz_with_input_member(member: bytes) -> bytes:
    """A valid-looking H = 3 ``.npz`` whose ``input_weights`` member is ``member``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("input_weights.npy", member)
        for name, shape in (("recurrent_weights", (3, 3)), ("output_weights", (3, 1))):
            array_buffer = io.BytesIO()
            np.save(array_buffer, np.ones(shape))
            archive.writestr(f"{name}.npy", array_buffer.getvalue())
    return buffer.getvalue()


def huge_weights(hidden_units: int = 16) -> RNNWeights:
    """Finite, but ±1e308: x·W_x + h·W_h overflows to ±inf, and inf − inf is NaN."""
    rng = np.random.default_rng(0)
    signs = [
        rng.choice([-1.0, 1.0], size=shape) for shape in ((2, hidden_units), (hidden_units,) * 2, (hidden_units, 1))
    ]
    return RNNWeights(*(1e308 * sign for sign in signs))


# --------------------------------------------------------------------------------------------------
# Uploads (items 3, 4 and 5).
# --------------------------------------------------------------------------------------------------

BAD_UPLOADS = {
    "header declares (2, 10**12)": (
        npz_with_input_member(npy_with_header((2, 10**12), bytes(48))),
        "(2, 1000000000000)",
    ),
    "header declares (2, 2**32)": (npz_with_input_member(npy_with_header((2, 2**32), bytes(48))), "(2, 4294967296)"),
    "60 KB header": (
        npz_with_input_member(npy_with_header((2, 3), bytes(48), header_padding=60_000)),
        "not a plain array",
    ),
    "weights of ±1e308": (weights_to_npz_bytes(huge_weights()), "overflow"),
}


def page_at_upload() -> AppTest:
    app = start()
    app.segmented_control(key="section").set_value("Train it yourself").run()
    no_exception(app)
    return app


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_a_hostile_upload_is_refused_with_a_message_and_the_earlier_upload_survives(case):
    data, expected = BAD_UPLOADS[case]
    app = page_at_upload()
    good = random_weights(3, seed=1)
    app.file_uploader(key="weights_upload").upload("good.npz", weights_to_npz_bytes(good)).run()
    assert app.session_state["uploaded_weights"].weights == good
    app.file_uploader(key="weights_upload").upload("hostile.npz", data).run()
    no_exception(app)
    errors = [error.value for error in app.error]
    assert any(expected in error for error in errors), errors
    assert app.session_state["uploaded_weights"].weights == good  # what the visitor had is still there
    assert verdict(app).startswith("## Your upload")


# --------------------------------------------------------------------------------------------------
# A network no analysis can run on (item 4): every view still draws, with a message where it cannot.
# --------------------------------------------------------------------------------------------------

SECTIONS = ["Inside one step", "The weights", "What did it learn?", "Train it yourself", "Side by side"]
VIEWS = ["Carry probe", "State space", "Extracted machine", "Ablation", "Correctness map", "Any length", "Logit split"]


@pytest.fixture(scope="module")
def page_with_huge_weights() -> AppTest:
    """The loaders refuse such weights, so they are put into the session directly, as a bug elsewhere might."""
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.session_state["uploaded_weights"] = UploadedWeights(huge_weights(), "huge.npz")
    app.session_state["pending_model_source"] = "Uploaded weights"
    return app.run()


def test_a_failing_carry_probe_leaves_the_main_view_working(page_with_huge_weights):
    app = page_with_huge_weights
    no_exception(app)
    assert verdict(app).startswith("## Your upload (huge.npz) says 50 + 18 = ")
    assert any("carry probe could not be computed" in warning.value for warning in app.warning)


@pytest.mark.parametrize("section", SECTIONS)
def test_every_section_draws_or_says_why_not(page_with_huge_weights, section):
    app = page_with_huge_weights
    app.segmented_control(key="section").set_value(section).run()
    no_exception(app)
    assert verdict(app).startswith("## Your upload (huge.npz)")


@pytest.mark.parametrize("view", VIEWS)
def test_every_insight_view_draws_or_says_why_not(page_with_huge_weights, view):
    app = page_with_huge_weights
    app.segmented_control(key="section").set_value("What did it learn?").run()
    app.segmented_control(key="insight_view").set_value(view).run()
    no_exception(app)
    assert verdict(app).startswith("## Your upload (huge.npz)")


# --------------------------------------------------------------------------------------------------
# The model file is not a file (item 5).
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["directory", "/dev/zero"])
def test_a_model_path_that_is_not_a_file_is_named_for_what_it_is(monkeypatch, tmp_path, kind):
    from explainer.files.keras_file import MODEL_PATH_VARIABLE, SHIPPED_MODEL_COMMAND

    model_path = str(tmp_path) if kind == "directory" else "/dev/zero"
    monkeypatch.setenv(MODEL_PATH_VARIABLE, model_path)
    app = start()
    no_exception(app)
    (error,) = [error.value for error in app.error]
    expected = "is a directory" if kind == "directory" else "not a regular file"
    assert f"The model path {model_path} " in error and expected in error and MODEL_PATH_VARIABLE in error
    assert "missing" not in error and "--out" not in error  # never: "run … --out /dev/zero"
    assert app.code[0].value == SHIPPED_MODEL_COMMAND


# --------------------------------------------------------------------------------------------------
# Junk in links (item 5). More than 1,000 query parameters: Streamlit 1.67 empties the whole query in
# AppSession (runtime/state/query_params.py, sanitize_query_string) before the script runs, and neither
# st.query_params nor st.context.url (which drops the query) keeps it, so the page cannot tell such a link
# from one with no query at all: it opens at the defaults. The test pins that this stays harmless.
# --------------------------------------------------------------------------------------------------

ABLATION_LINKS = {
    "a unit clamped twice": ("", "5:0.1,5:0.9", "clamped twice"),
    "Arabic-Indic digits in a clamp value": ("", "5:٠.٩", "not a number"),
    "full-width digits in a clamp value": ("", "5:０.９", "not a number"),
    "full-width digits in a clamp unit": ("", "５:0.9", "not unit:value"),
    "an underscore in a clamp value": ("", "5:0.9_0", "not a number"),
    "a 5,000-digit unit": ("9" * 5000, "", "is not a unit number"),
    "a 5,000-digit clamp unit": ("", "9" * 5000 + ":0.5", "not unit:value"),
}


@pytest.mark.parametrize("case", sorted(ABLATION_LINKS))
def test_ablation_link_junk_is_refused_by_name(case):
    from explainer.analysis import parse_ablation_query

    ablate, clamp, expected = ABLATION_LINKS[case]
    with pytest.raises(ValueError, match=expected) as raised:
        parse_ablation_query(ablate, clamp, 16)
    message = str(raised.value)
    assert "set_int_max_str_digits" not in message and len(message) < 300  # never 5,000 digits read back


def test_a_clamp_as_the_page_writes_it_still_reads_back():
    from explainer.analysis import format_ablation_query, parse_ablation_query

    params = format_ablation_query({3}, {5: 0.9, 2: 0.00001, 7: 1.0, 8: 0.0})
    assert parse_ablation_query(params["ablate"], params["clamp"], 16) == (
        frozenset({3}),
        {2: 0.00001, 5: 0.9, 7: 1.0, 8: 0.0},
    )


@pytest.mark.parametrize("case", sorted(ABLATION_LINKS))
def test_ablation_link_junk_gives_a_notice_on_the_page(case):
    ablate, clamp, expected = ABLATION_LINKS[case]
    app = start({"ablate": ablate, "clamp": clamp} if ablate else {"clamp": clamp})
    no_exception(app)
    notices = [warning.value for warning in app.warning]
    assert any(expected in notice and "no units are ablated" in notice for notice in notices), notices
    assert not any("set_int_max_str_digits" in notice for notice in notices)
    assert verdict(app) == "## The RNN says 50 + 18 = 68 ✓"


@pytest.mark.parametrize(("query", "shown"), [({"t": "999"}, 7), ({"a": "255", "b": "255", "t": "99"}, 8)])
def test_a_timestep_past_the_end_is_clamped_with_a_notice(query, shown):
    app = start(query)
    no_exception(app)
    assert app.slider(key="timestep").value == shown
    (notice,) = [warning.value for warning in app.warning]
    assert f"t = {query['t']} is past the last column" in notice and f"showing t = {shown}" in notice


def test_a_timestep_inside_the_sum_gives_no_notice():
    app = start({"a": "255", "b": "255", "t": "8"})
    no_exception(app)
    assert app.slider(key="timestep").value == 8 and not app.warning


def test_a_link_with_over_a_thousand_parameters_opens_at_the_defaults():
    from streamlit.runtime.state.query_params import CLIENT_STATE_QUERY_STRING_MAX_FIELDS, sanitize_query_string

    query = "a=3&b=4&" + "&".join(f"x{index}=1" for index in range(CLIENT_STATE_QUERY_STRING_MAX_FIELDS))
    assert sanitize_query_string(query) == ""  # what Streamlit does before the page runs: nothing reaches it
    app = start({})
    no_exception(app)
    assert verdict(app) == "## The RNN says 50 + 18 = 68 ✓" and not app.warning


# --------------------------------------------------------------------------------------------------
# Markdown in a file name (item 5): shown as typed wherever the page writes the name.
# --------------------------------------------------------------------------------------------------

HOSTILE_NAME = "[click me](http://evil.example) ![pixel](http://evil.example/p.png) www.evil.example *:red[x]* $x$.npz"


def code_span_content(markdown: str) -> str | None:
    """The literal text of ``markdown`` if it is exactly one code span, as CommonMark reads it; else None."""
    fence = re.match(r"`+", markdown)
    if fence is None or not markdown.endswith(fence.group(0)) or len(markdown) < 2 * len(fence.group(0)) + 2:
        return None
    inner = markdown[len(fence.group(0)) : -len(fence.group(0))]
    if re.search(rf"(?<!`){fence.group(0)}(?!`)", inner):  # the same fence inside would close it early
        return None
    return inner[1:-1] if inner.startswith(" ") and inner.endswith(" ") and inner.strip() else inner


@pytest.mark.parametrize(
    "name",
    [HOSTILE_NAME, "www.evil.example.npz", "a@b.example.npz", "`tick` ``two``.npz", "``", "line\nbreak.npz", "_i_.npz"],
)
def test_a_file_name_that_could_be_markdown_becomes_literal_code(name):
    from ui.echo import quoted

    assert code_span_content(quoted(name, limit=None)) == " ".join(name.splitlines())


@pytest.mark.parametrize("name", ["weights.npz", "adder_seed_seed0_h16_step16000.npz", "my-weights.2.npz"])
def test_a_plain_file_name_is_shown_as_it_is(name):
    from ui.echo import quoted

    assert quoted(name, limit=None) == name


def test_markdown_in_an_uploaded_file_name_is_shown_as_text():
    from ui.echo import quoted

    app = page_at_upload()
    app.file_uploader(key="weights_upload").upload(HOSTILE_NAME, weights_to_npz_bytes(random_weights(3, seed=2))).run()
    no_exception(app)
    literal = quoted(HOSTILE_NAME, limit=None)
    assert code_span_content(literal) == HOSTILE_NAME
    places = {
        "network caption": [caption.value for caption in app.caption],
        "upload message": [success.value for success in app.success],
        "verdict": [verdict(app)],
    }
    for place, texts in places.items():
        shown = [text for text in texts if "evil" in text]
        assert shown, (place, texts)
        # Wherever the name appears, it appears only as the code span: nothing of it is read as Markdown.
        assert all(text.count("evil") == literal.count("evil") and literal in text for text in shown), (place, shown)


def test_a_refused_upload_does_not_repeat_its_name():
    # Streamlit itself refuses names not ending in .npz before the page sees them; the reader must not
    # echo a name into a message shown as Markdown either way.
    from explainer.files.npz_file import weights_from_upload

    for name, expected in (
        ("[x](http://evil.example).keras", "This .keras file"),
        ("[x](http://evil.example)", "This file"),
    ):
        with pytest.raises(ValueError, match=expected) as raised:
            weights_from_upload(name, b"PK\x03\x04")
        assert "evil" not in str(raised.value)


# --------------------------------------------------------------------------------------------------
# .keras downloads (item 2): at most ADDITION_UNFOLDED_MAX_TRAININGS export children at once, one per network.
# --------------------------------------------------------------------------------------------------


def export_children() -> set[int]:
    """Process ids of this process's running children that are building a .keras file."""
    running = children(os.getpid(), b"explainer.files.keras_export")
    return {pid for pid, state in running.items() if state != "Z"}  # a finished one waiting to be reaped is done


def test_concurrent_keras_downloads_start_at_most_the_limit_and_one_child_per_network():
    from explainer.serving.keras_slots import forget_kept_files, keras_file_bytes
    from explainer.serving.settings import max_trainings

    forget_kept_files()
    networks = [random_weights(16, seed=seed) for seed in (10, 11, 12)]
    requests = [networks[0]] * 4 + [networks[1]] * 2 + [networks[2]] * 2  # the same click replayed, and others
    results: dict[int, bytes] = {}
    errors: list[BaseException] = []

    def download(index: int) -> None:
        try:
            results[index] = keras_file_bytes(requests[index])
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=download, args=(index,)) for index in range(len(requests))]
    for thread in threads:
        thread.start()
    seen: set[int] = set()
    most_at_once = 0
    deadline = time.monotonic() + 600
    while any(thread.is_alive() for thread in threads) and time.monotonic() < deadline:
        running = export_children()
        seen |= running
        most_at_once = max(most_at_once, len(running))
        time.sleep(0.05)
    for thread in threads:
        thread.join(timeout=1)
    assert not errors and len(results) == len(requests)
    assert 1 <= most_at_once <= max_trainings()
    assert len(seen) == len(networks)  # one export per network, however many requests
    assert len({results[index] for index in range(4)}) == 1  # every request for the same network got the same file
    before = len(seen)
    again = keras_file_bytes(networks[0])  # cached: no child at all
    assert again == results[0] and not export_children() and len(seen) == before


# --------------------------------------------------------------------------------------------------
# Closing tabs mid-training (item 1), in a real browser against a real `streamlit run`.
# --------------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_closing_tabs_mid_training_frees_their_slots_and_leaves_no_zombie():
    from tests.support.browser import launch_chromium, require_browser, streamlit_server, wait_until_healthy

    require_browser()
    from playwright import sync_api as playwright_api

    def start_training(browser, url):
        context = browser.new_context(viewport={"width": 1400, "height": 1200})
        # A training child starts TensorFlow: over a minute when the shared 2-core machine is at load 30+.
        context.set_default_timeout(300_000)
        page = context.new_page()
        page.goto(f"{url}/?a=99&b=37")
        page.get_by_text("The RNN says 99 + 37 = 136 ✓").wait_for()
        page.get_by_text("Train it yourself", exact=True).first.click()
        page.get_by_role("button", name="Train", exact=True).click()  # seed recipe, 20,000 steps by default
        return context, page

    with streamlit_server() as (url, process), playwright_api.sync_playwright() as playwright:
        wait_until_healthy(url, process)
        browser = launch_chromium(playwright)
        try:
            # As many tabs as there are training slots each start a run, and are closed while it trains.
            tabs = [start_training(browser, url) for _ in range(2)]
            for _, page in tabs:
                page.get_by_text("/ 20,000 · loss").first.wait_for()
            closed_children = children(process.pid, b"explainer.training.worker")
            assert len(closed_children) == 2
            for context, _ in tabs:
                context.close()
            # Another visitor, seconds later, must be able to train: both slots are free again.
            context, page = start_training(browser, url)
            page.get_by_text("/ 20,000 · loss").first.wait_for(timeout=300_000)
            assert not page.get_by_text("Other visitors are training").count()
            running = children(process.pid, b"explainer.training.worker")
            assert "Z" not in running.values(), running  # the closed tabs' children were reaped
            assert not set(running) & set(closed_children), running  # and are gone: only the new run's child
            assert len(running) == 1, running
            context.close()
        finally:
            browser.close()
