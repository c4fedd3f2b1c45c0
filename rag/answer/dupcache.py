"""``near_duplicate_clusters`` with each pair's verdict remembered, so a question does not
re-compare articles earlier questions already compared.

Every answer clusters the articles its candidates come from (``Sources.of``): a dozen or so
full texts, up to ~70 pairs, each a set intersection of a few hundred shingles (~1-2 ms a
question at 1,000 articles, the largest part of a warm answer). The same articles come back
question after question, so the verdict of a pair ("resemblance >= threshold") is kept,
keyed by the two texts' 64-bit hashes (the texts themselves are not held, so the cache does
not keep article texts alive past the corpus's own bounded cache). The cache is emptied when the corpus generation changes (so replaced
articles' texts are let go) and when it holds ``max_pairs`` verdicts.

The clusters equal ``near_duplicate_clusters``' exactly: both are the connected components
of the "resembles" graph, each named by its first key in the input's order
(``tests/unit/answer/test_dupcache.py`` checks them against each other).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from rag.answer.diversity import (
    NEAR_DUPLICATE,
    SHINGLE_WORDS,
    connected_clusters,
    resemble_at,
    shingle_hashes,
)

MAX_PAIRS = 200_000  # ~20 MB of verdicts


class NearDuplicateCache:
    """Cached ``near_duplicate_clusters`` for one answerer (thread-safe)."""

    def __init__(
        self, threshold: float = NEAR_DUPLICATE, k: int = SHINGLE_WORDS, max_pairs: int = MAX_PAIRS
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        if max_pairs < 1:
            raise ValueError(f"max_pairs must be >= 1, got {max_pairs}")
        self.threshold, self.k, self.max_pairs = threshold, k, max_pairs
        self.generation: str | None = None
        self._near: dict[tuple[int, int], bool] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Number of pair verdicts held."""
        return len(self._near)

    def clusters(self, texts: Mapping[str, str], generation: str | None) -> dict[str, str]:
        """Each key's cluster id (the first key of its cluster in ``texts``' order), as
        ``near_duplicate_clusters(texts, threshold, k)`` returns it. ``generation``: the corpus
        generation the texts were read from; a new one empties the cache first."""
        with self._lock:
            if generation != self.generation:
                self._near.clear()
                self.generation = generation
        return connected_clusters(list(texts), lambda a, b: self.near(texts[a], texts[b]))

    def near(self, a: str, b: str) -> bool:
        """Do texts ``a`` and ``b`` resemble each other at ``threshold`` or more? (cached)"""
        ha, hb = hash(a), hash(b)
        verdict = self._near.get((ha, hb))
        if verdict is None:
            verdict = self._compare(a, b)
            with self._lock:
                if len(self._near) >= self.max_pairs:
                    self._near.clear()
                self._near[(ha, hb)] = self._near[(hb, ha)] = verdict
        return verdict

    def _compare(self, a: str, b: str) -> bool:
        return resemble_at(shingle_hashes(a, self.k), shingle_hashes(b, self.k), self.threshold)
