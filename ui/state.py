"""Every piece of state the page keeps, in one table: its session-state key, type, default, address-bar name
(or none) and validation. Every other module imports the key names from here; none spells a key itself
(``tests/test_state.py`` greps ``ui/`` and ``streamlit_app.py`` for that).

Where Streamlit 1.67 does the job itself, it does:

- ``persist_state="session"`` keeps a widget's value while the widget is not drawn (another section is
  open): the training settings, the "What did it learn?" view and the play speeds (``KEPT``).
- ``bind="query-params"`` is not used. It names the parameter after the widget's key and drops a value it
  cannot use without a word, while the links already shared say ``?a=…&b=…&t=…&n=…&section=…&view=…``
  (sections and views as slugs, ``n`` and ``t`` checked against the pair), and a junk value in a link must get
  its own notice. So the link is read here, once per session, by :func:`link_text`, and written by
  :func:`set_link`.

The rule for reading a link: **a value the browser's widget already holds wins over the link's.** A tab
whose server went away (a replica killed behind the load balancer) reconnects to a new server session, and
its first run arrives with the values of its boxes, slider and choices; the address bar may lag them. Such a
widget is left as the browser has it (:func:`browser_holds`), and so is its default (:func:`ensure_default`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import streamlit as st

from explainer.sections import SECTIONS


@dataclass(frozen=True)
class Entry:
    """One row of the table. ``url`` is the address-bar parameter (None: not in links); ``validation`` is the
    rule a value from a link must meet (a value that fails it gets a notice and the default)."""

    key: str
    type: str
    default: Any
    url: str | None = None
    validation: str = ""


# The keys, by what they hold. Widget keys are also each widget's ``key=`` (tests find widgets by them).
RULE = "rule"
A_TEXT = "a_text"
B_TEXT = "b_text"
C_TEXT = "c_text"  # a rule's third number (three numbers)
BRACKETS_TEXT = "brackets_text"  # balanced brackets' string
LAST_GOOD_RULE_INPUTS = "last_good_rule_inputs"
LAST_GOOD_PAIR = "last_good_pair"
COLUMNS = "columns"
COLUMNS_PAIR = "columns_pair"
TIMESTEP = "timestep"
SHOW_WHOLE_SUM = "show_whole_sum"
SECTION = "section"
INSIGHT_VIEW = "insight_view"
ABLATE_ZEROED = "ablate_zeroed"
ABLATE_CLAMPED = "ablate_clamped"
CLAMP_VALUE_PREFIX = "ablate_clamp_"  # + a unit: the value that unit is held at
TOUR_STOP = "tour_stop"
TOUR_SAVED_PAGE = "tour_saved_page"
TOUR_OFFER_DONE = "tour_offer_done"
SCROLL_TO = "scroll_to"
TRAIN_RECIPE = "train_recipe"
TRAIN_SEED = "train_seed"
TRAIN_HIDDEN_UNITS = "train_hidden_units"
TRAIN_LEARNING_RATE = "train_learning_rate"
TRAIN_MAX_STEPS = "train_max_steps"
PLAY_PREFIX = "play_"  # + "columns" or "replay": the ▶ toggle; + "_speed": its speed; + "_last_frame"
PLAY_COLUMNS_SPEED = "play_columns_speed"
PLAY_REPLAY_SPEED = "play_replay_speed"
MODEL_SOURCE = "model_source"
MODEL_SOURCE_CHOICE = "model_source_choice_"  # + a generation number: the radio (ui.model_source._choice_key)
MODEL_SOURCE_GENERATION = "model_source_generation"
MODEL_SOURCE_CHOICE_NOW = "model_source_choice_now"
RUNS = "training_runs"
SELECTED_RUN = "selected_run"
REPLAY_CHECKPOINT = "replay_checkpoint"
UPLOADED_WEIGHTS = "uploaded_weights"
WEIGHTS_UPLOAD = "weights_upload"
UPLOAD_MESSAGE = "upload_message"
PENDING_SOURCE = "pending_model_source"
FOLLOW_LIVE = "follow_live_run"
FOLLOWED_RUN = "followed_run"
LIVE_SEEN = "live_seen"
LIVE_PROGRESS_SLOT = "live_progress_slot"
DROPPED_RUN_NOTICE = "dropped_run_notice"
TRAINING_SETTINGS_ERROR = "training_settings_error"
INSIGHT_LOADED_PAIR = "insight_loaded_pair"
CORRECTNESS_WRONG_PAIR = "correctness_wrong_pair"
CORRECTNESS_A = "correctness_a"
CORRECTNESS_B = "correctness_b"
TRANSPLANT_COLUMN = "interchange_column"
TRANSPLANT_WHAT = "interchange_alignment"
TRANSPLANT_SOURCE = "interchange_source"
TRANSPLANT_SOURCE_A = "interchange_source_a"
TRANSPLANT_SOURCE_B = "interchange_source_b"
RULE_INSIGHT_VIEW = "rule_insight_view"
RULE_CORRECTNESS_C = "rule_correctness_c"
# Once-per-session marks: this part of the link has been read (so a later run does not read it again).
LINK_READ_PAIR = "link_read_pair"
LINK_READ_RULE = "link_read_rule"
LINK_READ_VIEW = "link_read_view"
LINK_READ_ABLATION = "link_read_ablation"
LINK_READ_TOUR = "link_read_tour"
LINK_READ_TRANSPLANT = "link_read_transplant"
LINK_READ_RULE_VIEW = "link_read_rule_view"

TABLE: tuple[Entry, ...] = (
    # The rule the network computes (explainer.rules.RULES); links leave it out for addition, so old links stay.
    Entry(RULE, "str", "addition", "rule", "a name of explainer.rules.RULES (explainer.rules.rule_named)"),
    Entry(A_TEXT, "str", "50", "a", "a whole number from 0 to 2**64 − 1 (explainer.parse_operand)"),
    Entry(B_TEXT, "str", "18", "b", "as a"),
    Entry(LAST_GOOD_PAIR, "tuple[int, int]", (50, 18), None, "the last pair both boxes parsed to"),
    # Another rule's inputs (ui.rule_page): a and b above, and these; each rule checks its own (rule.validate).
    Entry(C_TEXT, "str", "7", "c", "as a; read by rules with a third number (three numbers)"),
    Entry(BRACKETS_TEXT, "str", "(()())", "brackets", "( and ) only, at most explainer.rules.brackets.MAX_BRACKETS"),
    Entry(LAST_GOOD_RULE_INPUTS, "dict[str, tuple]", {}, None, "per rule, the last inputs it accepted"),
    Entry(COLUMNS, "int", "what the pair needs", "n", "a whole number ≥ what a + b needs, ≤ 128; in links only ≠"),
    Entry(COLUMNS_PAIR, "tuple[int, int]", None, None, "the pair the column count was chosen for"),
    # Written by the slider, ◀ Previous / Next ▶, ▶ Play and a click on a column of the unfolded addition.
    Entry(TIMESTEP, "int", 0, "t", "a whole number; past the last column → the last column"),
    Entry(SHOW_WHOLE_SUM, "bool", False, None, "the switch: every column at once instead of up to the chosen step"),
    Entry(SECTION, "str", SECTIONS[0], "section", "one of explainer.sections.SECTIONS, as a slug"),
    Entry(INSIGHT_VIEW, "str", "the first of ui.insight.VIEWS", "view", "one of ui.insight.VIEWS, as a slug"),
    Entry(ABLATE_ZEROED, "list[int]", [], "ablate", "units of this network (explainer.analysis.parse_ablation_query)"),
    Entry(ABLATE_CLAMPED, "list[int]", [], "clamp", "unit:value pairs, values in [0, 1]"),
    Entry(CLAMP_VALUE_PREFIX + "<unit>", "float", 0.5, None, "in [0, 1] (written in clamp=)"),
    Entry(TOUR_STOP, "int | absent", None, "tour", "a stop number from 1 (explainer.tour.stop_number)"),
    Entry(TOUR_SAVED_PAGE, "dict", None, None, "the page's keys as they were when the tour started"),
    Entry(TOUR_OFFER_DONE, "bool", False),
    Entry(SCROLL_TO, "str", None, None, "a part of the page (ui.scroll.PLACES) the next whole run brings into sight"),
    Entry(TRAIN_RECIPE, "str", "seed", None, "a recipe of ui.training_run.RECIPE_LEARNING_RATES"),
    # Seed 0 of the blog's recipe is how the shipped network was made (assets/model.json): training it again gives
    # the same weights, so the page starts at seed 1, which learns in 16,000 steps too (assets/sweep.json) and
    # gives a network of its own for "Side by side".
    Entry(TRAIN_SEED, "int", 1, None, "0 … 2**31 − 1"),
    Entry(TRAIN_HIDDEN_UNITS, "int", 16, None, "1 … MAX_PAGE_HIDDEN_UNITS"),
    Entry(TRAIN_LEARNING_RATE, "float", "the recipe's", None, "0.0001 … 10"),
    Entry(TRAIN_MAX_STEPS, "int", "the recipe's", None, "1 … the recipe's MAX_PAGE_STEPS"),
    Entry(PLAY_PREFIX + "<name>", "bool", False, None, "▶ on for columns / replay"),
    Entry(PLAY_COLUMNS_SPEED, "str", "medium", None, "a key of ui.playback.SPEEDS"),
    Entry(PLAY_REPLAY_SPEED, "str", "medium", None, "a key of ui.playback.SPEEDS"),
    Entry(MODEL_SOURCE, "str", "Shipped model", None, "one of the sources this session has"),
    # The radio that sets MODEL_SOURCE: a new key (widget) each time the page changes the source itself.
    Entry(MODEL_SOURCE_CHOICE + "<n>", "str", "MODEL_SOURCE", None, "one of the options drawn"),
    Entry(MODEL_SOURCE_GENERATION, "int", 0),
    Entry(MODEL_SOURCE_CHOICE_NOW, "str", None, None, "the radio's key in this run"),
    Entry(RUNS, "list[TrainingRun]", [], None, "newest last, at most MAX_KEPT_RUNS"),
    Entry(SELECTED_RUN, "int", "the newest", None, "an index into the runs with checkpoints"),
    Entry(REPLAY_CHECKPOINT, "int", "the newest", None, "a step of the selected run"),
    Entry(UPLOADED_WEIGHTS, "UploadedWeights", None, None, "checked by explainer.files.npz_file"),
    Entry(WEIGHTS_UPLOAD, "UploadedFile", None),
    Entry(UPLOAD_MESSAGE, "tuple[str, str]", None),
    Entry(PENDING_SOURCE, "str", None, None, "applied before the source radio is drawn"),
    Entry(FOLLOW_LIVE, "bool", False),
    Entry(FOLLOWED_RUN, "int", None, None, "id() of the run drawn while it trained"),
    Entry(LIVE_SEEN, "LiveMark", None, None, "ui.session_networks.live_mark() at the top of the page run"),
    # The place above the picture for the live run's progress and its words, written when the training section draws its
    # bar, so both change at the same moment (a container keeps its old text on screen until it is written).
    Entry(LIVE_PROGRESS_SLOT, "tuple[DeltaGenerator, str]", None, None, "set and used within one page run"),
    Entry(DROPPED_RUN_NOTICE, "str", None),
    Entry(TRAINING_SETTINGS_ERROR, "str", None),
    Entry(INSIGHT_LOADED_PAIR, "tuple[int, int]", None),
    Entry(CORRECTNESS_WRONG_PAIR, "tuple[int, int]", None),
    Entry(CORRECTNESS_A, "int", 0),
    Entry(CORRECTNESS_B, "int", 0),
    # The "Transplant the carry" panel. Its parameters are in links only while that view is shown.
    Entry(TRANSPLANT_COLUMN, "int", 0, "patch_t", "a column 0 … T − 2 of the pair (a later column must remain)"),
    Entry(TRANSPLANT_WHAT, "str", "whole state", "patch", "a row name of ui.interchange's choices, as a slug"),
    Entry(TRANSPLANT_SOURCE, "str", "flipped", None, "flipped (the pair differing only in column t) or typed"),
    Entry(TRANSPLANT_SOURCE_A, "str", "the flipped pair's a", "patch_a", "as a; with patch_b: a typed source"),
    Entry(TRANSPLANT_SOURCE_B, "str", "the flipped pair's b", "patch_b", "as a; with patch_a"),
    # "What did it learn?" for a rule other than addition (ui.rule_insight): its own views, in links as addition's.
    Entry(RULE_INSIGHT_VIEW, "str", "the first of ui.rule_insight.RULE_VIEWS", "view", "one of RULE_VIEWS, as a slug"),
    Entry(RULE_CORRECTNESS_C, "int", 0, None, "0 … 2**check_columns − 1: the c of the three-number map's slice"),
    Entry(LINK_READ_PAIR, "bool", False),
    Entry(LINK_READ_RULE, "bool", False),
    Entry(LINK_READ_VIEW, "bool", False),
    Entry(LINK_READ_ABLATION, "bool", False),
    Entry(LINK_READ_TOUR, "bool", False),
    Entry(LINK_READ_TRANSPLANT, "bool", False),
    Entry(LINK_READ_RULE_VIEW, "bool", False),
)
BY_KEY = {entry.key: entry for entry in TABLE}
# Kept while their widget is not drawn (persist_state="session"): settings and views that outlive a section.
KEPT = (
    TRAIN_RECIPE,
    TRAIN_SEED,
    TRAIN_HIDDEN_UNITS,
    TRAIN_LEARNING_RATE,
    TRAIN_MAX_STEPS,
    INSIGHT_VIEW,
    RULE_INSIGHT_VIEW,
    PLAY_COLUMNS_SPEED,
    PLAY_REPLAY_SPEED,
)
# The transplant panel's address-bar parameters: dropped from the link when another view is shown.
TRANSPLANT_LINK = (TRANSPLANT_COLUMN, TRANSPLANT_WHAT, TRANSPLANT_SOURCE_A, TRANSPLANT_SOURCE_B)
# What a tour stop sets and leaving the tour puts back (plus every CLAMP_VALUE_PREFIX key).
# COLUMNS_PAIR too: without it the column box would reset to the restored pair's default (a link's n=70 lost).
TOUR_SETS = (
    A_TEXT,
    B_TEXT,
    COLUMNS,
    COLUMNS_PAIR,
    TIMESTEP,
    SHOW_WHOLE_SUM,
    SECTION,
    INSIGHT_VIEW,
    ABLATE_ZEROED,
    ABLATE_CLAMPED,
)


def url_name(key: str) -> str:
    name = BY_KEY[key].url
    if name is None:
        raise KeyError(f"{key} is not in links")
    return name


def browser_holds(key: str) -> bool:
    """True when this run arrived with the browser's own value for the widget ``key`` while this session has
    not drawn that widget yet: a tab that reconnected to a new server session (after a failover) sends the
    values of every widget it shows. Streamlit has no public way to ask this before the widget is drawn
    (``st.session_state`` learns a widget's key when the widget registers), so this reads the run's incoming
    widget states, whose ids end in ``-<key>`` (``streamlit.runtime.state.common.user_key_from_element_id``)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    from streamlit.runtime.state.common import user_key_from_element_id

    if key in st.session_state:
        return False
    context = get_script_run_ctx()
    if context is None:
        return False
    incoming = context.session_state._state._new_widget_state.states
    return any(user_key_from_element_id(widget_id) == key for widget_id in incoming)


def ensure_default(key: str, default: Any = None) -> None:
    """Give ``key`` its default (the table's, unless ``default`` is given) if it has no value yet and the
    browser does not hold one for it. Call before the widget is drawn."""
    if key in st.session_state or browser_holds(key):
        return
    st.session_state[key] = BY_KEY[key].default if default is None else default


def first_time(mark: str) -> bool:
    """True the first time this session asks about ``mark`` (one of the ``LINK_READ_*`` keys)."""
    if st.session_state.get(mark):
        return False
    st.session_state[mark] = True
    return True


def link_text(key: str) -> str | None:
    """The link's text for ``key``, to apply now: None when the link has no such parameter, or when the
    browser already holds a value for that widget (it wins: see the module's docstring)."""
    name = url_name(key)
    if name not in st.query_params or browser_holds(key):
        return None
    return st.query_params[name]


def link_has(key: str) -> bool:
    return url_name(key) in st.query_params


def link_get(key: str) -> str:
    """The link's raw text for ``key`` ("" if absent), for parameters read together (ablate with clamp)."""
    return st.query_params.get(url_name(key), "")


def set_link(key: str, text: str | None) -> None:
    """Write ``key``'s parameter into the address bar (None removes it); other parameters stay."""
    name = url_name(key)
    if text is None:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != text:
        st.query_params[name] = text


def slug(label: str) -> str:
    """A label as the address bar spells it: "What did it learn?" → "what-did-it-learn"."""
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


# How often the page's hidden fragment below reruns: it does nothing, so rarely is enough.
RECONNECT_PROBE_SECONDS = 3600


@st.fragment(run_every=RECONNECT_PROBE_SECONDS)
def _draws_nothing() -> None:
    """A fragment that draws nothing: see :func:`rerun_on_reconnect`."""


def rerun_on_reconnect() -> None:
    """Call once per whole-page run. When its WebSocket reconnects, Streamlit's browser side asks for a run
    only if the page's last run was a fragment's or the page has a fragment with ``run_every``; otherwise it
    assumes the server kept its session. After a failover the server is another one, its new session has never
    run the page, and it drops every fragment run (each step click) it is sent: the tab looks alive and
    stays dead until a reload. This fragment's ``run_every`` makes every reconnect ask for a whole run."""
    _draws_nothing()
