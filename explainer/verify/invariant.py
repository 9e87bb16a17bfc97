"""Search for an inductive invariant: boxes of hidden states, each labelled with a carry, closed under k columns.

What a set of boxes certifies: every state the network reaches after a multiple of k columns lies in a box
labelled with the true carry at that point. It holds if h = 0 lies in a carry-0 box and, for every box B of
carry c and every word w of k columns, (1) the outputs over w from any state in B are written addition's
bits (from carry c), and (2) the state after w lies in a box of carry c' (the carry after w). Then by
induction every output at every length is right (a shorter last block is a prefix of some word).
For another rule (``machine``), "carry" reads "the rule's machine state", "written addition's bits" its
output bits, and a word is k columns of any of the machine's 2**W symbols.

Boxes are keyed by the carry and by which third of [0, 1] each unit is in (a trained network's units sit
near 0 or 1 most of the time, so a key is a discrete state of the machine it implements). They start as
padded hulls of simulated states. Each round sends every box through every word with zonotopes; an image
goes to the box of its centre's key, which grows to hold it (or is created). A box whose outputs cannot be
proved whole is cut in two along its most influential unit, again and again (a split tree per box and
word). A round that changes nothing closes the invariant.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from explainer.model.network import RNNWeights, forward
from explainer.verify.memory import FLOAT_BYTES, MemoryBound
from explainer.verify.property import CARRY, Machine, all_words
from explainer.verify.zonotope import run_boxes

# What the search holds, for its memory bound: a zonotope run takes ~3 arrays of its generators (counted with
# tracemalloc in tests/test_verify.py; 4 leaves room), a pending piece its two corners and ~64 words of Python
# objects (tuple, arrays' headers, the path of cuts), a proved piece's leaf ~48 words.
ZONOTOPE_WORDS = 4
PIECE_OVERHEAD_WORDS = 64
LEAF_BYTES = 48 * FLOAT_BYTES
LOGIT_MARGIN = 1e-6  # the search asks for this much room so that the checker's rounding never tips a check
CONTAIN_MARGIN = 1e-9
START = ("start",)


@dataclass
class Invariant:
    """Boxes (lower/upper per unit, carry or machine state) and, per box and word, a split tree of target boxes."""

    block_columns: int
    lower: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)
    carry: list[int] = field(default_factory=list)
    trees: dict[tuple[int, int], object] = field(default_factory=dict)


@dataclass
class SearchOutcome:
    invariant: Invariant | None
    reason: str  # "closed", or why the search stopped
    statistics: dict


def simulated_states(
    weights: RNNWeights, block: int, seed: int = 0, sequences: int = 200, columns: int = 64, machine: Machine = CARRY
):
    """States after multiples of ``block`` columns on random and patterned inputs, with their true machine states
    (carries for addition)."""
    rng = np.random.default_rng(seed)
    patterns = rng.integers(0, machine.symbols, size=(sequences, columns))
    for row in range(sequences // 2):  # half repeat one pattern over a stretch: slow drifts live there
        start = int(rng.integers(0, columns - 1))
        stop = int(rng.integers(start + 1, columns + 1))
        patterns[row, start:stop] = rng.integers(0, machine.symbols)
    hidden = forward(weights, machine.columns[patterns].astype(np.float64)).hidden
    carries = np.empty(patterns.shape, dtype=np.int8)
    carry = np.full(sequences, machine.start, dtype=np.int64)
    for column in range(columns):
        carry = machine.next_state[carry, patterns[:, column]]
        carries[:, column] = carry
    picked = np.arange(block - 1, columns, block)
    return hidden[:, picked].reshape(-1, weights.hidden_units), carries[:, picked].ravel()


def state_key(carry: int, state: np.ndarray) -> tuple:
    return (int(carry), *np.round(np.asarray(state) * 2).astype(int).tolist())


def search_invariant(
    weights: RNNWeights,
    block: int = 1,
    padding: float = 0.01,
    max_depth: int = 10,
    max_boxes: int = 400,
    max_rounds: int = 40,
    deadline: float | None = None,
    max_pieces: int | None = None,
    memory: MemoryBound | None = None,
    machine: Machine = CARRY,
) -> SearchOutcome:
    """Grow boxes round by round until a round changes nothing, or give up with a reason.

    ``max_pieces`` is a work budget (pieces sent through a block, counted as they are checked): unlike
    ``deadline``, it stops at the same point on a loaded machine as on an idle one. ``memory`` (default:
    :data:`explainer.verify.memory.VERIFIER_MEMORY_BYTES`) bounds what it holds: pieces go through the block
    in chunks whose zonotopes take at most half of it, and a round whose pieces would need more stops the search.
    ``machine`` is what the outputs are held to and the boxes labelled by: written addition's carry unless given.
    """
    started = time.perf_counter()
    units = weights.hidden_units
    memory = MemoryBound() if memory is None else memory
    piece_bytes = (2 * units + PIECE_OVERHEAD_WORDS) * FLOAT_BYTES  # a pending piece: its low, high, path, tuple
    zonotope_bytes = ZONOTOPE_WORDS * (block + 1) * units * units * FLOAT_BYTES  # (block + 1)·H generators of H
    chunk = max(1, memory.limit_bytes // 2 // zonotope_bytes)
    keys: dict[tuple, int] = {START: 0}
    invariant = Invariant(block, [np.zeros(units)], [np.zeros(units)], [machine.start])
    states, carries = simulated_states(weights, block, machine=machine)
    codes = np.concatenate([carries[:, None], np.round(states * 2)], axis=1).astype(np.int64)
    unique, first, inverse = np.unique(codes, axis=0, return_index=True, return_inverse=True)
    low = np.full((len(unique), units), np.inf)
    high = np.full((len(unique), units), -np.inf)
    np.minimum.at(low, inverse.ravel(), states)
    np.maximum.at(high, inverse.ravel(), states)
    for index, row in enumerate(first):
        keys[state_key(carries[row], states[row])] = len(invariant.carry)
        invariant.lower.append(np.clip(low[index] - padding, 0, 1))
        invariant.upper.append(np.clip(high[index] + padding, 0, 1))
        invariant.carry.append(int(carries[row]))
    words = all_words(block, machine.symbols)
    word_inputs = machine.columns[words].astype(np.float64)
    runs = [machine.run(words, state) for state in range(machine.states)]
    expected_bits = np.stack([bits for bits, _ in runs])  # (S, words, k): the outputs over each word from each state
    expected_after = np.stack([after for _, after in runs])  # (S, words): the state after it
    statistics = {"block_columns": block, "rounds": 0, "pieces_checked": 0, "cuts": 0}

    def stop(reason: str) -> SearchOutcome:
        statistics.update(boxes=len(invariant.carry), search_seconds=round(time.perf_counter() - started, 3))
        return SearchOutcome(None, reason, statistics)

    for _ in range(max_rounds):
        statistics["rounds"] += 1
        changed = False
        trees: dict[tuple[int, int], object] = {}
        # Pieces: (source box, word, low, high, path to the piece in its split tree).
        pending = [
            (box, word, invariant.lower[box], invariant.upper[box], ())
            for box in range(len(invariant.carry))
            for word in range(len(words))
        ]
        leaves: dict[tuple[int, int], list] = {}
        leaf_count = 0
        while pending:
            if deadline is not None and time.perf_counter() > deadline:
                return stop("the time limit ran out while closing the invariant")
            if max_pieces is not None and statistics["pieces_checked"] + len(pending) > max_pieces:
                return stop(f"the work budget of {max_pieces} pieces ran out while closing the invariant")
            next_pending = []
            for start in range(0, len(pending), chunk):
                if deadline is not None and time.perf_counter() > deadline:
                    return stop("the time limit ran out while closing the invariant")
                part = pending[start : start + chunk]
                held = len(pending) + len(next_pending) + 2 * len(part)  # a chunk's cuts add two pieces each
                if not memory.fits(held * piece_bytes + leaf_count * LEAF_BYTES + len(part) * zonotope_bytes):
                    return stop(memory.stop_reason)
                boxes = np.array([piece[0] for piece in part])
                word_ids = np.array([piece[1] for piece in part])
                run = run_boxes(
                    weights, np.array([p[2] for p in part]), np.array([p[3] for p in part]), word_inputs[word_ids]
                )
                statistics["pieces_checked"] += len(part)
                source_carry = np.array(invariant.carry)[boxes]
                bits = expected_bits[source_carry, word_ids]
                after = expected_after[source_carry, word_ids]
                right = np.where(bits == 1, run.logit_low > LOGIT_MARGIN, run.logit_high < -LOGIT_MARGIN).all(axis=1)
                image_low = np.clip(run.hull_low - CONTAIN_MARGIN, 0, 1)
                image_high = np.clip(run.hull_high + CONTAIN_MARGIN, 0, 1)
                for index, (box, word, low, high, path) in enumerate(part):
                    if not right[index]:
                        if len(path) >= max_depth:
                            return stop(
                                f"an output could not be proved right from box {box} even after {max_depth} cuts"
                            )
                        unit = int(np.argmax(run.sensitivity[index]))
                        value = float((low[unit] + high[unit]) / 2)
                        left_high, right_low = high.copy(), low.copy()
                        left_high[unit] = value
                        right_low[unit] = value
                        statistics["cuts"] += 1
                        next_pending.append((box, word, low, left_high, (*path, (unit, value, 0))))
                        next_pending.append((box, word, right_low, high, (*path, (unit, value, 1))))
                        continue
                    key = state_key(after[index], (image_low[index] + image_high[index]) / 2)
                    target = keys.get(key)
                    if target is None:
                        if len(invariant.carry) >= max_boxes:
                            return stop(f"more than {max_boxes} boxes were needed")
                        target = keys[key] = len(invariant.carry)
                        invariant.lower.append(np.clip(image_low[index] - padding, 0, 1))
                        invariant.upper.append(np.clip(image_high[index] + padding, 0, 1))
                        invariant.carry.append(int(after[index]))
                        changed = True
                    elif (invariant.lower[target] > image_low[index]).any() or (
                        invariant.upper[target] < image_high[index]
                    ).any():
                        invariant.lower[target] = np.clip(
                            np.minimum(invariant.lower[target], image_low[index] - padding / 2), 0, 1
                        )
                        invariant.upper[target] = np.clip(
                            np.maximum(invariant.upper[target], image_high[index] + padding / 2), 0, 1
                        )
                        changed = True
                    leaves.setdefault((box, word), []).append((path, target))
                    leaf_count += 1
                del run
            pending = next_pending
        if not changed:
            for (box, word), found in leaves.items():
                trees[(box, word)] = _tree(found)
            invariant.trees = trees
            statistics.update(boxes=len(invariant.carry), search_seconds=round(time.perf_counter() - started, 3))
            return SearchOutcome(invariant, "closed", statistics)
    return stop(f"the boxes were still growing after {max_rounds} rounds")


def _tree(found: list) -> object:
    """Leaves (path of (unit, value, side) cuts, target) to the certificate's nested form."""
    if len(found) == 1 and not found[0][0]:
        return found[0][1]
    unit, value, _ = found[0][0][0]
    left = [(path[1:], target) for path, target in found if path[0][2] == 0]
    right = [(path[1:], target) for path, target in found if path[0][2] == 1]
    return [unit, value, _tree(left), _tree(right)]


