"""The page through Streamlit's AppTest: what a user sees after each action, and no exceptions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explainer import MAX_OPERAND
from explainer.paths import PROJECT_ROOT
from tests.support.training import train_and_wait
from tests.support.widgets import source_radio

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
TIMEOUT = 60  # importing the stack (Streamlit, Plotly, pandas) takes seconds on this machine


def start(query: dict[str, str] | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in (query or {}).items():
        app.query_params[name] = value
    return app.run()


def verdict(app: AppTest) -> str:
    (line,) = [markdown.value for markdown in app.markdown if " says " in markdown.value]
    return line


def no_exception(app: AppTest) -> None:
    assert not app.exception, [exception.value for exception in app.exception]


@pytest.fixture(scope="module")
def app() -> AppTest:
    return start()


def test_default_page_shows_the_blogs_example(app):
    no_exception(app)
    assert verdict(app) == "## The RNN says 50 + 18 = 68 ✓"
    assert app.text_input(key="a_text").value == "50" and app.text_input(key="b_text").value == "18"
    assert app.slider(key="timestep").max == 7
    assert app.query_params["a"] == "50" and app.query_params["b"] == "18"


@pytest.mark.parametrize(
    ("a", "b"), [(254, 1), (255, 255), (127, 1), (0, 0), (99, 37), (2**40 + 3, 2**39), (MAX_OPERAND, MAX_OPERAND)]
)
def test_changing_the_numbers_updates_the_verdict(app, a, b):
    app.text_input(key="a_text").set_value(str(a)).run()
    app.text_input(key="b_text").set_value(str(b)).run()
    no_exception(app)
    assert verdict(app) == f"## The RNN says {a} + {b} = {a + b} ✓"  # Python's + is the reference
    assert app.slider(key="timestep").max == max(8, (a + b).bit_length()) - 1
    assert app.query_params["a"] == str(a) and app.query_params["b"] == str(b)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("-5", "0 or more"),
        ("abc", "digits"),
        ("1e3", "digits"),
        ("12.5", "digits"),
        (str(MAX_OPERAND + 1), "at most"),
        ("9" * 300, "too long"),
        ("<script>alert(1)</script>", "digits"),
        ("٣", "digits"),
    ],
)
def test_invalid_input_shows_a_message_and_keeps_the_last_good_result(text, message):
    app = start()
    app.text_input(key="a_text").set_value("7").run()
    app.text_input(key="b_text").set_value(text).run()
    no_exception(app)
    errors = [error.value for error in app.error]
    assert len(errors) == 1 and message in errors[0] and errors[0].startswith("b ")
    assert verdict(app) == "## The RNN says 7 + 18 = 25 ✓"
    assert any("last pair that worked: 7 + 18" in caption.value for caption in app.caption)
    # Fixing the text brings the page back to life.
    app.text_input(key="b_text").set_value("3").run()
    assert not app.error and verdict(app) == "## The RNN says 7 + 3 = 10 ✓"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("preset_50 + 18", "50 + 18 = 68"),
        ("preset_254 + 1", "254 + 1 = 255"),
        ("preset_127 + 1", "127 + 1 = 128"),
        ("preset_255 + 255", "255 + 255 = 510"),
        ("preset_40-bit pair", "1000000000000 + 999999999999 = 1999999999999"),
    ],
)
def test_presets(app, key, expected):
    app.button(key=key).click().run()
    no_exception(app)
    assert verdict(app) == f"## The RNN says {expected} ✓"


def test_random_pair_is_added_correctly(app):
    for _ in range(3):
        app.button(key="preset_random").click().run()
        a, b = int(app.text_input(key="a_text").value), int(app.text_input(key="b_text").value)
        assert 0 <= a < 256 and 0 <= b < 256
        assert verdict(app) == f"## The RNN says {a} + {b} = {a + b} ✓"


def test_stepping_through_time(app):
    app.button(key="preset_255 + 255").click().run()
    app.slider(key="timestep").set_value(0).run()
    assert app.button(key="timestep_previous").disabled
    app.button(key="timestep_next").click().run()
    assert app.slider(key="timestep").value == 1
    assert app.query_params["t"] == "1"
    app.slider(key="timestep").set_value(8).run()
    assert app.button(key="timestep_next").disabled
    assert any("Step t = 8" in markdown.value for markdown in app.markdown)
    # A shorter sum clamps the chosen step instead of failing.
    app.button(key="preset_50 + 18").click().run()
    no_exception(app)
    assert app.slider(key="timestep").value == 7


def test_url_prefills_the_view():
    app = start({"a": "254", "b": "1", "t": "5"})
    no_exception(app)
    assert verdict(app) == "## The RNN says 254 + 1 = 255 ✓"
    assert app.slider(key="timestep").value == 5
    assert any("Step t = 5" in markdown.value for markdown in app.markdown)
    assert not app.warning


@pytest.mark.parametrize(
    ("query", "expected", "warnings"),
    [
        ({"a": "banana", "b": "1"}, "50 + 1 = 51", 1),
        ({"a": "-4", "b": "1e3"}, "50 + 18 = 68", 2),
        ({"a": "3", "b": "4", "t": "x"}, "3 + 4 = 7", 1),
        ({"a": "3", "b": "4", "t": "99"}, "3 + 4 = 7", 1),  # a step past the end is clamped, with a notice
        ({"a": str(2**64), "b": "1"}, "50 + 1 = 51", 1),
        ({"a": "<script>", "b": ""}, "50 + 18 = 68", 2),
    ],
)
def test_junk_in_the_url_falls_back_to_defaults_with_a_notice(query, expected, warnings):
    app = start(query)
    no_exception(app)
    assert verdict(app) == f"## The RNN says {expected} ✓"
    assert len(app.warning) == warnings
    assert all("link" in warning.value for warning in app.warning)


def test_the_weights_view_renders(app):
    app.segmented_control(key="section").set_value("The weights").run()
    no_exception(app)
    assert any("304 learned numbers" in caption.value for caption in app.caption)


@pytest.mark.parametrize("damage", ["missing", "truncated", "junk"])
def test_a_bad_model_file_shows_the_command_not_a_traceback(monkeypatch, tmp_path, damage):
    from explainer.files.keras_file import MODEL_PATH_VARIABLE, SHIPPED_MODEL_COMMAND, SHIPPED_MODEL_PATH

    model_file = tmp_path / "model.keras"
    if damage == "truncated":
        model_file.write_bytes(SHIPPED_MODEL_PATH.read_bytes()[:5000])
    elif damage == "junk":
        model_file.write_text("<html>not a model</html>")
    monkeypatch.setenv(MODEL_PATH_VARIABLE, str(model_file))
    app = start()
    no_exception(app)
    assert ("is missing" if damage == "missing" else "could not be read") in app.error[0].value
    assert str(model_file) in app.error[0].value
    assert app.code[0].value == SHIPPED_MODEL_COMMAND
    assert not [markdown for markdown in app.markdown if " says " in markdown.value]


def test_the_where_it_breaks_preset_is_the_verifiers_counterexample_shown_honestly(app):
    document = json.loads((PROJECT_ROOT / "assets" / "model.verdict.json").read_text())
    example = document["counterexample"]  # read, not typed: the preset follows the verdict file
    button = app.button(key="preset_Where it breaks")
    assert button.label == "Where it breaks"
    button.click().run()
    no_exception(app)
    line = verdict(app)
    a, b, columns = example["a"], example["b"], example["columns"]
    assert line.startswith(f"## The RNN says {a} + {b} = ") and line.endswith("✗")
    assert app.number_input(key="columns").value == columns
    assert f"the true sum is {a + b}" in app.error[0].value
    assert f"The bit at timestep {columns - 1} is wrong." in app.error[0].value  # its leading zero column


def test_on_the_long_sums_network_the_preset_says_it_gets_that_sum_right():
    app = start()  # its own page: the shared one stays on the shipped network
    source_radio(app).set_value("Shipped long-sums model").run()
    button = app.button(key="preset_Where it breaks")
    assert button.label != "Where it breaks" and "gets it right" in button.help
    button.click().run()
    no_exception(app)
    assert verdict(app).endswith("✓")


@pytest.mark.parametrize(
    "view",
    ["Carry probe", "State space", "Extracted machine", "Ablation", "Correctness map", "Any length", "Logit split"],
)
def test_every_insight_view_renders_in_the_page(app, view):
    app.segmented_control(key="section").set_value("What did it learn?").run()
    app.segmented_control(key="insight_view").set_value(view).run()
    no_exception(app)
    assert any("What to look for" in block.value for block in [*app.markdown, *app.caption])


def test_the_page_shows_the_probe_row_and_names_the_carry_units(app):
    app.button(key="preset_254 + 1").click().run()
    assert any("dotted outlines" in caption.value for caption in app.caption)


def test_ablation_from_the_url_changes_the_answer():
    app = start({"a": "127", "b": "1", "ablate": "3,10,7,11"})
    no_exception(app)
    assert sorted(app.multiselect(key="ablate_zeroed").value) == [3, 7, 10, 11]
    assert any("Ablated network" in info.value for info in app.info)
    line = verdict(app)
    assert line.startswith("## The RNN says 127 + 1 = ")
    assert line.endswith("✗")  # without its carry units it cannot carry through seven columns
    assert app.query_params["ablate"] == "3,7,10,11"  # written back in a canonical order


def test_training_in_the_page_switches_every_view_to_the_new_network():
    app = start({"a": "99", "b": "37"})
    app.segmented_control(key="section").set_value("Train it yourself").run()
    app.selectbox(key="train_recipe").set_value("fast").run()
    app.number_input(key="train_max_steps").set_value(64).run()
    train_and_wait(app, timeout=180)
    no_exception(app)
    assert source_radio(app).value == "Trained in this session"
    line = verdict(app)
    assert line.startswith("## Your network (step 64) says 99 + 37 = ")  # 64 steps of fast: not solved yet
    # The shipped network is one click away, and the comparison is offered while another network is shown.
    assert "Side by side" in app.segmented_control(key="section").options
    app.segmented_control(key="section").set_value("Side by side").run()
    no_exception(app)
    source_radio(app).set_value("Shipped model").run()
    no_exception(app)
    assert verdict(app) == "## The RNN says 99 + 37 = 136 ✓"
    assert app.segmented_control(key="section").value == "Inside one step"


def test_the_training_defaults_do_not_rebuild_the_shipped_network_and_say_so_when_they_would():
    app = start()
    app.segmented_control(key="section").set_value("Train it yourself").run()
    assert app.selectbox(key="train_recipe").value == "seed"  # internal name kept; the label is plain
    assert app.number_input(key="train_seed").value != 0
    assert not [info for info in app.info if "rebuild the shipped network" in info.value]
    app.number_input(key="train_seed").set_value(0).run()  # how assets/model.keras was made
    assert [info for info in app.info if "rebuild the shipped network exactly" in info.value]


def test_a_second_training_run_keeps_the_first():
    app = start()
    app.segmented_control(key="section").set_value("Train it yourself").run()
    app.selectbox(key="train_recipe").set_value("fast").run()
    app.number_input(key="train_seed").set_value(0).run()
    app.number_input(key="train_max_steps").set_value(32).run()
    train_and_wait(app, timeout=180)
    first = verdict(app)
    app.number_input(key="train_seed").set_value(1).run()
    train_and_wait(app, timeout=180)
    no_exception(app)
    runs = app.selectbox(key="selected_run")
    assert runs.options == [
        "Run 1: fast, seed 0, H = 16, lr 0.05 · 32 steps",
        "Run 2: fast, seed 1, H = 16, lr 0.05 · 32 steps",
    ]
    assert runs.value == 1  # the newest is shown
    runs.set_value(0).run()
    no_exception(app)
    assert verdict(app) == first  # the first run is still there, exactly as it was


@pytest.mark.parametrize("hidden_units", [1, 3])
def test_an_uploaded_small_network_drives_every_view(hidden_units):
    from explainer.files.npz_file import weights_to_npz_bytes
    from tests.support.networks import random_weights

    weights = random_weights(hidden_units, seed=hidden_units)
    app = start({"a": "99", "b": "37", "ablate": "0"})
    app.segmented_control(key="section").set_value("Train it yourself").run()
    app.file_uploader(key="weights_upload").upload("small.npz", weights_to_npz_bytes(weights)).run()
    no_exception(app)
    assert source_radio(app).value == "Uploaded weights"
    assert verdict(app).startswith("## Your upload (small.npz) says 99 + 37 = ")
    for section in ("Inside one step", "The weights", "Side by side"):
        app.segmented_control(key="section").set_value(section).run()
        no_exception(app)
    app.segmented_control(key="section").set_value("What did it learn?").run()
    for view in app.segmented_control(key="insight_view").options:
        app.segmented_control(key="insight_view").set_value(view).run()
        no_exception(app)


def colour_family(colour: str) -> str:
    """``rgb(r,g,b)`` → "red" or "blue", whichever channel dominates (the ends of a red-blue diverging scale)."""
    red, _, blue = (int(channel) for channel in re.findall(r"\d+", colour)[:3])
    return "red" if red > blue else "blue"


def test_the_weights_caption_names_the_colours_the_chart_draws(app):
    app.segmented_control(key="section").set_value("The weights").run()
    no_exception(app)
    (chart,) = [
        spec
        for spec in (json.loads(element.proto.spec) for element in app.get("plotly_chart"))
        if any(annotation.get("text", "").startswith("W_x") for annotation in spec["layout"].get("annotations", []))
    ]
    coloraxis = chart["layout"]["coloraxis"]
    assert coloraxis["cmin"] < 0 < coloraxis["cmax"]  # negative weights take the scale's low end, positive its high end
    negative, positive = colour_family(coloraxis["colorscale"][0][1]), colour_family(coloraxis["colorscale"][-1][1])
    assert negative != positive
    (caption,) = [caption.value for caption in app.caption if "learned numbers" in caption.value]
    assert f"{positive.capitalize()} is positive, {negative} negative" in caption


def test_inside_one_step_never_writes_a_held_unit_as_sigma_of_its_sum():
    # Zeroing 3, 10, 7, 11 used to print "unit 10: σ(−2.523) = 0.0000" on 50 + 18 at t = 1 (σ(−2.523) = 0.0743).
    app = start({"a": "50", "b": "18", "t": "1", "ablate": "3,10,7,11"})
    no_exception(app)
    latex = [element.value for element in app.latex]
    for argument, value in re.findall(r"\\sigma\(([+-][0-9.]+)\) = ([0-9.]+)", " ".join(latex)):
        assert abs(1 / (1 + 2.718281828459045 ** -float(argument)) - float(value)) < 2e-4, latex
    assert any("held by the ablation" in line for line in latex)


def test_an_uploaded_network_whose_probe_reads_no_carry_gets_no_carry_units():
    from explainer.files.npz_file import weights_to_npz_bytes
    from tests.support.networks import random_weights

    app = start({"a": "99", "b": "37"})
    app.segmented_control(key="section").set_value("Train it yourself").run()
    app.file_uploader(key="weights_upload").upload("one.npz", weights_to_npz_bytes(random_weights(1, seed=0))).run()
    no_exception(app)
    assert source_radio(app).value == "Uploaded weights"
    assert not [button for button in app.button if button.key == "ablate_carry_units"]
    assert any("No carry units are named" in caption.value for caption in app.caption)


def test_the_main_view_names_the_probes_carry_in_and_reads_the_final_carry_out():
    app = start({"a": "255", "b": "255"})
    no_exception(app)
    (caption,) = [caption.value for caption in app.caption if "final carry out" in caption.value]
    assert "The row 'probe's carry in' is what the probe reads from hₜ₋₁" in caption
    assert "From the last state h₈ it reads a final carry out of 0 (true: 0)." in caption


def test_the_server_runs_blas_on_one_thread(app):
    # Two OpenBLAS threads spinning for a core on a busy 2-core server cost the carry probe's fit 5× the CPU
    # (ui/threads.py); the page must have limited them by the time it has drawn.
    from threadpoolctl import threadpool_info

    blas = [library for library in threadpool_info() if library["user_api"] == "blas"]
    assert blas and all(library["num_threads"] == 1 for library in blas), blas
