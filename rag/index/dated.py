"""Dense search within a date range, at archive scale.

Chroma's local date filter reads every passage's metadata: 0.6-3 s a query at 100,000 articles,
whatever the range (docs/capacity.md). So the filter is the last resort:

- a range holding a large share of the archive is asked of Chroma unfiltered and deeper
  (``rows.overfetch``), and its hits are kept by their articles' dates in the archive;
- a narrow range of at most ``EXACT_MAX`` articles (a day or a week of a large archive) is
  scored exactly instead: every stored sentence vector of the articles published in it, read
  from the archive ``EXACT_BATCH`` articles at a time, each article ranked by its best sentence
  (the ``k`` best articles then hold the ``k`` best sentences of the range: no recall lost);
- only a narrow range of more articles than that (an archive of millions) goes through the filter.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rag.index.archive import Archive
from rag.index.chroma import ChromaPassages
from rag.index.rows import OVERFETCH_MAX, overfetch, within_dates
from rag.types import DateRange

EXACT_MAX = 3000  # articles: ~60 MB of float16 vectors read, ~0.1-0.2 s, against ~2 s filtered
EXACT_BATCH = 500
ALL = DateRange(None, None)


def nearest_articles(
    query: np.ndarray, vectors: Mapping[int, np.ndarray], k: int
) -> list[tuple[int, int, float]]:
    """Articles ranked by their best sentence's cosine to ``query``, best first, ``k`` of them:
    (vid, that sentence's number, cosine). ``vectors``: vid -> flat (float16) unit sentence vectors;
    an article whose vectors do not fit the query's dimension is left out.

    ``nearest_articles([1, 0], {7: [0, 1, 0.6, 0.8], 9: [1, 0]}, 2)`` -> ``[(9, 0, 1.0), (7, 1, 0.6)]``
    """
    q = np.asarray(query, dtype=np.float32)
    dim = q.shape[0]
    best: list[tuple[int, int, float]] = []
    for vid, flat in vectors.items():
        flat = np.asarray(flat)
        if not flat.size or flat.size % dim:
            continue
        sims = flat.reshape(-1, dim).astype(np.float32) @ q
        i = int(np.argmax(sims))
        best.append((vid, i, float(sims[i])))
    best.sort(key=lambda h: (-h[2], h[0]))
    return best[:k]


def dated_hits(
    archive: Archive,
    passages: ChromaPassages,
    vector: np.ndarray,
    k: int,
    dr: DateRange,
    cap: int | None = None,
    exact_max: int | None = None,
) -> list[tuple[int, int, float]]:
    """The ``k`` nearest (vid, part number, cosine) within ``dr``, best first: Chroma's passages
    (part: passage number; versions may be uncommitted) or, for a narrow range, committed
    articles by their best sentence (part: that sentence's number). See the module doc.
    ``cap``, ``exact_max``: ``OVERFETCH_MAX`` and ``EXACT_MAX`` unless given."""
    if dr.is_open:
        return _parsed(passages.query(vector, k, ALL))
    n = archive.count_published(dr)
    deep = overfetch(k, n, archive.count_published(ALL), OVERFETCH_MAX if cap is None else cap)
    if deep == 0:
        return []
    if deep is not None:
        hits = _parsed(passages.query(vector, deep, ALL))
        return within_dates(hits, archive.published_of(sorted({h[0] for h in hits})), dr)[:k]
    if n > (EXACT_MAX if exact_max is None else exact_max):
        return _parsed(passages.query(vector, k, dr))
    vids = archive.vids_published(dr)
    best: list[tuple[int, int, float]] = []
    for i in range(0, len(vids), EXACT_BATCH):
        batch = archive.vectors_of(vids[i : i + EXACT_BATCH])
        flat = {v: np.frombuffer(d, dtype=np.float16) for v, d in batch.items()}
        best = sorted(best + nearest_articles(vector, flat, k), key=lambda h: (-h[2], h[0]))[:k]
    return best


def _parsed(found: list[tuple[str, float]]) -> list[tuple[int, int, float]]:
    """Chroma's passage ids (``vid:passage``) as numbers."""
    return [(int(v), int(p), sim) for (v, _, p), sim in ((pid.partition(":"), s) for pid, s in found)]
