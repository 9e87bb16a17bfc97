"""Certificates: written by the search, read and re-checked by ``checker`` (which never imports the search).

A certificate is JSON: the model it is about (fingerprint of the weights, sha256 of the file), k (columns
per induction step), the boxes (carry, lower and upper bound per unit) and, per box and per word of k
columns, a split tree whose leaves name the box each piece lands in. Floats are written with ``repr``,
which JSON reads back to the same float64.

A rule's certificate (format :data:`RULE_FORMAT`) also names the rule and holds the Mealy machine its boxes are
labelled by (``state`` instead of ``carry``); :func:`check_rule_certificate` checks that this machine writes the
same bits as the rule's own machine on every input (a search over pairs of states) before it checks the boxes.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

import numpy as np

from explainer.verify.checker import FORMAT, RULE_FORMAT, propagate

MAX_BLOCK_COLUMNS = 4
CHECK_MEMORY_BYTES = 128 * 2**20  # what one chunk's zonotopes may take
MAX_CHUNK = 4096
PATTERN_BITS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)


class CertificateError(ValueError):
    """The certificate does not hold; the message says which step failed."""


@dataclass(frozen=True)
class CheckResult:
    valid: bool
    reason: str
    leaves: int = 0

    def as_dict(self) -> dict:
        return {"valid": self.valid, "reason": self.reason, "pieces_checked": self.leaves}


def _words(columns: int, symbols: int = 4) -> np.ndarray:
    index = np.arange(symbols**columns)
    return np.stack([(index // symbols ** (columns - 1 - column)) % symbols for column in range(columns)], axis=1)


def _symbol_bits(symbols: int) -> np.ndarray:
    """``(K, W)``: the column of each symbol, first number's bit most significant (addition: PATTERN_BITS)."""
    width = symbols.bit_length() - 1
    return np.array([[(symbol >> (width - 1 - bit)) & 1 for bit in range(width)] for symbol in range(symbols)], float)


def _machine_run(next_state, output, word, state: int) -> tuple[list[int], int]:
    bits = []
    for symbol in word:
        bits.append(int(output[state][int(symbol)]))
        state = int(next_state[state][int(symbol)])
    return bits, state


def _table(value: object, rows: int | None, columns: int, top: int, what: str) -> list[list[int]]:
    """A machine's table: ``rows`` lists of ``columns`` whole numbers in 0 … top − 1."""
    if not isinstance(value, list) or not value or (rows is not None and len(value) != rows):
        raise CertificateError(f"the machine's {what} must be a non-empty list of rows, one per state.")
    for row in value:
        if not (isinstance(row, list) and len(row) == columns):
            raise CertificateError(f"each row of the machine's {what} must list {columns} numbers, one per column.")
        if not all(isinstance(item, int) and not isinstance(item, bool) and 0 <= item < top for item in row):
            raise CertificateError(f"the machine's {what} must hold whole numbers from 0 to {top - 1}.")
    return value


def _same_behaviour(one: tuple, two: tuple, symbols: int) -> bool:
    """Whether two machines (next_state, output, start) write the same bits on every input: every pair of
    states reachable together answers every column alike."""
    start = (one[2], two[2])
    seen, queue = {start}, [start]
    while queue:
        first, second = queue.pop()
        for symbol in range(symbols):
            if one[1][first][symbol] != two[1][second][symbol]:
                return False
            pair = (one[0][first][symbol], two[0][second][symbol])
            if pair not in seen:
                seen.add(pair)
                queue.append(pair)
    return True


def _addition(word: np.ndarray, carry: int) -> tuple[list[int], int]:
    bits = []
    for pattern in word:
        total = (int(pattern) >> 1) + (int(pattern) & 1) + carry
        bits.append(total & 1)
        carry = int(total >= 2)
    return bits, carry


def _number_list(value: object, length: int, what: str) -> np.ndarray:
    if not isinstance(value, list) or len(value) != length:
        raise CertificateError(f"{what} must be a list of {length} numbers.")
    if not all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in value):
        raise CertificateError(f"{what} must hold only numbers.")
    array = np.array(value, dtype=np.float64)
    if not np.isfinite(array).all():
        raise CertificateError(f"{what} holds a non-finite number.")
    return array


