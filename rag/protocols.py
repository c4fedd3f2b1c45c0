"""The seams between the layers, declared once: each is a ``typing.Protocol``.

Index, retrieval, answering and serving meet only through these, so a fake, a dense-only
retriever, a generative answerer or another store swaps in without the caller changing, and
no caller reaches through one step into another's attributes. Implementations:
``Embedder`` (``rag.index.embed``), ``ArticleStore`` (``rag.index.store.ArchiveStore``),
``Retriever`` (``rag.retrieval.hybrid``), ``Answerer`` (``rag.answer``), ``AnswerService``
(``rag.serve.service.Service``, what the API and the chat call).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from rag.types import (
    Answer,
    Article,
    ArticleInfo,
    DateRange,
    Hit,
    IngestReport,
    Query,
    Retrieval,
    Turn,
)


@dataclass(frozen=True)
class StoredArticle:
    """A committed version of an article, as the store returns it: ``vid`` names it in the
    derived indexes (a new one for every write, never reused), ``info`` is what lists show,
    ``article`` its text."""

    vid: int
    info: ArticleInfo
    article: Article


class Embedder(Protocol):
    """Text to unit vectors; ``name`` is what an index records so vectors never mix."""

    name: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class BackgroundEmbedder(Protocol):
    """Embeds documents elsewhere (another process) while the caller does other work."""

    def submit(self, texts: Sequence[str]) -> Future[np.ndarray]: ...

    def close(self) -> None: ...


class ArticleStore(Protocol):
    """Committed articles and what is derived from them: the readers' side of the store (rows
    read on demand, BM25 and passage hits naming article versions), and deletion."""

    @property
    def location(self) -> str: ...

    def check(self) -> None: ...

    def generation(self) -> str: ...

    def refresh(self) -> None: ...

    def iter_articles(self) -> Iterator[tuple[ArticleInfo, Article]]: ...

    def get_article(self, article_id: str) -> Article | None: ...

    def list_articles(self) -> list[ArticleInfo]: ...

    def counts(self) -> tuple[int, int]: ...

    def count_published(self, date_range: DateRange) -> int: ...

    def rows_by_vid(self, vids: Sequence[int]) -> dict[int, StoredArticle]: ...

    def rows_by_id(self, article_ids: Sequence[str]) -> dict[str, StoredArticle]: ...

    def committed_vids(self, vids: Sequence[int]) -> set[int]: ...

    def sentence_vectors_of(self, vids: Sequence[int]) -> dict[int, np.ndarray]: ...

    def chunk_cuts_of(self, vids: Sequence[int]) -> dict[int, tuple[np.ndarray, str]]: ...

    def lexical_hits(self, tokens: Sequence[str], k: int, dr: DateRange) -> list[tuple[int, int, float]]: ...

    def passage_hits(self, vector: np.ndarray, k: int, dr: DateRange) -> list[tuple[int, int, float]]: ...

    def doc_freq(self, token: str) -> int: ...

    def num_chunks(self) -> int: ...

    def terms(self, prefix: str, limit: int | None = None) -> list[tuple[str, int]]: ...

    def probe(self, dim: int) -> None: ...

    def format_mismatch(self) -> str: ...

    def delete(self, article_ids: Sequence[str]) -> list[str]: ...


class Retriever(Protocol):
    """Chunks for a query, best first, with the question's vector and step timings."""

    def search(self, query: Query) -> Retrieval: ...

    def describe(self) -> dict[str, object]: ...


class Answerer(Protocol):
    """Turns retrieved hits into an ``Answer`` (quotes with offsets) or an abstention."""

    mode: str  # "extractive" | "generative"

    def answer(self, question: str, hits: list[Hit], query_vector: np.ndarray | None = None) -> Answer: ...

    def describe(self) -> dict[str, object]: ...


class QuestionRewriter(Protocol):
    """A follow-up question made standalone from the earlier turns (oldest first); unchanged if it is.

    ``candidates`` gives the standalone readings most likely first (the pipeline answers each and
    keeps the one the answerer is most confident in); ``rewrite`` is the first of them.
    """

    name: str

    def candidates(self, question: str, history: Sequence[Turn]) -> list[str]: ...

    def rewrite(self, question: str, history: Sequence[Turn]) -> str: ...


class AnswerService(Protocol):
    """What the HTTP routes and the chat call: answers and the article collection, nothing deeper."""

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        date_range: DateRange | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer: ...

    async def ask_async(
        self,
        question: str,
        top_k: int | None = None,
        date_range: DateRange | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer: ...

    def article(self, article_id: str) -> Article | None: ...

    def list_articles(self) -> list[ArticleInfo]: ...

    def health(self) -> dict[str, object]: ...

    def fingerprint(self) -> dict[str, object]: ...

    def add_articles(
        self, articles: Sequence[Article], on_article: Callable[[str, str], None] | None = None
    ) -> IngestReport: ...

    def replace_article(self, article: Article) -> IngestReport: ...

    def delete_article(self, article_id: str) -> None: ...
