"""What Chroma rows hold and how they are read back: pure functions, no client.

A chunk row keeps only what queries filter on (article id, date as an int: Chroma's range
filters take numbers only); an article row's metadata becomes an ``ArticleInfo`` here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.text.headline import headline
from rag.types import Article, ArticleInfo, Chunk, DateRange


def where_dates(dr: DateRange) -> dict[str, Any] | None:
    conds: list[dict[str, Any]] = []
    if dr.start is not None:
        conds.append({"published_int": {"$gte": int_date(dr.start)}})
    if dr.end is not None:
        conds.append({"published_int": {"$lte": int_date(dr.end)}})
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else {"$and": conds}


def int_date(d: dt.date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def day_bounds(dr: DateRange) -> tuple[int, int]:
    """A range as inclusive ``YYYYMMDD`` bounds (an open end: 0 or 99991231)."""
    return int_date(dr.start) if dr.start else 0, int_date(dr.end) if dr.end else 99991231


def chunk_metadata(c: Chunk) -> dict[str, Any]:
    """What Chroma stores beside a chunk's vector: just what queries filter on.

    The chunk's text and offsets are not stored: the id hashes them, and readers re-derive
    chunks from the committed article text (``chunk_article``). Every metadata key is a row
    in Chroma's SQLite, so two keys instead of eight (and no document) triple write speed.
    """
    return {"article_id": c.article_id, "published_int": int_date(c.published)}


def article_metadata(a: Article, n_chunks: int) -> dict[str, Any]:
    """What Chroma stores beside an article's text (the digest tells a reader it is whole)."""
    return {
        "published": a.published_iso,
        "published_int": a.published_int,
        "digest": a.digest,
        "chunks": n_chunks,
        "headline": headline(a.text),
    }


def article_info(article_id: str, md: dict[str, Any], text: str | None = None) -> ArticleInfo:
    """An article row's metadata as an ``ArticleInfo``; with its ``text``, the headline is derived
    from it (rows written before the headline rule hold an older ``title``)."""
    return ArticleInfo(
        article_id,
        dt.date.fromisoformat(str(md["published"])),
        headline(text) if text is not None else str(md.get("headline") or md.get("title", "")),
        int(md.get("chunks", 0)),
        str(md["digest"]),
    )


def looks_like_connection_error(e: Exception) -> bool:
    text = f"{type(e).__name__} {e}".lower()
    return any(
        s in text for s in ("connect", "timeout", "timed out", "unreachable", "refused", "502", "503", "504")
    )


def format_difference(found: dict[str, Any], expected: dict[str, str]) -> str:
    """How a stored index's recorded format differs from this setup's ("" when it matches).

    ``format_difference({"layout": "1"}, {"layout": "2"})`` -> ``"layout '1' (this setup uses '2')"``.
    """
    return ", ".join(
        f"{k} {found.get(k)!r} (this setup uses {v!r})" for k, v in expected.items() if found.get(k) != v
    )


def passage_vectors(vectors: np.ndarray, ranges: Sequence[tuple[int, int]]) -> np.ndarray:
    """Unit-length means of runs of unit vectors: ``[[1, 0], [0, 1]]`` over ``[(0, 2)]`` ->
    ``[[0.707, 0.707]]``. A run summing to zero keeps a zero vector."""
    out = (
        np.stack([vectors[a:b].mean(axis=0) for a, b in ranges])
        if ranges
        else np.zeros((0, vectors.shape[1]))
    )
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def cut_row(chunks: Sequence[Chunk], tokens: Sequence[Sequence[str]]) -> tuple[bytes, str]:
    """How an article was cut, as the archive keeps it so that readers need not cut and tokenize
    the text again: chunk offsets as int32 (start, end) pairs, and a line of tokens a chunk
    (tokens never hold spaces or line breaks)."""
    spans = np.array([(c.start, c.end) for c in chunks], dtype=np.int32).reshape(-1, 2).tobytes()
    return spans, "\n".join(" ".join(t) for t in tokens)


OVERFETCH_MAX = 4000  # passages asked unfiltered: ~45 ms at 100,000 articles, against ~1.5 s filtered


def overfetch(k: int, in_range: int, articles: int, cap: int = OVERFETCH_MAX) -> int | None:
    """How many passages to ask Chroma for, unfiltered, so that about ``k`` fall within a date
    range holding ``in_range`` of ``articles`` articles (1.5 times the expected need), or None
    when that is over ``cap`` (a narrow range: use Chroma's date filter).

    ``overfetch(60, 50_000, 100_000)`` -> ``180``; ``overfetch(60, 145, 100_000)`` -> ``None``;
    ``overfetch(60, 0, 100_000)`` -> ``0`` (no article within the range).
    """
    if in_range <= 0:
        return 0  # nothing to find
    deep = -(-k * 3 * articles // (2 * in_range))
    return deep if deep <= cap else None


def within_dates(
    hits: list[tuple[int, int, float]], days: dict[int, int], dr: DateRange
) -> list[tuple[int, int, float]]:
    """The hits (vid first) whose version is committed (in ``days``: vid -> YYYYMMDD) and published within ``dr``."""
    lo, hi = day_bounds(dr)
    return [h for h in hits if lo <= days.get(h[0], -1) <= hi]
