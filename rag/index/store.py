"""Chroma adapter: the only module that touches chromadb.

Three collections per index: ``<name>_articles`` (one row per article: the full text and
its content digest), ``<name>_chunks`` (one row per chunk: its vector, with the article id
and date to filter on; the id hashes the chunk's span and text) and ``<name>_meta`` (a
generation marker that changes on every write). Readers re-derive chunks from the
committed article texts, so chunk rows carry no text: writing them is three times faster.
An article is written chunks-first and its article row last, so the article row is the
commit marker: a crash between the two leaves chunk rows no committed article produces,
which readers never look up and the next ingest deletes (``rag.index.repair``).
Chroma result dicts are turned into domain types here and go no further. Every call to a Chroma
server, connecting included, has a deadline (``timeout`` s): a late one is a StoreUnavailableError.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ConfigError
from rag.index.client import is_timeout, open_collections, server_failure
from rag.index.failures import storage_failure
from rag.index.rows import article_info, article_metadata, chunk_metadata, format_difference, where_dates
from rag.text import CHUNKER
from rag.types import Article, ArticleInfo, Chunk, DateRange

log = logging.getLogger(__name__)
_PAGE = 2000
LAYOUT = "2"  # 1: chunk rows held text and offsets; 2: readers re-chunk the article texts


class ChromaStore:
    """Chunks and articles in Chroma: embedded (``data_dir``) or a server (``url``)."""

    def __init__(
        self,
        data_dir: Path | None = None,
        url: str | None = None,
        name: str = "news",
        embedder_name: str = "all-MiniLM-L6-v2",
        timeout: float = 5.0,
    ) -> None:
        if (data_dir is None) == (url is None):
            raise ConfigError("give exactly one of data_dir (embedded Chroma) or url (Chroma server)")
        if not timeout > 0:
            raise ConfigError(f"the Chroma timeout must be > 0 seconds (RAG_CHROMA_TIMEOUT), got {timeout}")
        self.data_dir, self.url, self.timeout = data_dir, url, timeout
        self.name = name
        self.embedder_name = embedder_name
        self._client: Any = None
        self._chunks: Any = None
        self._articles: Any = None
        self._meta: Any = None
        self._mismatch = ""
        self._lock = threading.Lock()

    @property
    def index_format(self) -> dict[str, str]:
        """What a reader must share with the writer: vectors' embedder, chunking, row layout."""
        return {"embedder": self.embedder_name, "chunker": CHUNKER, "layout": LAYOUT}

    @property
    def location(self) -> str:
        return self.url or str(self.data_dir)

    # ------------------------------------------------------------------ connection
    def _connect(self, check_format: bool = True, fresh: bool = False) -> None:
        client, chunks, articles, meta = open_collections(
            self.url, self.data_dir, self.timeout, self.name, self.index_format, fresh
        )
        self._mismatch = format_difference(chunks.metadata or {}, self.index_format)
        if check_format and self._mismatch:
            raise ConfigError(
                f"the index at {self.location} was built with {self._mismatch}: run `rag ingest` to "
                "re-index it (stored articles are re-embedded, nothing is lost), "
                "or use another RAG_DATA_DIR / RAG_COLLECTION"
            )
        self._client, self._chunks, self._articles, self._meta = client, chunks, articles, meta

    def refresh(self) -> None:
        """Embedded: reopen the folder so vectors written by other processes are seen (calls
        running on the old instance finish on it). A server is always current: nothing to do."""
        if self.url is None and self._client is not None:
            with self._lock:
                self._connect(check_format=False, fresh=True)

    def _cols(self) -> tuple[Any, Any]:
        if self._chunks is None:
            with self._lock:
                if self._chunks is None:
                    self._connect()
        return self._chunks, self._articles

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a Chroma call, turning connection failures into StoreUnavailableError and a full
        disk or read-only folder into StoreWriteError."""
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            failure: Exception | None = (
                server_failure(e, self.url, self.timeout, what)
                if self.url
                else storage_failure(e, self.data_dir)
            )
            if failure is None:
                raise
            if not is_timeout(e):
                self._chunks = None  # reconnect next time (a slow server keeps its client)
            raise failure from e

    # ------------------------------------------------------------------ writes
    def write_articles(self, items: Sequence[tuple[Article, Sequence[Chunk], np.ndarray]]) -> None:
        """Write a batch of articles: new chunks in, then the article rows, then stale chunks out.

        The article rows (commit markers) go in one call after every new chunk, and a replaced
        article's old chunks go only after it, so a crash at any point leaves every article of
        the batch as it was or fully replaced, never half visible (only orphan chunk rows).
        """
        if not items:
            return
        ccol, acol = self._cols()
        ids: list[str] = []
        for article, chunks, embeddings in items:
            if len(chunks) != len(embeddings):
                raise ValueError(
                    f"{len(chunks)} chunks but {len(embeddings)} embeddings for {article.article_id}"
                )
            ids.extend(c.chunk_id for c in chunks)
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate chunk ids in the batch")
        article_ids = [a.article_id for a, _, _ in items]
        old = self._call("get", ccol.get, where={"article_id": {"$in": article_ids}}, include=[])
        stale = sorted(set(old["ids"]) - set(ids))
        all_chunks = [c for _, chunks, _ in items for c in chunks]
        vectors = (
            np.concatenate([np.asarray(e, dtype=np.float32) for _, _, e in items if len(e)]) if ids else None
        )
        for i in range(0, len(all_chunks), _PAGE):
            part = all_chunks[i : i + _PAGE]
            assert vectors is not None
            self._call(
                "upsert",
                ccol.upsert,
                ids=[c.chunk_id for c in part],
                embeddings=vectors[i : i + _PAGE],
                metadatas=[chunk_metadata(c) for c in part],
            )
        self._call(
            "upsert",
            acol.upsert,
            ids=article_ids,
            embeddings=[[0.0]] * len(items),
            documents=[a.text for a, _, _ in items],
            metadatas=[article_metadata(a, len(chunks)) for a, chunks, _ in items],
        )
        self.delete_chunks(stale)  # the old texts' chunks: no committed article uses them now

    def bump_generation(self) -> str:
        """Mark the store as changed so every reader (in any process) refreshes its view."""
        self._cols()
        gen = uuid.uuid4().hex
        self._call(
            "upsert", self._meta.upsert, ids=["state"], embeddings=[[0.0]], metadatas=[{"generation": gen}]
        )
        return gen

    def generation(self) -> str:
        """An opaque marker that changes whenever articles are written or deleted."""
        self._cols()
        res = self._call("get", self._meta.get, ids=["state"], include=["metadatas"])
        return str(res["metadatas"][0]["generation"]) if res["ids"] else "empty"

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Delete chunk rows by id (vectors no committed article owns: what a crash leaves)."""
        ccol, _ = self._cols()
        for i in range(0, len(chunk_ids), _PAGE):
            self._call("delete", ccol.delete, ids=list(chunk_ids[i : i + _PAGE]))

    def delete(self, article_ids: Sequence[str]) -> list[str]:
        """Delete articles; returns the ids that existed. Each article row (the commit marker) goes
        first, so a crash leaves only orphan chunk rows, which readers never look up and the next
        ingest deletes. The generation changes when anything was deleted."""
        ccol, acol = self._cols()
        ids = sorted(set(article_ids))
        found = set(self._call("get", acol.get, ids=ids, include=[])["ids"]) if ids else set()
        existed = [i for i in ids if i in found]
        if existed:
            self._call("delete", acol.delete, ids=existed)  # uncommit first
            self._call("delete", ccol.delete, where={"article_id": {"$in": existed}})
            self.bump_generation()
        return existed

    # ------------------------------------------------------------------ reads
    def digests(self) -> dict[str, str]:
        """Committed article id -> content digest."""
        _, acol = self._cols()
        out: dict[str, str] = {}
        for page in self._pages(acol, include=["metadatas"]):
            for i, md in zip(page["ids"], page["metadatas"], strict=True):
                out[i] = str(md["digest"])
        return out

    def get_articles(self, ids: Sequence[str]) -> dict[str, Article]:
        if not ids:
            return {}
        _, acol = self._cols()
        res = self._call("get", acol.get, ids=list(ids), include=["documents", "metadatas"])
        return {
            i: Article(i, dt.date.fromisoformat(str(md["published"])), doc)
            for i, doc, md in zip(res["ids"], res["documents"], res["metadatas"], strict=True)
        }

    def get_article(self, article_id: str) -> Article | None:
        return self.get_articles([article_id]).get(article_id)

    def list_articles(self) -> list[ArticleInfo]:
        _, acol = self._cols()
        out: list[ArticleInfo] = []
        for page in self._pages(acol, include=["metadatas"]):
            out.extend(article_info(i, md) for i, md in zip(page["ids"], page["metadatas"], strict=True))
        return sorted(out, key=lambda a: (a.published, a.article_id))

    def counts(self) -> tuple[int, int]:
        """(articles, chunks) as stored, including any uncommitted chunks of a crashed ingest."""
        ccol, acol = self._cols()
        return int(self._call("count", acol.count)), int(self._call("count", ccol.count))

    def count_published(self, date_range: DateRange) -> int:
        """Committed articles published in ``date_range``: ids only, a page at a time (a ``where`` on the date)."""
        where = where_dates(date_range) or {"published_int": {"$gte": 0}}
        return sum(len(page["ids"]) for page in self._pages(self._cols()[1], include=[], where=where))

    def iter_articles(self) -> Iterator[tuple[ArticleInfo, Article]]:
        """Every committed article with its text (paged); readers re-derive chunks from these."""
        _, acol = self._cols()
        for page in self._pages(acol, include=["documents", "metadatas"]):
            for i, doc, md in zip(page["ids"], page["documents"], page["metadatas"], strict=True):
                info = article_info(i, md, doc)
                yield info, Article(i, info.published, doc)

    def chunk_rows(self) -> Iterator[tuple[str, str]]:
        """(chunk id, article id) of every stored vector, committed or not (for checks and repair)."""
        ccol, _ = self._cols()
        for page in self._pages(ccol, include=["metadatas"]):
            for i, md in zip(page["ids"], page["metadatas"], strict=True):
                yield i, str(md["article_id"])

    def _pages(self, col: Any, include: list[str], where: Any = None) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = self._call("get", col.get, include=include, limit=_PAGE, offset=offset, where=where)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def dense(
        self, vector: np.ndarray, k: int, date_range: DateRange, n_hint: int | None = None
    ) -> list[tuple[str, float]]:
        """Ids and cosine similarities of the chunks nearest ``vector``, within a date range.

        Only ids and distances come back (texts are held by the caller's corpus view), which
        keeps a query at a few milliseconds. ``n_hint`` (the known chunk count) saves a call.
        """
        ccol, _ = self._cols()
        n = n_hint if n_hint is not None else self._call("count", ccol.count)
        if n == 0 or k <= 0:
            return []
        where = where_dates(date_range)
        ask = {"query_embeddings": [np.asarray(vector, dtype=np.float32)], "include": ["distances"]}
        try:
            res = self._call("query", ccol.query, n_results=min(k, n), where=where, **ask)
        except Exception as e:
            if self.url or where is None or "Error finding id" not in str(e):
                raise
            # Another process wrote since this instance read the vectors: until the next refresh,
            # ask unfiltered and deeper; the caller keeps the ids its view knows, within the dates.
            log.info("embedded index changed by another process: unfiltered dense query")
            res = self._call("query", ccol.query, n_results=min(max(8 * k, 200), n), **ask)
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)]

    def embeddings_for(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not chunk_ids:
            return {}
        ccol, _ = self._cols()
        res = self._call("get", ccol.get, ids=list(chunk_ids), include=["embeddings"])
        return {
            i: np.asarray(e, dtype=np.float32) for i, e in zip(res["ids"], res["embeddings"], strict=True)
        }

    def format_mismatch(self) -> str:
        """How the stored index differs from what this setup writes ("" if it matches or is new).

        Opens the index without refusing it, so its articles can still be read for a rebuild.
        """
        self._open_unchecked()
        return self._mismatch

    def _open_unchecked(self) -> None:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._connect(check_format=False)

    def reset(self) -> None:
        """Drop the collections (``rag ingest --rebuild``), whichever embedder built them."""
        self._open_unchecked()
        for suffix in ("chunks", "articles", "meta"):
            with contextlib.suppress(Exception):
                self._client.delete_collection(f"{self.name}_{suffix}")
        self._chunks = self._articles = None
        self._mismatch = ""
