"""The "Proof at every length" view, the columns setting and the network picker, through Streamlit's AppTest;
and the pieces under them (:mod:`explainer.verify.verdict`, :mod:`explainer.figures.proof`)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from explainer.figures.proof import (
    abstract_states_figure,
    abstract_states_table,
    leaf_targets,
    transitions_table,
)
from explainer.files.keras_file import LONG_MODEL_PATH, SHIPPED_MODEL_PATH, load_weights
from explainer.files.npz_file import weights_to_npz_bytes
from explainer.verify import PROPERTY
from explainer.verify.verdict import (
    CHILD_GRACE,
    PAGE_TIME_LIMIT,
    Verdict,
    VerdictStore,
    read_verdict_file,
    verdict_file_path,
    verdict_from_json,
    verdict_in_child,
)
from tests.support.networks import random_weights
from tests.support.widgets import source_radio
from tests.test_verify import carry_machine_weights

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
TIMEOUT = 60
PROOF_VIEW = "Proof at every length"
SHIPPED_COUNTEREXAMPLE = json.loads(verdict_file_path(SHIPPED_MODEL_PATH).read_text())["counterexample"]


def start(query: dict[str, str] | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in (query or {}).items():
        app.query_params[name] = value
    app.run()
    no_exception(app)
    return app


def no_exception(app: AppTest) -> None:
    assert not app.exception, [exception.value for exception in app.exception]


def open_view(app: AppTest, view: str = PROOF_VIEW) -> AppTest:
    app.segmented_control(key="section").set_value("What did it learn?").run()
    app.segmented_control(key="insight_view").set_value(view).run()
    no_exception(app)
    return app


def page_verdict(app: AppTest) -> str:
    (line,) = [markdown.value for markdown in app.markdown if " says " in markdown.value]
    return line


def texts(app: AppTest) -> str:
    parts = [
        element.value
        for kind in ("markdown", "caption", "error", "success", "warning", "info")
        for element in app.get(kind)
    ]
    return "\n".join(str(part) for part in parts)


# --------------------------------------------------------------------------------------------------
# The view on both shipped networks.
# --------------------------------------------------------------------------------------------------


def test_the_shipped_network_shows_its_counterexample_and_the_button_loads_it_with_its_columns():
    a, b, columns = (SHIPPED_COUNTEREXAMPLE[name] for name in ("a", "b", "columns"))
    app = open_view(start())
    assert [error.value for error in app.error] == [f"**Wrong from {columns} columns on: {a} + {b}**"]
    assert PROPERTY in texts(app)
    assert "Proved right below" in [metric.label for metric in app.metric]
    app.button(key="proof_load_counterexample").click().run()
    no_exception(app)
    assert (app.text_input(key="a_text").value, app.text_input(key="b_text").value) == (str(a), str(b))
    assert app.number_input(key="columns").value == columns
    assert app.slider(key="timestep").max == columns - 1
    assert app.query_params["n"] == str(columns)
    # The sum fits in fewer columns; the network's mistake is in the last, a leading zero column.
    assert (a + b).bit_length() < columns
    assert page_verdict(app).endswith("✗")
    assert f"The bit at timestep {columns - 1} is wrong." in texts(app)
    assert f"wrong in column {columns - 1}" in texts(app)


def test_the_bounded_proof_is_stated_honestly():
    app = open_view(start())
    document = json.loads(verdict_file_path(SHIPPED_MODEL_PATH).read_text())
    below, columns = document["no_counterexample_below"], document["counterexample"]["columns"]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Proved right below"] == f"{below} columns"
    if below < columns:  # the bounded proof stops short: the page must not call the counterexample the shortest
        (warning,) = [warning.value for warning in app.warning if "Bounded proof" in warning.value]
        assert f"fewer than {below} columns" in warning and "not ruled out" in warning
    else:
        assert "is the shortest failure" in texts(app)


def test_the_long_network_is_proved_with_its_abstract_states_and_transitions():
    app = start()
    source_radio(app).set_value("Shipped long-sums model").run()
    open_view(app)
    assert [success.value for success in app.success] == ["**Proved for every length**"]
    certificate = json.loads(LONG_MODEL_PATH.with_suffix(".certificate.json").read_text())
    boxes = len(certificate["boxes"])
    assert {metric.label: metric.value for metric in app.metric}["Abstract states (boxes)"] == str(boxes)
    states = [chart for chart in app.get("plotly_chart") if "abstract states" in chart.proto.spec]
    assert len(states) == 1
    frames = [frame.value for frame in app.dataframe]
    assert any(len(frame) == boxes and "unit 0" in frame.columns for frame in frames)
    transitions = [frame for frame in frames if "→ target box" in frame.columns]
    assert len(transitions) == 1 and len(transitions[0]) == boxes * 4 ** certificate["block_columns"]
    assert "proof_load_counterexample" not in [button.key for button in app.button]
    # Two counts of pieces and a wall time on one page (issue 23 item 7): each says which it is.
    metrics = {metric.label: metric for metric in app.metric}
    search = certificate["search"]
    checked = metrics["Pieces checked (all rounds)"]
    assert checked.value == f"{search['pieces_checked']:,}"
    assert f"keeps {int(transitions[0]['pieces'].sum())} pieces" in checked.proto.help
    assert f"{search['rounds']} rounds" in checked.proto.help
    document = json.loads(LONG_MODEL_PATH.with_suffix(".verdict.json").read_text())
    timed = metrics["Verifier wall time (recorded)"]
    assert timed.value == f"{document['seconds']:.1f} s" and "recorded in the verdict file" in timed.proto.help


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Shipped model", "Proof: wrong from {columns} columns on ({a} + {b})."),
        ("Shipped long-sums model", "Proof: proved for every length."),
    ],
)
@pytest.mark.parametrize("view", ["Any length", "Extracted machine"])
def test_other_views_name_the_verdict(source, expected, view):
    app = start()
    source_radio(app).set_value(source).run()
    open_view(app, view)
    assert expected.format(**SHIPPED_COUNTEREXAMPLE) in texts(app)


@pytest.mark.parametrize("source", ["Shipped model", "Shipped long-sums model"])
def test_any_length_marks_the_proved_failure_only_where_there_is_one(source):
    app = start()
    source_radio(app).set_value(source).run()
    open_view(app, "Any length")
    chart = app.get("plotly_chart")[0].proto.spec
    failing = source == "Shipped model"
    example = SHIPPED_COUNTEREXAMPLE
    label = f"wrong: {example['a']} + {example['b']} ({example['columns']} columns)"
    assert (label in chart) == failing
    assert ("random long sums rarely hit it" in texts(app)) == failing
    if failing:
        app.button(key="length_load_counterexample").click().run()
        assert page_verdict(app).endswith("✗")
        assert app.number_input(key="columns").value == example["columns"]


def test_every_view_follows_the_network_picker():
    app = start({"a": "0", "b": str(2**22 - 1)})  # a sum the shipped network gets wrong
    assert page_verdict(app).endswith("✗")
    source_radio(app).set_value("Shipped long-sums model").run()
    no_exception(app)
    assert page_verdict(app) == f"## Shipped long-sums model says 0 + {2**22 - 1} = {2**22 - 1} ✓"


# --------------------------------------------------------------------------------------------------
# The columns setting.
# --------------------------------------------------------------------------------------------------


def test_more_columns_show_leading_zero_columns_and_go_into_the_url():
    app = start()
    assert app.number_input(key="columns").value == 8 and "n" not in app.query_params
    app.number_input(key="columns").set_value(20).run()
    no_exception(app)
    assert app.slider(key="timestep").max == 19
    assert app.query_params["n"] == "20"
    assert page_verdict(app) == "## The RNN says 50 + 18 = 68 ✓"
    app.number_input(key="columns").set_value(8).run()
    assert "n" not in app.query_params  # the default is not written: ordinary links stay as they were


def test_the_url_round_trips_the_column_count():
    app = start({"a": "50", "b": "18", "n": "20", "t": "19"})
    assert not app.warning
    assert app.number_input(key="columns").value == 20
    assert app.slider(key="timestep").value == 19
    assert (app.query_params["n"], app.query_params["t"]) == ("20", "19")


@pytest.mark.parametrize("value", ["abc", "5", "0", "500", "-3", "1e3", "９"])
def test_bad_column_counts_in_the_url_give_a_notice(value):
    app = start({"a": "50", "b": "18", "n": value})
    assert app.number_input(key="columns").value == 8
    notices = [warning.value for warning in app.warning]
    assert len(notices) == 1 and "column count was not usable" in notices[0], notices
    assert page_verdict(app) == "## The RNN says 50 + 18 = 68 ✓"


def test_fewer_columns_than_the_sum_needs_are_refused_with_a_message():
    app = start({"a": "255", "b": "255"})
    app.number_input(key="columns").set_value(5).run()
    no_exception(app)
    assert any("needs at least 9 columns" in warning.value for warning in app.warning)
    assert app.slider(key="timestep").max == 8
    assert page_verdict(app) == "## The RNN says 255 + 255 = 510 ✓"


def test_a_new_pair_starts_at_its_own_column_count():
    app = start()
    app.number_input(key="columns").set_value(30).run()
    app.text_input(key="a_text").set_value("255").run()
    app.text_input(key="b_text").set_value("255").run()
    assert app.number_input(key="columns").value == 9
    assert app.slider(key="timestep").max == 8


# --------------------------------------------------------------------------------------------------
# Networks made in the page: verified on demand, within the budget.
# --------------------------------------------------------------------------------------------------


def upload(app: AppTest, name: str, weights) -> AppTest:
    app.segmented_control(key="section").set_value("Train it yourself").run()
    app.file_uploader(key="weights_upload").upload(name, weights_to_npz_bytes(weights)).run()
    no_exception(app)
    return app


def test_an_uploaded_carry_machine_is_proved_within_the_budget():
    app = upload(start(), "carry_machine.npz", carry_machine_weights())
    started = time.perf_counter()
    open_view(app)
    elapsed = time.perf_counter() - started
    assert [success.value for success in app.success] == ["**Proved for every length**"]
    assert "computed in this page" in texts(app)
    assert elapsed < PAGE_TIME_LIMIT + CHILD_GRACE  # the child's hard stop, plus nothing else of note
    # Other views now name it without recomputing.
    app.segmented_control(key="insight_view").set_value("Any length").run()
    assert "Proof: proved for every length." in texts(app)


def test_an_uploaded_random_network_gets_a_verdict_or_an_honest_unknown():
    app = upload(start(), "random.npz", random_weights(3, seed=11))
    app.segmented_control(key="section").set_value("What did it learn?").run()
    app.segmented_control(key="insight_view").set_value("Any length").run()
    assert "Proof: not run yet for this network" in texts(app)  # naming the verdict never starts the verifier
    open_view(app)
    headline = [element.value for kind in ("error", "success", "warning") for element in app.get(kind)]
    assert any(line.startswith(("**Wrong from", "**Proved for every length", "**Unknown")) for line in headline), (
        headline
    )


# --------------------------------------------------------------------------------------------------
# The pieces under the view.
# --------------------------------------------------------------------------------------------------


def test_precomputed_verdicts_are_about_the_shipped_weights():
    shipped = read_verdict_file(SHIPPED_MODEL_PATH, load_weights(SHIPPED_MODEL_PATH))
    assert shipped.kind == "counterexample" and shipped.certificate is None
    a, b, columns = (shipped.counterexample[name] for name in ("a", "b", "columns"))
    assert shipped.headline == f"Wrong from {columns} columns on: {a} + {b}"
    long_sums = read_verdict_file(LONG_MODEL_PATH, load_weights(LONG_MODEL_PATH))
    assert long_sums.kind == "proved" and long_sums.certificate["boxes"]
    # A verdict about other weights is not used: the page computes one instead.
    assert read_verdict_file(SHIPPED_MODEL_PATH, load_weights(LONG_MODEL_PATH)) is None


def test_a_proved_verdict_needs_a_certificate_that_checks(tmp_path):
    model = tmp_path / "model.keras"
    model.write_bytes(LONG_MODEL_PATH.read_bytes())
    verdict_file_path(model).write_text(verdict_file_path(LONG_MODEL_PATH).read_text())
    weights = load_weights(model)
    assert read_verdict_file(model, weights) is None  # no certificate beside it
    certificate = json.loads(LONG_MODEL_PATH.with_suffix(".certificate.json").read_text())
    certificate["boxes"][1]["upper"][0] += 0.25  # tampered
    model.with_suffix(".certificate.json").write_text(json.dumps(certificate))
    assert read_verdict_file(model, weights) is None


@pytest.mark.parametrize(
    "document",
    [{}, {"verdict": "maybe", "fingerprint": "x"}, {"verdict": "counterexample", "fingerprint": "x"}],
)
def test_a_document_that_is_not_a_verdict_is_refused(document):
    with pytest.raises(ValueError):
        verdict_from_json(document, "precomputed")


def test_the_store_computes_each_network_once_even_when_asked_at_once():
    store = VerdictStore()
    calls = []
    weights = random_weights(2, seed=1)

    def compute(network):
        calls.append(network.fingerprint)
        time.sleep(0.2)  # long enough for the other thread to ask while this one runs
        return Verdict("unknown", network.fingerprint, PROPERTY, 0.2, "computed in the page")

    assert store.known(weights.fingerprint) is None
    threads = [threading.Thread(target=store.get_or_compute, args=(weights, compute)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert calls == [weights.fingerprint]
    assert store.known(weights.fingerprint).kind == "unknown"


def test_the_child_proves_the_hand_built_carry_machine():
    verdict = verdict_in_child(carry_machine_weights())
    assert verdict.kind == "proved", verdict.tried
    assert verdict.certificate["model"]["fingerprint"] == carry_machine_weights().fingerprint


def test_a_child_that_cannot_finish_gives_unknown():
    verdict = verdict_in_child(random_weights(4, seed=3), time_limit=-1.0)  # the child refuses a negative limit
    assert verdict.kind == "unknown" and verdict.tried


def test_the_figure_and_tables_show_every_box_and_transition():
    lower = np.array([[0.0, 0.1], [0.5, 0.9]])
    upper = np.array([[0.0, 0.3], [0.7, 1.0]])
    carries = [0, 1]
    figure = abstract_states_figure(lower, upper, carries)
    assert [list(trace.z[1]) for trace in figure.data] == [[0.5, 0.9], [0.7, 1.0]]
    assert (figure.data[0].zmin, figure.data[0].zmax) == (0, 1)
    assert "box 1 · carry 1" in figure.layout.yaxis.ticktext[1]
    table = abstract_states_table(lower, upper, carries)
    assert list(table["unit 1"]) == ["0.1000–0.3000", "0.9000–1.0000"]
    transitions = [[0, 1, [1, 0.2, 0, 1], 1], [1, 1, 1, 0]]
    rows = transitions_table(transitions, carries, 1)
    assert len(rows) == 8
    split = rows.iloc[2]
    assert split["word (a b per column)"] == "a=1 b=0"
    assert split["→ target box"] == "box 0 · carry 0, box 1 · carry 1" and split["pieces"] == 2
    assert leaf_targets([0, 0.5, [1, 0.2, 3, 4], 5]) == [3, 4, 5]
    with pytest.raises(ValueError):
        abstract_states_figure(lower, upper[:1], carries)


def test_weights_the_verifier_cannot_handle_give_unknown_not_an_error():
    from tests.test_adversarial import huge_weights

    verdict = verdict_in_child(huge_weights(), time_limit=2.0)  # ±1e308: every sum overflows
    assert verdict.kind == "unknown" and verdict.tried
