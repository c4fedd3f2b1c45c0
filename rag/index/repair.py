"""Finding and repairing what a failed write left in an index (disk full, kill -9, a crash
inside Chroma).

``diagnose`` reads the index the way answering does, cheaply: both collections' counts, a
date-filtered vector query, the vectors of a sample of committed chunks, and (only when the
counts disagree) every chunk row against the chunks the committed article texts make. It
returns what it found; ``repair`` deletes vectors no committed article owns (what a crash
between an article's chunks and its commit marker, or inside a delete, leaves) and says
whether the vectors must be rebuilt from the stored article texts, which ``Pipeline.ingest``
then does (as it does for an index built by another embedder).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from dataclasses import dataclass, field

import numpy as np

from rag.errors import StoreWriteError
from rag.index.store import ChromaStore
from rag.text import chunk_article
from rag.types import DateRange

log = logging.getLogger(__name__)
_SAMPLE_ARTICLES = 50


@dataclass
class Diagnosis:
    """What ``diagnose`` found: nothing (``ok``), stray vectors, or unreadable parts."""

    stray_chunks: list[str] = field(default_factory=list)  # vectors of no committed article
    unreadable: str = ""  # why the vectors must be rebuilt from the article texts ("" if not)
    texts_unreadable: str = ""  # the article texts themselves cannot be read: rebuild from files

    @property
    def ok(self) -> bool:
        return not (self.stray_chunks or self.unreadable or self.texts_unreadable)

    def describe(self) -> str:
        parts = []
        if self.texts_unreadable:
            parts.append(f"the article texts cannot be read ({self.texts_unreadable})")
        if self.unreadable:
            parts.append(f"the vectors cannot all be read ({self.unreadable})")
        if self.stray_chunks:
            parts.append(f"{len(self.stray_chunks)} vectors belong to no committed article")
        return "; ".join(parts)


def diagnose(store: ChromaStore) -> Diagnosis:
    """Read the index cheaply and report what is wrong (see the module docstring)."""
    d = Diagnosis()
    try:
        infos = store.list_articles()
        sample = [art for _, art in itertools.islice(store.iter_articles(), _SAMPLE_ARTICLES)]
    except Exception as e:
        d.texts_unreadable = _short(e)
        return d
    try:
        n_articles, n_chunks = store.counts()
        ids = [c.chunk_id for art in sample for c in chunk_article(art)]
        got = store.embeddings_for(ids)
        if len(got) != len(ids):
            d.unreadable = f"{len(ids) - len(got)} of {len(ids)} sampled vectors are missing"
            return d
        if got:  # a date-filtered query: Chroma's metadata and its vector index together
            probe = np.ones(len(next(iter(got.values()))), dtype=np.float32)
            store.dense(probe, 1, DateRange(dt.date(1, 1, 1), None), n_hint=n_chunks)
    except Exception as e:
        d.unreadable = _short(e)
        return d
    if n_chunks != sum(i.chunks for i in infos) or n_articles != len(infos):
        expected = {c.chunk_id for _, art in store.iter_articles() for c in chunk_article(art)}
        rows = {cid for cid, _ in store.chunk_rows()}
        d.stray_chunks = sorted(rows - expected)
        if expected - rows:
            d.unreadable = f"{len(expected - rows)} vectors of committed articles are missing"
    return d


def repair(store: ChromaStore) -> Diagnosis:
    """Diagnose, delete stray vectors, and return the diagnosis (the caller rebuilds the vectors
    from the stored texts when ``unreadable`` is set)."""
    d = diagnose(store)
    if d.stray_chunks and not d.unreadable and not d.texts_unreadable:
        store.delete_chunks(d.stray_chunks)
        log.warning(
            "index at %s: removed %d vectors no committed article owns (left by an interrupted write)",
            store.location,
            len(d.stray_chunks),
        )
    return d


def needs_rebuild(store: ChromaStore, location: str) -> bool:
    """Repair what a failed write left: stray vectors are deleted; True when the vectors must be
    rebuilt from the stored texts; unreadable texts are a StoreWriteError naming the fix."""
    found = repair(store)
    if found.texts_unreadable:
        raise StoreWriteError(
            f"the index at {location} cannot be read ({found.describe()}): rebuild it from "
            "the article files with `rag ingest --rebuild PATH...` (articles only in the index are lost)"
        )
    if found.unreadable:
        log.warning(
            "the index at %s cannot be fully read (%s): re-indexing its stored articles",
            location,
            found.describe(),
        )
    return bool(found.unreadable)


def _short(e: Exception) -> str:
    root = e.__cause__ if isinstance(e.__cause__, Exception) else e  # Chroma's own error, unwrapped
    return f"{type(root).__name__}: {str(root)[:160]}"
