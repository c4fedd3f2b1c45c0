"""Evaluation metrics: pure functions over plain values, each with a worked example."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rag.text import fold


def facts_present(answer: str, expect: Sequence[Sequence[str]]) -> bool:
    """Every required fact appears: each inner list needs one alternative (case- and accent-folded).

    ``facts_present("26 countries are ready", [["26", "twenty-six"]])`` -> ``True``.
    An empty ``expect`` is vacuously true.
    """
    a = fold(answer)
    return all(any(fold(alt) in a for alt in alts) for alts in expect)


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Half-open spans share a character: ``overlaps((0, 5), (4, 9))`` -> ``True``."""
    return a[0] < b[1] and b[0] < a[1]


def first_relevant_rank(retrieved: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant item: ``first_relevant_rank([False, True])`` -> ``2``."""
    for i, rel in enumerate(retrieved, start=1):
        if rel:
            return i
    return None


def hit_at_k(retrieved: Sequence[bool], k: int) -> float:
    """1.0 if a relevant item is in the top ``k``: ``hit_at_k([False, True], 1)`` -> ``0.0``."""
    r = first_relevant_rank(retrieved[:k])
    return 0.0 if r is None else 1.0


def reciprocal_rank(retrieved: Sequence[bool]) -> float:
    """Reciprocal rank (Voorhees, TREC-8 QA, 1999): ``reciprocal_rank([False, True])`` -> ``0.5``."""
    r = first_relevant_rank(retrieved)
    return 0.0 if r is None else 1.0 / r


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean, 0.0 for no values: ``mean([1, 0])`` -> ``0.5``."""
    return sum(values) / len(values) if values else 0.0


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (numpy's default): ``percentile([1, 2, 3, 4], 50)`` -> ``2.5``."""
    if not values:
        return 0.0
    if not 0 <= p <= 100:
        raise ValueError(f"p must be in [0, 100], got {p}")
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
