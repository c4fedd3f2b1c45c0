"""The index: an archive (``rag.index.archive``, SQLite: texts and float16 sentence vectors,
the commit marker), a lexical index derived from it (``rag.index.lexical``, tantivy) and passage
vectors derived from it (``rag.index.chroma``, embedded or a server), none held whole in memory.

A write journals the articles it touches, adds their new versions' derived rows, commits the
archive rows in one transaction, then drops the replaced versions and clears the journal; a
reader keeps only hits of committed versions, so what a kill -9 leaves is never quoted. With a
Chroma server, ``RAG_DATA_DIR`` must be shared too. Design and costs: ``docs/capacity.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ConfigError, RagError
from rag.index.archive import Archive
from rag.index.chroma import ChromaPassages
from rag.index.dated import dated_hits
from rag.index.failures import storage_failure
from rag.index.lexical import FOLDER, SCHEMA_TAG, LexicalIndex, LexicalWriter, split_sid
from rag.index.rows import cut_row, format_difference, int_date, passage_vectors
from rag.protocols import StoredArticle
from rag.text import CHUNKER, tokenize
from rag.text.passages import PASSAGES, article_passages
from rag.types import Article, ArticleInfo, Chunk, DateRange

log = logging.getLogger(__name__)
LAYOUT = "3"  # 1-2: a Chroma vector per sentence, texts in Chroma; 3: archive + tantivy + passages


class ArchiveStore:
    """Articles, their sentences' lexical index and their passage vectors (see the module doc)."""

    def __init__(
        self,
        data_dir: Path,
        url: str | None = None,
        name: str = "news",
        embedder_name: str = "all-MiniLM-L6-v2",
        timeout: float = 5.0,
    ) -> None:
        self.data_dir, self.url, self.name, self.embedder_name = data_dir, url, name, embedder_name
        self.archive = Archive(data_dir)
        self.lexical = LexicalIndex(data_dir / FOLDER)
        self.vectors = ChromaPassages(None if url else data_dir, url, name, timeout)
        self.token = uuid.uuid4().hex  # this instance's writes, told apart from other processes'
        self._own: set[int] = set()  # generations this instance committed
        self._seen = -1
        self._writer: LexicalWriter | None = None
        self._checked = False

    @property
    def index_format(self) -> dict[str, str]:
        """What a reader must share with the writer: embedder, chunking, passages, layout."""
        fmt = {"embedder": self.embedder_name, "chunker": CHUNKER, "passages": PASSAGES}
        return {**fmt, "layout": LAYOUT, "lexical": SCHEMA_TAG}

    @property
    def location(self) -> str:
        return f"{self.data_dir} + Chroma server {self.url}" if self.url else str(self.data_dir)

    # ------------------------------------------------------------------ format
    def format_mismatch(self) -> str:
        """How the stored index differs from this setup ("" if it matches or is new)."""
        if self.vectors.legacy_collections():
            return f"layout '2' (this setup uses {LAYOUT!r})"
        if not self.archive.counts()[0]:
            return ""
        return format_difference(self.archive.meta(), self.index_format)

    def check(self) -> None:
        """Refuse an index of another setup, or a Chroma collection of another archive."""
        if self._checked:
            return
        mismatch = self.format_mismatch()
        if mismatch:
            raise ConfigError(
                f"the index at {self.location} was built with {mismatch}: run `rag ingest` to re-index "
                "it (stored articles are re-embedded, nothing is lost), or use another RAG_DATA_DIR / "
                "RAG_COLLECTION"
            )
        owner = self.vectors.recorded().get("archive")
        if owner and owner != self.archive.identity():
            raise ConfigError(
                f"the Chroma collection {self.name}_passages at {self.vectors.location} belongs to "
                f"another archive than {self.archive.path}: give every process sharing this Chroma "
                "server the same RAG_DATA_DIR, or use another RAG_COLLECTION"
            )
        self._checked = True

    # ------------------------------------------------------------------ generation
    def generation(self) -> str:
        """An opaque marker that changes whenever articles are written or deleted."""
        return str(self.archive.generation()[0])

    def refresh(self) -> None:
        """See every committed write: the lexical index's last commit, and (embedded) Chroma's
        vectors when another process wrote since this instance last looked."""
        gen = self.archive.generation()[0]
        foreign = any(g not in self._own for g in range(self._seen + 1, gen + 1))
        self.lexical.reload()
        self.vectors.refresh(reopen=foreign and self._seen >= 0)
        self._seen = gen
        self._own = {g for g in self._own if g > gen}

    # ------------------------------------------------------------------ reads
    def counts(self) -> tuple[int, int]:
        return self.archive.counts()[:2]

    def count_published(self, date_range: DateRange) -> int:
        return self.archive.count_published(date_range)

    def digests(self, ids: Sequence[str] | None = None) -> dict[str, str]:
        return self.archive.digests(ids)

    def list_articles(self) -> list[ArticleInfo]:
        return self.archive.list_articles()

    def get_articles(self, ids: Sequence[str]) -> dict[str, Article]:
        return {a: r.article for a, r in self.archive.by_id(list(ids)).items()}

    def get_article(self, article_id: str) -> Article | None:
        return self.get_articles([article_id]).get(article_id)

    def iter_articles(self) -> Iterator[tuple[ArticleInfo, Article]]:
        for r in self.archive.iter_rows():
            yield r.info, r.article

    def stored_articles(self) -> list[Article]:
        """Every stored article, of this layout or the per-sentence one it replaced (for a rebuild)."""
        legacy = self.vectors.legacy_collections()
        return list(self.vectors.legacy_articles()) if legacy else [a for _, a in self.iter_articles()]

    def rows_by_vid(self, vids: Sequence[int]) -> dict[int, StoredArticle]:
        return self.archive.by_vid(vids)

    def committed_vids(self, vids: Sequence[int]) -> set[int]:
        return self.archive.existing(vids)

    def rows_by_id(self, article_ids: Sequence[str]) -> dict[str, StoredArticle]:
        return self.archive.by_id(article_ids)

    def sentence_vectors_of(self, vids: Sequence[int]) -> dict[int, np.ndarray]:
        return {v: np.frombuffer(d, dtype=np.float16) for v, d in self.archive.vectors_of(vids).items()}

    def chunk_cuts_of(self, vids: Sequence[int]) -> dict[int, tuple[np.ndarray, str]]:
        """Stored (chunk offsets as (n, 2) int32, token lines) a version (``Archive.cuts_of``)."""
        cuts = self.archive.cuts_of(vids)
        return {v: (np.frombuffer(s, np.int32).reshape(-1, 2), t) for v, (s, t) in cuts.items()}

    def lexical_hits(self, tokens: Sequence[str], k: int, dr: DateRange) -> list[tuple[int, int, float]]:
        """The ``k`` best BM25 (vid, chunk number, score); versions may be uncommitted."""
        lo, hi = (int_date(d) if d else None for d in (dr.start, dr.end))
        return [(*split_sid(s), score) for s, score in self.lexical.search(tokens, k, lo, hi)]

    def passage_hits(self, vector: np.ndarray, k: int, dr: DateRange) -> list[tuple[int, int, float]]:
        """The ``k`` nearest (vid, part number, cosine), best first: passages (versions may be
        uncommitted), or for a narrow date range committed articles scored exactly (``rag.index.dated``)."""
        return dated_hits(self.archive, self.vectors, vector, k, dr)

    def doc_freq(self, token: str) -> int:
        return self.lexical.doc_freq(token)

    def num_chunks(self) -> int:
        return self.lexical.num_docs()

    def terms(self, prefix: str, limit: int | None = None) -> list[tuple[str, int]]:
        return self.lexical.terms(prefix, limit)

    def probe(self, dim: int) -> None:
        """A real, cheap read of each part: archive, lexical index, a date-filtered vector query (matching none)."""
        self.archive.counts()
        self.lexical.search(["probe"], 1)
        self.vectors.query(np.ones(dim, dtype=np.float32), 1, DateRange(None, dt.date(1, 1, 1)))

    # ------------------------------------------------------------------ writes (writer lock held)
    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """One write session (an ingest, an upload, a delete): the lexical writer is opened on
        first use and closed (its merges done) at the end. A full disk or a read-only folder
        is a StoreWriteError naming it and the fix (what is committed stays committed)."""
        self._depth += 1
        failed = False
        try:
            yield
        except Exception as e:
            failed = True
            failure = None if isinstance(e, RagError) else storage_failure(e, self.data_dir)
            if failure is None:
                raise
            raise failure from e
        finally:
            self._depth -= 1
            if not self._depth:
                self._started = False
                try:
                    self._close_writer()
                except Exception:
                    if not failed:
                        raise
                    log.warning("closing the lexical writer after a failed write failed too", exc_info=True)

    def lexical_writer(self) -> LexicalWriter:
        """The session's lexical writer (opened on first use; the writer lock must be held)."""
        if self._writer is None:
            self._writer_cm: Any = self.lexical.writing()
            self._writer = self._writer_cm.__enter__()
        return self._writer

    def _close_writer(self) -> None:
        if self._writer is not None:
            cm, self._writer = self._writer_cm, None
            cm.__exit__(None, None, None)

    def write_articles(self, items: Sequence[tuple[Article, Sequence[Chunk], np.ndarray]]) -> None:
        """Write a batch of articles (see the module doc for the order); each is fully replaced."""
        if not items:
            return
        with self.writing():
            self._start()
            journal = self.archive.begin([a.article_id for a, _, _ in items])
            ids, pvecs, pvids, days, rows = [], [], [], [], []
            lex = self.lexical_writer()
            for article, chunks, vectors in items:
                if len(chunks) != len(vectors):
                    raise ValueError(
                        f"{len(chunks)} chunks but {len(vectors)} embeddings for {article.article_id}"
                    )
                vid = journal[article.article_id].vid
                assert vid is not None
                ranges = article_passages(article) if len(chunks) else []
                pvecs.append(passage_vectors(np.asarray(vectors, dtype=np.float32), ranges))
                ids += [f"{vid}:{p}" for p in range(len(ranges))]
                pvids += [vid] * len(ranges)
                days += [article.published_int] * len(ranges)
                lex.add(vid, article.published_int, tokens := [tokenize(c.text) for c in chunks])
                f16 = np.asarray(vectors, dtype=np.float16).tobytes()
                rows.append((vid, article, len(chunks), len(ranges), f16, cut_row(chunks, tokens)))
            if ids:
                self.vectors.upsert(ids, np.concatenate(pvecs), pvids, days)
            lex.commit()  # the derived rows are durable before the commit marker
            self._own.add(self.archive.commit(rows, self.token))
            self.drop_versions([p.old_vid for p in journal.values() if p.old_vid is not None])
            self.archive.finish(list(journal))

    def delete(self, article_ids: Sequence[str]) -> list[str]:
        """Delete articles; returns the ids that existed. The archive rows go first (readers stop
        citing them at once), then their derived rows."""
        ids = sorted(set(article_ids))
        if not ids:
            return []
        with self.writing():
            self._start()
            journal = self.archive.begin([], ids)
            existed, gen = self.archive.delete(ids, self.token)
            self._own.add(gen or 0)
            self.drop_versions([p.old_vid for p in journal.values() if p.old_vid is not None])
            self.archive.finish(ids)
        return existed

    def replay_journal(self) -> int:
        """Delete the derived rows of versions an interrupted write left uncommitted or replaced;
        returns the number of journal entries cleared."""
        entries = self.archive.pending()
        if not entries:
            return 0
        ids = sorted({p.article_id for p in entries})
        committed = {a: r.vid for a, r in self.archive.by_id(ids).items()}
        touched = {v for p in entries for v in (p.vid, p.old_vid) if v is not None}
        stale = sorted(touched - set(committed.values()))  # a version id belongs to one article
        self.drop_versions(stale)
        self.archive.finish(ids)
        log.warning("index at %s: undid an interrupted write (%d versions)", self.location, len(stale))
        return len(entries)

    def drop_versions(self, vids: Sequence[int]) -> None:
        """Remove versions' derived rows (replaced, deleted, or never committed)."""
        if vids:
            self.vectors.delete_vids(vids)
            lex = self.lexical_writer()
            lex.delete(vids)
            lex.commit()

    _started, _depth = False, 0

    def _start(self) -> None:
        """Before the first write of a session: record the format and archive identity, and
        replay the journal a crashed write left."""
        if self._started:
            return
        self._started = True
        if not self.archive.meta().get("layout"):
            self.archive.set_meta(self.index_format)
        if not self.vectors.recorded().get("archive"):
            self.vectors.record({**self.index_format, "archive": self.archive.identity()})
        self.check()
        self.replay_journal()

    def reset(self) -> None:
        """Drop everything (``rag ingest --rebuild``), whichever setup built it."""
        self.vectors.reset()
        with self.writing():
            lex = self.lexical_writer()
            lex.clear()
            lex.commit()
        self.archive.reset()
        self._checked = False
