"""The verifier's memory bound: a byte budget that its searches check before their arrays grow.

Both searches hold sets of boxes, and a box costs ``units × 8`` bytes per float64 word (its lower corner is
one word per unit, its upper corner another). Before an array of boxes is made, the search adds up what would
then be alive at once (boxes × words × units × 8 bytes) and asks :meth:`MemoryBound.fits`; if it does not fit,
the search stops and says that it could not settle the question within the bound, instead of growing. So the
number of boxes a search may keep follows from the budget and the hidden size: a 64-unit network gets a
quarter of the boxes a 16-unit one gets.

The budget covers the searches' arrays, not the Python process around them (interpreter and numpy, ~40 MB).
"""

from __future__ import annotations

from dataclasses import dataclass

FLOAT_BYTES = 8
VERIFIER_MEMORY_BYTES = 256 * 2**20  # the proof child beside a ~0.5 GB server stays well inside a 1 GB host


@dataclass
class MemoryBound:
    """A byte budget and the most that was ever claimed against it (``peak_bytes`` never exceeds ``limit_bytes``)."""

    limit_bytes: int = VERIFIER_MEMORY_BYTES
    peak_bytes: int = 0

    def fits(self, live_bytes: int) -> bool:
        """Whether ``live_bytes`` may be alive at once; if so it counts towards ``peak_bytes``."""
        if live_bytes > self.limit_bytes:
            return False
        self.peak_bytes = max(self.peak_bytes, int(live_bytes))
        return True

    def box_bytes(self, units: int, boxes: int, words: float) -> int:
        """Bytes of ``boxes`` boxes of ``units`` units with ``words`` float64 words per unit each."""
        return int(boxes * words * units * FLOAT_BYTES)

    def most_boxes(self, units: int, words: float) -> int:
        """How many boxes of ``words`` words per unit the whole budget holds."""
        return int(self.limit_bytes // (words * units * FLOAT_BYTES))

    @property
    def name(self) -> str:
        return f"the memory bound of {self.limit_bytes / 2**20:.0f} MB"

    @property
    def stop_reason(self) -> str:
        return f"it could not settle this within {self.name}"
