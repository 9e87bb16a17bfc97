"""Sums of many lengths, with long runs of one column pattern: the data of the ``long`` recipe.

The seed trains on 8-column sums only, and its network drifts on long runs of one column pattern
(22 columns of 0 + 1 tip its "no carry" state into its "carry" state). The ``long`` recipe fine-tunes on
the sums this module makes: 8 to 48 columns, half of them with one pattern repeated over a random
stretch, so that such runs are seen in training. Kept apart from ``explainer.training.train`` (which holds the
recipe table) so that it needs neither Keras nor the page.
"""

from __future__ import annotations

import numpy as np

LONG_SUM_COLUMNS = 48  # every batch is padded to this many columns (leading zero columns, as on the page)
SHORTEST_LONG_SUM = 8
# The four column patterns (bit of a, bit of b).
COLUMN_PATTERNS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.int8)


def written_addition(input_bits: np.ndarray) -> np.ndarray:
    """The bits written addition puts under each column of ``input_bits`` ``(N, T, 2)``: ``(N, T)`` int8."""
    count, timesteps, _ = input_bits.shape
    carry = np.zeros(count, dtype=np.int8)
    written = np.empty((count, timesteps), dtype=np.int8)
    for step in range(timesteps):
        column_total = input_bits[:, step, 0] + input_bits[:, step, 1] + carry
        written[:, step] = column_total & 1
        carry = (column_total >= 2).astype(np.int8)
    return written


def long_sum_batch(rng: np.random.Generator, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """One batch ``(inputs (B, 48, 2), targets (B, 48, 1))`` float32 of sums of 8–48 columns.

    A sum of L columns has random bits in its lowest L − 1 columns (so its final carry fits in column
    L − 1) and zero columns above L. Half the sums repeat one column pattern over a random stretch.
    """
    columns = LONG_SUM_COLUMNS
    lengths = rng.integers(SHORTEST_LONG_SUM, columns + 1, size=batch_size)
    bits = rng.integers(0, 2, size=(batch_size, columns, 2), dtype=np.int8)
    positions = np.arange(columns)
    bits[positions[None, :] >= (lengths - 1)[:, None]] = 0
    patterned = rng.random(batch_size) < 0.5
    for row in np.flatnonzero(patterned):
        start = int(rng.integers(0, lengths[row] - 1))
        stop = int(rng.integers(start + 1, lengths[row]))
        bits[row, start:stop] = COLUMN_PATTERNS[rng.integers(0, 4)]
    targets = written_addition(bits)
    return bits.astype(np.float32), targets[..., None].astype(np.float32)
