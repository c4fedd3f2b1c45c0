"""Finding and repairing what a failed write left in an index (kill -9, a full disk, a crash
inside Chroma or tantivy).

The archive is the truth; the lexical index and the passage vectors are derived from it, so
every repair here works from the archive alone, without the embedder:

- ``replay_journal``: a write that died left journal entries; the derived rows of the versions
  it wrote but did not commit (or had replaced) are deleted. Every writer does this first.
- ``diagnose``: the cheap checks answering does (counts of each part against the archive, a
  date-filtered vector query) and, when the passage count disagrees, every passage id.
- ``repair``: the journal, then stray passages out, missing ones back (from the stored sentence
  vectors), and the whole lexical index or passage collection rebuilt from the archive when it
  cannot be read or its count is off.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rag.errors import StoreWriteError
from rag.index.rows import cut_row, passage_vectors
from rag.text import tokenize
from rag.text.passages import article_passages
from rag.text.sentences import chunk_article
from rag.types import DateRange

if TYPE_CHECKING:
    from rag.index.store import ArchiveStore

log = logging.getLogger(__name__)


@dataclass
class Diagnosis:
    """What ``diagnose`` found: nothing (``ok``), or which parts disagree with the archive."""

    stray_passages: list[str] = field(default_factory=list)  # vectors of no committed version
    missing_passages: list[int] = field(default_factory=list)  # committed versions lacking them
    unreadable: str = ""  # the passage vectors cannot be read: rebuilt from the archive
    lexical: str = ""  # the lexical index disagrees with the archive: rebuilt from it
    texts_unreadable: str = ""  # the archive itself cannot be read: rebuild from the files
    journal: int = 0  # entries an interrupted write left

    @property
    def ok(self) -> bool:
        return not (
            self.stray_passages
            or self.missing_passages
            or self.unreadable
            or self.lexical
            or self.texts_unreadable
            or self.journal
        )

    def describe(self) -> str:
        parts = []
        if self.texts_unreadable:
            parts.append(f"the article archive cannot be read ({self.texts_unreadable})")
        if self.journal:
            parts.append(f"an interrupted write left {self.journal} journal entries")
        if self.unreadable:
            parts.append(f"the vectors cannot all be read ({self.unreadable})")
        if self.lexical:
            parts.append(f"the lexical index {self.lexical}")
        if self.stray_passages:
            parts.append(f"{len(self.stray_passages)} vectors belong to no committed article")
        if self.missing_passages:
            parts.append(f"{len(self.missing_passages)} articles lack their passage vectors")
        return "; ".join(parts)


def diagnose(store: ArchiveStore) -> Diagnosis:
    """Read the index cheaply and report what is wrong (see the module docstring)."""
    d = Diagnosis()
    try:
        _, n_chunks, n_passages = store.archive.counts()
        d.journal = len(store.archive.pending())
    except Exception as e:
        d.texts_unreadable = _short(e)
        return d
    try:
        if store.lexical.num_docs() != n_chunks:
            d.lexical = f"holds {store.lexical.num_docs()} sentences, the archive {n_chunks}"
    except Exception as e:
        d.lexical = f"cannot be read ({_short(e)})"
    try:
        stored = store.vectors.count()
        if stored:
            store.vectors.query(np.ones(_dim(store), dtype=np.float32), 1, DateRange(dt.date(1, 1, 1), None))
        if stored != n_passages:
            expected = {f"{vid}:{p}" for vid, n in store.archive.versions() for p in range(n)}
            rows = {pid for pid, _ in store.vectors.rows()}
            d.stray_passages = sorted(rows - expected)
            d.missing_passages = sorted({int(p.split(":")[0]) for p in expected - rows})
    except Exception as e:
        d.unreadable = _short(e)
    return d


def repair(store: ArchiveStore) -> Diagnosis:
    """Diagnose and fix every part from the archive; returns what was found. Unreadable texts are
    a StoreWriteError naming the fix (they are the one part that cannot be derived)."""
    d = diagnose(store)
    if not d.texts_unreadable:
        keep_cuts(store)
    if d.texts_unreadable:
        raise StoreWriteError(
            f"the index at {store.location} cannot be read ({d.describe()}): rebuild it from "
            "the article files with `rag ingest --rebuild PATH...` (articles only in the index are lost)"
        )
    if d.ok:
        return d
    log.warning("index at %s: repairing (%s)", store.location, d.describe())
    with store.writing():
        store.replay_journal()
        if d.unreadable:
            store.vectors.reset(legacy=False)
            store.vectors.record({**store.index_format, "archive": store.archive.identity()})
            _add_passages(store, [vid for vid, _ in store.archive.versions()])
        else:
            store.vectors.delete_ids(d.stray_passages)
            _add_passages(store, d.missing_passages)
        if d.lexical:
            rebuild_lexical(store)
    return d


def keep_cuts(store: ArchiveStore) -> int:
    """Store the cuts (chunk offsets, tokens) of rows written before the archive kept them
    (readers cut and tokenize those texts again on every first read); returns how many rows gained them."""
    done = 0
    with store.writing():
        while rows := store.archive.without_cuts(500):
            cuts = [(r, chunk_article(r.article)) for r in rows]
            store.archive.add_cuts([(r.vid, *cut_row(c, [tokenize(x.text) for x in c])) for r, c in cuts])
            done += len(rows)
    if done:
        log.info("index at %s: chunk offsets and tokens stored for %d articles", store.location, done)
    return done


def _add_passages(store: ArchiveStore, vids: list[int]) -> None:
    """Passage vectors of committed versions, from their stored sentence vectors."""

    for i in range(0, len(vids), 200):
        rows = store.archive.by_vid(vids[i : i + 200])
        ids, vecs, pvids, days = [], [], [], []
        for vid, row in rows.items():
            flat = store.sentence_vectors_of([vid]).get(vid)
            if flat is None or row.info.chunks == 0:
                continue
            ranges = article_passages(row.article)
            vecs.append(passage_vectors(flat.reshape(row.info.chunks, -1).astype(np.float32), ranges))
            ids += [f"{vid}:{p}" for p in range(len(ranges))]
            pvids += [vid] * len(ranges)
            days += [row.article.published_int] * len(ranges)
        if ids:
            store.vectors.upsert(ids, np.concatenate(vecs), pvids, days)


def rebuild_lexical(store: ArchiveStore) -> None:
    """Index every committed sentence again (the lexical index is derived from the archive)."""
    lex = store.lexical_writer()
    lex.clear()
    for row in store.archive.iter_rows():
        lex.add(row.vid, row.article.published_int, [tokenize(c.text) for c in chunk_article(row.article)])
    lex.commit()


def _dim(store: ArchiveStore) -> int:
    for vid, _ in store.archive.versions():
        flat = store.sentence_vectors_of([vid]).get(vid)
        row = store.archive.by_vid([vid]).get(vid)
        if flat is not None and row is not None and row.info.chunks:
            return int(flat.size // row.info.chunks)
    return 384


def _short(e: Exception) -> str:
    root = e.__cause__ if isinstance(e.__cause__, Exception) else e  # the engine's own error, unwrapped
    return f"{type(root).__name__}: {str(root)[:160]}"
