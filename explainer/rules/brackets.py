"""Balanced brackets so far: under each column, is the string read so far balanced? No finite machine can say.

A column is one bracket: 1 for "(", 0 for ")". The prefix is balanced when every ")" closes an earlier "(" and
none is left open: the depth (opens minus closes) never went below 0 and is 0 now. The written form keeps the
depth, which grows without bound, so the rule has no machine (``machine`` is None) and a network of 16 sigmoid
units — finitely many states it can tell apart reliably — must fail as nesting deepens
(:func:`explainer.analysis.rule_accuracy.accuracy_by_depth` measures where).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.rules.rule import every_sequence

OPEN, CLOSE = "(", ")"
# A bracket string the page runs is at most this long: as many columns as the longest sum.
MAX_BRACKETS = 65


def depths(columns: np.ndarray) -> np.ndarray:
    """Depth after each column, ``(N, T)`` int, of bracket columns ``(N, T)`` (1 = "(", 0 = ")")."""
    return np.cumsum(2 * np.asarray(columns, dtype=np.int64) - 1, axis=-1)


def balanced_so_far(columns: np.ndarray) -> np.ndarray:
    """``(N, T)`` int8: 1 under column t when the prefix is balanced (depth 0 now, never below 0 before)."""
    depth = depths(columns)
    never_below = np.minimum.accumulate(depth, axis=-1) >= 0
    return ((depth == 0) & never_below).astype(np.int8)


@dataclass(frozen=True)
class BracketRule:
    name: str = "brackets"
    label: str = "Balanced brackets so far"
    input_names: tuple[str, ...] = ("bracket",)
    state_called: str = "depth"
    machine: None = None
    minimal_state_count: None = None
    training_columns: int = 12  # short strings: every string of 12 brackets (4,096), depth at most 12

    @property
    def input_width(self) -> int:
        return 1

    def validate(self, text: object) -> str:
        """The bracket string, or ``ValueError``; the message never repeats the text (a link's text could be any)."""
        if not isinstance(text, str):
            raise ValueError(f"brackets must be text made of ( and ); got {type(text).__name__}.")
        text = text.strip()
        if not text:
            raise ValueError("the bracket string is empty: type ( and ), such as (()).")
        if len(text) > MAX_BRACKETS:
            raise ValueError(f"the bracket string is too long: at most {MAX_BRACKETS} brackets.")
        if set(text) - {OPEN, CLOSE}:
            raise ValueError("the bracket string may hold only ( and ).")
        return text

    def columns_needed(self, text: str) -> int:
        """One column per bracket: padding would add brackets and change the answer, so there is none."""
        return len(self.validate(text))

    def reference(self, text: str) -> tuple[bool, ...]:
        """Balanced so far, by counting in plain Python."""
        answers, depth, ever_below = [], 0, False
        for bracket in self.validate(text):
            depth += 1 if bracket == OPEN else -1
            ever_below = ever_below or depth < 0
            answers.append(depth == 0 and not ever_below)
        return tuple(answers)

    def encode(self, text: str, timesteps: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(columns (T, 1), targets (T,))`` int8 with T = the string's length (``timesteps`` must equal it)."""
        text = self.validate(text)
        if timesteps is not None and timesteps != len(text):
            raise ValueError(f"a bracket string runs for exactly its {len(text)} brackets; got timesteps={timesteps}.")
        columns = np.array([[1 if bracket == OPEN else 0] for bracket in text], dtype=np.int8)  # (T, 1)
        return columns, balanced_so_far(columns[:, 0])

    def read_output(self, bits) -> tuple[bool, ...]:
        return tuple(bool(bit) for bit in np.asarray(bits).ravel())

    def _batch(self, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Columns ``(N, T, 1)`` → Keras's ``(inputs (N, T, 1), targets (N, T, 1))`` float32."""
        return columns.astype(np.float32), balanced_so_far(columns[..., 0])[..., None].astype(np.float32)

    def exhaustive_set(self, columns: int) -> tuple[np.ndarray, np.ndarray]:
        """Every string of exactly ``columns`` brackets (every shorter one is a prefix of one of them)."""
        return self._batch(every_sequence(1, columns))

    def exhaustive_chunks(self, columns: int, max_rows: int = 2**16):
        """:meth:`exhaustive_set` in one piece: strings as long as the page's are checked by depth instead."""
        yield self.exhaustive_set(columns)

    def training_set(self) -> tuple[np.ndarray, np.ndarray]:
        return self.exhaustive_set(self.training_columns)

    def sample(self, rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
        """``count`` random training strings, each bracket "(" or ")" with equal odds."""
        return self._batch(rng.integers(0, 2, size=(count, self.training_columns, 1), dtype=np.int8))


BRACKETS = BracketRule()
