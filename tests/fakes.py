"""FAKES for unit tests of pure logic: an in-memory article store (no Chroma).

Named as fakes on purpose: integration tests use the real embedded Chroma and servers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from rag.index.embed import FakeHashEmbedder
from rag.text import chunk_article
from rag.text.headline import headline
from rag.types import Article, ArticleInfo, DateRange


class FakeArticleStore:
    """FAKE ``ArticleStore``: articles in a dict, chunk vectors from the hash embedder, brute-force dense."""

    location = "memory://fake"

    def __init__(self, articles: Sequence[Article] = (), embedder: FakeHashEmbedder | None = None) -> None:
        self.embedder = embedder or FakeHashEmbedder()
        self.articles: dict[str, Article] = {}
        self.vectors: dict[str, np.ndarray] = {}
        self.dates: dict[str, int] = {}
        self._gen = 0
        self.calls: list[str] = []
        for a in articles:
            self.put(a)

    def put(self, article: Article) -> None:
        """Add or replace an article (its chunk vectors too) and move the generation on."""
        self.delete(article.article_id)
        self.articles[article.article_id] = article
        chunks = chunk_article(article)
        for c, v in zip(chunks, self.embedder.embed_documents([c.text for c in chunks]), strict=True):
            self.vectors[c.chunk_id] = v
            self.dates[c.chunk_id] = article.published_int
        self._gen += 1

    def delete(self, article_ids: Sequence[str] | str) -> list[str]:
        """Delete articles (a str: one id); returns the ids that existed."""
        deleted = []
        for article_id in sorted({article_ids} if isinstance(article_ids, str) else set(article_ids)):
            if self.articles.pop(article_id, None) is not None:
                for cid in [c for c in self.vectors if c.startswith(f"{article_id}:")]:
                    del self.vectors[cid], self.dates[cid]
                deleted.append(article_id)
        if deleted:
            self._gen += 1
        return deleted

    def _info(self, a: Article) -> ArticleInfo:
        return ArticleInfo(a.article_id, a.published, headline(a.text), len(chunk_article(a)), a.digest)

    def refresh(self) -> None:
        self.calls.append("refresh")

    def generation(self) -> str:
        self.calls.append("generation")
        return f"gen-{self._gen}"

    def iter_articles(self) -> Iterator[tuple[ArticleInfo, Article]]:
        self.calls.append("iter_articles")
        for a in self.articles.values():
            yield self._info(a), a

    def get_article(self, article_id: str) -> Article | None:
        return self.articles.get(article_id)

    def list_articles(self) -> list[ArticleInfo]:
        return sorted(
            (self._info(a) for a in self.articles.values()), key=lambda i: (i.published, i.article_id)
        )

    def counts(self) -> tuple[int, int]:
        return len(self.articles), len(self.vectors)

    def count_published(self, date_range: DateRange) -> int:
        return sum(1 for a in self.articles.values() if date_range.contains(a.published))

    def dense(
        self, vector: np.ndarray, k: int, date_range: DateRange, n_hint: int | None = None
    ) -> list[tuple[str, float]]:
        lo = (
            date_range.start.year * 10000 + date_range.start.month * 100 + date_range.start.day
            if date_range.start
            else 0
        )
        hi = (
            date_range.end.year * 10000 + date_range.end.month * 100 + date_range.end.day
            if date_range.end
            else 99999999
        )
        sims = [(cid, float(v @ vector)) for cid, v in self.vectors.items() if lo <= self.dates[cid] <= hi]
        return sorted(sims, key=lambda kv: -kv[1])[:k]

    def embeddings_for(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {c: self.vectors[c] for c in chunk_ids if c in self.vectors}

    def format_mismatch(self) -> str:
        return ""