def _leaves(tree: object, low: np.ndarray, high: np.ndarray, boxes: int, where: str, out: list, depth: int = 0):
    """Walk a split tree; each split must cut its piece strictly inside, so the two halves cover it."""
    if depth > 64:
        raise CertificateError(f"{where}: split tree deeper than 64.")
    if isinstance(tree, int) and not isinstance(tree, bool):
        if not 0 <= tree < boxes:
            raise CertificateError(f"{where}: target box {tree} does not exist.")
        out.append((low, high, tree))
        return
    if not (isinstance(tree, list) and len(tree) == 4 and isinstance(tree[0], int) and isinstance(tree[1], float)):
        raise CertificateError(f"{where}: a node must be a box index or [unit, value, left, right].")
    unit, value = tree[0], tree[1]
    if not (0 <= unit < low.size and math.isfinite(value) and low[unit] < value < high[unit]):
        raise CertificateError(f"{where}: the cut unit {unit} at {value!r} is not inside its piece.")
    left_high, right_low = high.copy(), low.copy()
    left_high[unit] = value
    right_low[unit] = value
    _leaves(tree[2], low, left_high, boxes, where, out, depth + 1)
    _leaves(tree[3], right_low, high, boxes, where, out, depth + 1)


def content_digest(document: dict) -> str:
    """sha256 of the certificate's claims (model, k, boxes, transitions) in one canonical JSON spelling.

    It makes any edit visible at once (a moved bound, a changed target); the proof itself is the
    re-check below, which does not trust the digest.
    """
    keys = ("model", "block_columns", "boxes", "transitions")
    if document.get("format") == RULE_FORMAT:
        keys = (*keys, "rule", "machine")
    claims = {key: document.get(key) for key in keys}
    text = json.dumps(claims, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def check_certificate(
    document: object, weights, model_sha256: str | None = None, chunk: int | None = None
) -> CheckResult:
    """Every step of the certificate, re-checked; ``valid`` only if all hold.

    Pieces go through ``propagate`` ``chunk`` at a time; by default as many as keep its zonotopes' generators
    ((k + 1)·H by H per piece, ~8 arrays of them alive at once) within :data:`CHECK_MEMORY_BYTES`.
    """
    try:
        leaves = _check(document, weights, model_sha256, chunk)
    except CertificateError as error:
        return CheckResult(False, str(error))
    return CheckResult(True, "every step holds", leaves)


def check_rule_certificate(
    document: object,
    weights,
    rule_name: str,
    machine: tuple,
    model_sha256: str | None = None,
    chunk: int | None = None,
) -> CheckResult:
    """A rule's certificate re-checked against the rule's own machine ``(next_state, output, start)`` (``(S, K)``
    tables), which the caller takes from the rule (``explainer.rules``), never from the certificate."""
    try:
        leaves = _check(document, weights, model_sha256, chunk, (rule_name, machine))
    except CertificateError as error:
        return CheckResult(False, str(error))
    return CheckResult(True, "every step holds", leaves)


def _rule_machine(document: dict, reference: tuple) -> tuple:
    """The certificate's machine, checked to be well formed and to behave as the rule's own machine."""
    name, (next_state, output, start) = reference
    if document.get("rule") != name:
        raise CertificateError("the certificate is about another rule.")
    symbols = len(next_state[0])
    machine = document.get("machine")
    if not isinstance(machine, dict):
        raise CertificateError("a rule's certificate must hold the machine its boxes are labelled by.")
    own_next = _table(machine.get("next_state"), None, symbols, 2**31, "next states")
    own_next = _table(own_next, len(own_next), symbols, len(own_next), "next states")
    own_output = _table(machine.get("output"), len(own_next), symbols, 2, "outputs")
    own_start = machine.get("start")
    if not (isinstance(own_start, int) and not isinstance(own_start, bool) and 0 <= own_start < len(own_next)):
        raise CertificateError("the machine's start must be one of its states.")
    reference_tables = ([list(map(int, row)) for row in next_state], [list(map(int, row)) for row in output], start)
    if not _same_behaviour((own_next, own_output, own_start), reference_tables, symbols):
        raise CertificateError("the certificate's machine does not write the rule's bits on every input.")
    return own_next, own_output, own_start


def _check(document, weights, model_sha256, chunk, reference: tuple | None = None) -> int:
    wanted = FORMAT if reference is None else RULE_FORMAT
    if not isinstance(document, dict) or document.get("format") != wanted:
        raise CertificateError(f"not a certificate of format {wanted!r}.")
    try:
        digest = content_digest(document)
    except (TypeError, ValueError) as error:
        raise CertificateError(f"the certificate cannot be read as JSON claims: {error}") from error
    if document.get("digest") != digest:
        raise CertificateError(
            "the digest does not match the certificate's content: it was edited after it was written."
        )
    model = document.get("model")
    if not isinstance(model, dict) or model.get("fingerprint") != weights.fingerprint:
        raise CertificateError("the certificate is about other weights (its fingerprint does not match the model's).")
    if model_sha256 is not None and model.get("sha256") != model_sha256:
        raise CertificateError("the certificate names another model file (its sha256 does not match).")
    if reference is None:  # written addition: the carry machine, in this module's own arithmetic
        label, states, start, symbols = "carry", 2, 0, 4
        column_bits, what = PATTERN_BITS, "carry 0 or 1"
    else:
        next_state, output, start = _rule_machine(document, reference)
        label, states, symbols = "state", len(next_state), len(next_state[0])
        column_bits, what = _symbol_bits(symbols), f"a state from 0 to {states - 1}"
        if weights.input_weights.shape[0] != column_bits.shape[1]:
            raise CertificateError(f"the network does not read the rule's {column_bits.shape[1]} bits per column.")
    units = weights.hidden_units
    block = document.get("block_columns")
    if not (isinstance(block, int) and not isinstance(block, bool) and 1 <= block <= MAX_BLOCK_COLUMNS):
        raise CertificateError(f"block_columns must be a whole number from 1 to {MAX_BLOCK_COLUMNS}.")
    boxes = document.get("boxes")
    if not isinstance(boxes, list) or not boxes:
        raise CertificateError("boxes must be a non-empty list.")
    lower, upper, carry = [], [], []
    for index, box in enumerate(boxes):
        value = box.get(label) if isinstance(box, dict) else None
        if not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value < states):
            raise CertificateError(f"box {index} must have {what}.")
        lower.append(_number_list(box.get("lower"), units, f"box {index} lower"))
        upper.append(_number_list(box.get("upper"), units, f"box {index} upper"))
        if (lower[-1] > upper[-1]).any():
            raise CertificateError(f"box {index} has a lower bound above its upper bound.")
        carry.append(value)
    lower, upper, carry = np.array(lower), np.array(upper), np.array(carry)
    if not ((carry == start) & (lower <= 0).all(axis=1) & (upper >= 0).all(axis=1)).any():
        start_box = "carry-0 box" if reference is None else "box of the machine's start state"
        raise CertificateError(f"no {start_box} holds the starting state h = 0.")
    words = _words(block, symbols)
    transitions = document.get("transitions")
    if not isinstance(transitions, list) or len(transitions) != len(boxes):
        raise CertificateError("transitions must hold one list per box.")
    pieces = []  # (source box, word, low, high, target)
    for box, per_word in enumerate(transitions):
        if not isinstance(per_word, list) or len(per_word) != len(words):
            raise CertificateError(f"box {box} must have one split tree per word of {block} columns ({len(words)}).")
        for word, tree in enumerate(per_word):
            found: list = []
            _leaves(tree, lower[box], upper[box], len(boxes), f"box {box}, word {word}", found)
            pieces.extend((box, word, low, high, target) for low, high, target in found)
    if reference is None:
        expected = {(c, w): _addition(words[w], c) for c in (0, 1) for w in range(len(words))}
    else:
        expected = {
            (c, w): _machine_run(next_state, output, words[w], c) for c in range(states) for w in range(len(words))
        }
    if chunk is None:
        chunk = max(1, min(MAX_CHUNK, CHECK_MEMORY_BYTES // (8 * (block + 1) * units * units * 8)))
    for start in range(0, len(pieces), chunk):
        part = pieces[start : start + chunk]
        sources = np.array([piece[0] for piece in part])
        word_ids = np.array([piece[1] for piece in part])
        targets = np.array([piece[4] for piece in part])
        bits = np.array([expected[(carry[s], w)][0] for s, w in zip(sources, word_ids, strict=True)])
        after = np.array([expected[(carry[s], w)][1] for s, w in zip(sources, word_ids, strict=True)])
        logits, hull = propagate(
            weights, np.array([p[2] for p in part]), np.array([p[3] for p in part]), column_bits[words[word_ids]]
        )
        right = np.where(bits == 1, logits[..., 0] > 0, logits[..., 1] < 0)
        if not right.all():
            where = int(np.argwhere(~right)[0][0])
            raise CertificateError(
                f"box {sources[where]}, word {word_ids[where]}: an output is not proved right on one piece."
            )
        wrong_carry = carry[targets] != after
        if wrong_carry.any():
            where = int(np.flatnonzero(wrong_carry)[0])
            raise CertificateError(
                f"box {sources[where]}, word {word_ids[where]}: lands in a box of the wrong "
                + ("carry." if reference is None else "machine state.")
            )
        low = np.maximum(hull[..., 0], 0.0)  # hidden states are sigmoids: always inside [0, 1]
        high = np.minimum(hull[..., 1], 1.0)
        inside = (low >= lower[targets]).all(axis=1) & (high <= upper[targets]).all(axis=1)
        if not inside.all():
            where = int(np.flatnonzero(~inside)[0])
            raise CertificateError(
                f"box {sources[where]}, word {word_ids[where]}: a piece's image is not inside box {targets[where]}."
            )
    return len(pieces)


def load_certificate(path) -> dict:
    with open(path) as handle:
        return json.load(handle)
