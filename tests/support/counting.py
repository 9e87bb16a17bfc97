"""How many bad-input cases the corpus tests tried, by kind; conftest.py reports it after the run."""

from collections import Counter

CASES_TRIED: Counter[str] = Counter()
