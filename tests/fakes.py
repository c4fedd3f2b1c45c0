"""FAKES for unit tests of pure logic: an in-memory article store (no SQLite, tantivy or Chroma).

Named as fakes on purpose: integration tests use the real archive, tantivy, embedded Chroma and
servers. The fake keeps the real store's contract: every write makes a new version id, hits
name versions, rows exist only for committed versions; BM25 is the in-memory reference
``BM25Index`` and passages are searched by brute force.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from rag.index.embed import FakeHashEmbedder
from rag.index.rows import passage_vectors
from rag.protocols import StoredArticle
from rag.retrieval.bm25 import BM25Index
from rag.text import chunk_article, tokenize
from rag.text.headline import headline
from rag.text.passages import article_passages
from rag.types import Article, ArticleInfo, DateRange


class FakeArticleStore:
    """FAKE ``ArticleStore``: articles in a dict, vectors from the hash embedder, brute-force search."""

    location = "memory://fake"

    def __init__(self, articles: Sequence[Article] = (), embedder: FakeHashEmbedder | None = None) -> None:
        self.embedder = embedder or FakeHashEmbedder()
        self.rows: dict[int, StoredArticle] = {}
        self.vectors: dict[int, np.ndarray] = {}
        self.ids: dict[str, int] = {}
        self._next = 1
        self._gen = 0
        self._bm25: BM25Index | None = None
        self.calls: list[str] = []
        for a in articles:
            self.put(a)

    def put(self, article: Article) -> None:
        """Add or replace an article (a new version) and move the generation on."""
        self.delete(article.article_id)
        vid, self._next = self._next, self._next + 1
        chunks = chunk_article(article)
        info = ArticleInfo(
            article.article_id, article.published, headline(article.text), len(chunks), article.digest
        )
        self.rows[vid] = StoredArticle(vid, info, article)
        self.vectors[vid] = self.embedder.embed_documents([c.text for c in chunks]).astype(np.float16)
        self.ids[article.article_id] = vid
        self._gen += 1
        self._bm25 = None

    def delete(self, article_ids: Sequence[str] | str) -> list[str]:
        """Delete articles (a str: one id); returns the ids that existed."""
        deleted = []
        for article_id in sorted({article_ids} if isinstance(article_ids, str) else set(article_ids)):
            vid = self.ids.pop(article_id, None)
            if vid is not None:
                del self.rows[vid], self.vectors[vid]
                deleted.append(article_id)
        if deleted:
            self._gen += 1
            self._bm25 = None
        return deleted

    def _index(self) -> tuple[BM25Index, list[tuple[int, int, int]]]:
        keys = [
            (vid, c.seq, r.article.published_int)
            for vid, r in self.rows.items()
            for c in chunk_article(r.article)
        ]
        if self._bm25 is None:
            docs = [tokenize(c.text) for r in self.rows.values() for c in chunk_article(r.article)]
            self._bm25 = BM25Index.build([f"{v}:{s}" for v, s, _ in keys], docs)
        return self._bm25, keys

    def check(self) -> None:
        self.calls.append("check")

    def refresh(self) -> None:
        self.calls.append("refresh")

    def generation(self) -> str:
        self.calls.append("generation")
        return f"gen-{self._gen}"

    def iter_articles(self) -> Iterator[tuple[ArticleInfo, Article]]:
        self.calls.append("iter_articles")
        for r in self.rows.values():
            yield r.info, r.article

    def get_article(self, article_id: str) -> Article | None:
        vid = self.ids.get(article_id)
        return None if vid is None else self.rows[vid].article

    def list_articles(self) -> list[ArticleInfo]:
        return sorted((r.info for r in self.rows.values()), key=lambda i: (i.published, i.article_id))

    def counts(self) -> tuple[int, int]:
        return len(self.rows), sum(r.info.chunks for r in self.rows.values())

    def count_published(self, date_range: DateRange) -> int:
        return sum(1 for r in self.rows.values() if date_range.contains(r.article.published))

    def rows_by_vid(self, vids: Sequence[int]) -> dict[int, StoredArticle]:
        self.calls.append("rows_by_vid")
        return {v: self.rows[v] for v in vids if v in self.rows}

    def committed_vids(self, vids: Sequence[int]) -> set[int]:
        return {v for v in vids if v in self.rows}

    def rows_by_id(self, article_ids: Sequence[str]) -> dict[str, StoredArticle]:
        return {a: self.rows[self.ids[a]] for a in article_ids if a in self.ids}

    def chunk_cuts_of(self, vids: Sequence[int]) -> dict[int, tuple[np.ndarray, str]]:
        return {}  # none kept: views cut the texts again (as for archives written before offsets)

    def sentence_vectors_of(self, vids: Sequence[int]) -> dict[int, np.ndarray]:
        return {v: self.vectors[v].reshape(-1) for v in vids if v in self.vectors}

    def lexical_hits(self, tokens: Sequence[str], k: int, dr: DateRange) -> list[tuple[int, int, float]]:
        bm25, keys = self._index()
        lo, hi = _bounds(dr)
        mask = np.array([lo <= d <= hi for _, _, d in keys], dtype=bool) if keys else None
        out = []
        for key, score in bm25.top(list(tokens), k, mask):
            vid, seq = key.split(":")
            out.append((int(vid), int(seq), score))
        return out

    def passage_hits(self, vector: np.ndarray, k: int, dr: DateRange) -> list[tuple[int, int, float]]:
        lo, hi = _bounds(dr)
        found = []
        for vid, r in self.rows.items():
            if not lo <= r.article.published_int <= hi or not r.info.chunks:
                continue
            pv = passage_vectors(self.vectors[vid].astype(np.float32), article_passages(r.article))
            found += [(vid, p, float(v @ vector)) for p, v in enumerate(pv)]
        return sorted(found, key=lambda x: -x[2])[:k]

    def doc_freq(self, token: str) -> int:
        return self._index()[0].doc_freq(token)

    def num_chunks(self) -> int:
        return len(self._index()[0])

    def terms(self, prefix: str, limit: int | None = None) -> list[tuple[str, int]]:
        bm25 = self._index()[0]
        found = sorted(
            ((t, bm25.doc_freq(t)) for t in bm25.postings if t.startswith(prefix)),
            key=lambda x: (-x[1], x[0]),
        )
        return found[:limit] if limit is not None else found

    def probe(self, dim: int) -> None:
        self.calls.append("probe")

    def format_mismatch(self) -> str:
        return ""


def _bounds(dr: DateRange) -> tuple[int, int]:
    lo = dr.start.year * 10000 + dr.start.month * 100 + dr.start.day if dr.start else 0
    hi = dr.end.year * 10000 + dr.end.month * 100 + dr.end.day if dr.end else 99999999
    return lo, hi