def certificate_document(
    invariant: Invariant, weights: RNNWeights, model_sha256: str | None, statistics: dict, rule: tuple | None = None
) -> dict:
    """The certificate JSON for a closed invariant (see ``explainer.verify.certificate``).

    ``rule``: ``(rule, machine, state names)`` when the boxes are labelled by a rule's machine (its format then).
    """
    from explainer.verify.certificate import content_digest
    from explainer.verify.checker import FORMAT, RULE_FORMAT
    from explainer.verify.property import PROPERTY

    label = "carry" if rule is None else "state"
    words = (4 if rule is None else rule[1].symbols) ** invariant.block_columns
    document = {"format": FORMAT, "property": PROPERTY}
    if rule is not None:
        from explainer.verify.rule_property import rule_property_text

        rule, machine, names = rule
        document = {
            "format": RULE_FORMAT,
            "property": rule_property_text(rule),
            "rule": rule.name,
            "machine": {
                "start": machine.start,
                "next_state": machine.next_state.tolist(),
                "output": machine.output.tolist(),
                "state_names": list(names),
            },
        }
    document |= {
        "model": {"fingerprint": weights.fingerprint, "sha256": model_sha256, "hidden_units": weights.hidden_units},
        "block_columns": invariant.block_columns,
        "boxes": [
            {label: carry, "lower": low.tolist(), "upper": high.tolist()}
            for carry, low, high in zip(invariant.carry, invariant.lower, invariant.upper, strict=True)
        ],
        "transitions": [[invariant.trees[(box, word)] for word in range(words)] for box in range(len(invariant.carry))],
        "search": statistics,
    }
    document["digest"] = content_digest(document)
    return document
