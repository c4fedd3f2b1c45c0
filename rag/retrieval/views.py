"""Article views: the committed article versions a question needs, read on demand and kept in a
bounded LRU (``size`` articles, about 40 KB each: text, float16 sentence vectors, chunks once cut).

A view is keyed by its version id, which never changes meaning: a cached view stays right until
its version is replaced or deleted, and ``follow`` (on a new generation) lets those go. An
article id resolves to its committed version through a map emptied at every generation."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np

from rag.protocols import ArticleStore, StoredArticle
from rag.text import chunk_article
from rag.types import Article, ArticleInfo, Chunk

log = logging.getLogger(__name__)
VIEW_CACHE = 1024


@dataclass
class ArticleView:
    """One committed article version as the answerer reads it; its chunks are cut on first use
    (dense search scores an article's sentences by their vectors before it needs any chunk)."""

    vid: int
    info: ArticleInfo
    article: Article
    vectors: np.ndarray  # float16, one row per chunk
    spans: np.ndarray | None = None  # int32 (start, end) per chunk, as the writer cut them
    token_lines: str | None = None  # the writer's BM25 tokens, a line a chunk
    _tokens: frozenset[str] | None = field(default=None, repr=False)
    _chunks: Sequence[Chunk] | None = field(default=None, repr=False)

    @property
    def chunks(self) -> Sequence[Chunk]:
        if self._chunks is None:
            chunks = (
                chunk_article(self.article)
                if self.spans is None
                else _Cut(self.article, self.spans, self.info.digest)
            )
            if len(chunks) != self.info.chunks:  # another chunker wrote it (the format check's job)
                log.error(
                    "article %s: %d chunks, %d stored", self.info.article_id, len(chunks), self.info.chunks
                )
                chunks = []
            self._chunks = chunks
        return self._chunks


class ArticleViews:
    """A bounded LRU of article views over a store (thread-safe)."""

    def __init__(self, store: ArticleStore, size: int = VIEW_CACHE) -> None:
        if size < 1:
            raise ValueError(f"the view cache needs room for at least 1 article, got {size}")
        self.store, self.size = store, size
        self._views: OrderedDict[int, ArticleView] = OrderedDict()
        self._ids: dict[str, int | None] = {}  # article id -> committed vid (None: not committed)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._views)

    def follow(self) -> None:
        """After the store changed: forget id -> version, and drop views of versions gone since."""
        self._ids = {}
        held = list(self._views)
        kept = self.store.committed_vids(held) if held else set()
        with self._lock:
            for vid in held:
                if vid not in kept:
                    self._views.pop(vid, None)

    def get(self, vids: list[int]) -> dict[int, ArticleView]:
        out: dict[int, ArticleView] = {}
        with self._lock:
            for v in vids:
                view = self._views.get(v)
                if view is not None:
                    self._views.move_to_end(v)
                    out[v] = view
        missing = sorted({v for v in vids if v not in out})
        if missing:
            rows = self.store.rows_by_vid(missing)
            vectors = self.store.sentence_vectors_of(list(rows))
            cuts = self.store.chunk_cuts_of(list(rows))
            for vid, row in rows.items():
                view = _view(row, vectors.get(vid), cuts.get(vid))
                if view is not None:
                    out[vid] = view
                    self._keep(view)
        return out

    def of(self, article_id: str) -> ArticleView | None:
        vid = self._ids.get(article_id, -1)
        if vid is None:
            return None
        view = self._views.get(vid) if vid >= 0 else None
        if view is not None:  # the hot path: the answerer asks about the same few articles often
            return view
        if vid < 0:
            row = self.store.rows_by_id([article_id]).get(article_id)
            vid = self._ids[article_id] = None if row is None else row.vid
            if vid is None:
                return None
        return self.get([vid]).get(vid)

    def _keep(self, view: ArticleView) -> None:
        with self._lock:
            self._views[view.vid] = view
            self._ids[view.info.article_id] = view.vid
            while len(self._views) > self.size:
                self._views.popitem(last=False)


class _Cut(Sequence[Chunk]):
    """The chunks at stored offsets (what ``chunk_article`` gave the writer), without cutting
    again; each is made on first use (a question reads a few sentences of each of ~60 articles)."""

    def __init__(self, article: Article, spans: np.ndarray, digest: str) -> None:
        self._article, self._spans, self._digest = article, spans, digest  # digest: checked by ``_view``
        self._made: dict[int, Chunk] = {}

    def __len__(self) -> int:
        return len(self._spans)

    @overload
    def __getitem__(self, i: int) -> Chunk: ...
    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...
    def __getitem__(self, i: int | slice) -> Chunk | list[Chunk]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        j = i + len(self) if i < 0 else i
        c = self._made.get(j)
        if c is None:
            if not 0 <= j < len(self._spans):
                raise IndexError(f"chunk {i} of {len(self)}")
            a, (s, e) = self._article, self._spans[j].tolist()
            # setdefault: two threads reading one view get the same object (callers compare by identity)
            c = self._made.setdefault(j, Chunk(a.article_id, a.published, j, s, e, a.text[s:e], self._digest))
        return c


def _view(
    row: StoredArticle, vectors: np.ndarray | None, cuts: tuple[np.ndarray, str] | None = None
) -> ArticleView | None:
    """A row and its flat float16 vectors as a view; None if the text is not what its writer
    committed (digest) or the vectors do not fit its chunk count."""
    if row.article.digest != row.info.digest:
        log.warning("article %s: text does not match its digest; re-ingest it", row.info.article_id)
        return None
    n = row.info.chunks
    if vectors is None or (vectors.size % n if n else vectors.size):
        log.warning("article %s: stored vectors do not match its chunks; re-ingest it", row.info.article_id)
        return None
    vecs = vectors.reshape(n, vectors.size // n) if n else np.zeros((0, 0), dtype=np.float16)
    if cuts is None or len(cuts[0]) != n or cuts[1].count("\n") != max(n - 1, 0):
        return ArticleView(row.vid, row.info, row.article, vecs)  # none kept: cut the text again
    return ArticleView(row.vid, row.info, row.article, vecs, cuts[0], cuts[1])
