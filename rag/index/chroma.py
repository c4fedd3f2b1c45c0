"""Chroma adapter for passage vectors: the only module (with ``client``) that touches chromadb.

One collection, ``<name>_passages``: a row per passage (``rag.text.passages``) with its vector
(the normalised mean of its sentences' vectors), the article version id (``vid``) and the
publication date as an int to filter on. Its collection metadata records the index format and
the archive it belongs to, so a Chroma server shared by processes with different archives is
refused instead of answering from another archive's vectors. Embedded (``data_dir``) or a server
(``url``, every call with a deadline: a late one is a StoreUnavailableError). Chroma result
dicts become plain tuples here and go no further.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ConfigError, StoreUnavailableError
from rag.index.client import is_timeout, open_client, server_failure
from rag.index.failures import storage_failure
from rag.index.rows import where_dates
from rag.types import Article, DateRange

log = logging.getLogger(__name__)
PAGE = 2000
LEGACY = ("chunks", "articles", "meta")  # layout 1-2 collections: one vector per sentence


class ChromaPassages:
    """Passage vectors in Chroma: embedded (``data_dir``) or a server (``url``)."""

    def __init__(
        self, data_dir: Path | None = None, url: str | None = None, name: str = "news", timeout: float = 5.0
    ) -> None:
        if (data_dir is None) == (url is None):
            raise ConfigError("give exactly one of data_dir (embedded Chroma) or url (Chroma server)")
        if not timeout > 0:
            raise ConfigError(f"the Chroma timeout must be > 0 seconds (RAG_CHROMA_TIMEOUT), got {timeout}")
        self.data_dir, self.url, self.timeout, self.name = data_dir, url, timeout, name
        self._client: Any = None
        self._col: Any = None
        self._count: int | None = None  # cached for queries; any write or refresh forgets it
        self._lock = threading.Lock()

    @property
    def location(self) -> str:
        return self.url or str(self.data_dir)

    def _open(self, fresh: bool = False) -> None:
        try:
            client = open_client(self.url, self.data_dir, self.timeout, fresh)
            col = client.get_or_create_collection(
                f"{self.name}_passages", embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
        except Exception as e:
            raise self._failure(e, "connect") from e
        self._client, self._col = client, col

    def _failure(self, e: Exception, what: str) -> Exception:
        found: Exception | None = (
            server_failure(e, self.url, self.timeout, what) if self.url else storage_failure(e, self.data_dir)
        )
        if found is not None:
            return found
        return StoreUnavailableError(
            f"cannot use Chroma at {self.location} ({what}): {e}. "
            + ("Is `chroma run` up at that URL?" if self.url else "`rag status` says what it can read of it")
        )

    def _c(self) -> Any:
        if self._col is None:
            with self._lock:
                if self._col is None:
                    self._open()
        return self._col

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a Chroma call, turning connection failures into StoreUnavailableError and a full
        disk or read-only folder into StoreWriteError."""
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            failure = (
                server_failure(e, self.url, self.timeout, what)
                if self.url
                else storage_failure(e, self.data_dir)
            )
            if failure is None:
                raise
            if not is_timeout(e):
                self._col = None  # reconnect next time (a slow server keeps its client)
            raise failure from e

    def refresh(self, reopen: bool = True) -> None:
        """Forget the cached count; embedded, ``reopen`` the folder so vectors written by other
        processes are seen (calls running on the old instance finish on it). A server is always
        current."""
        self._count = None
        if reopen and self.url is None and self._col is not None:
            with self._lock:
                self._open(fresh=True)

    # ------------------------------------------------------------------ format
    def recorded(self) -> dict[str, str]:
        """What the collection's metadata records (format, archive); {} for a new collection."""
        md = self._call("metadata", lambda: self._c().metadata) or {}
        return {str(k): str(v) for k, v in md.items()}

    def record(self, values: dict[str, str]) -> None:
        self._call("modify", self._c().modify, metadata={**self.recorded(), **values})

    def legacy_collections(self) -> list[str]:
        """Collections of the per-sentence layout this setup replaced, if any are here."""
        self._c()
        names = {getattr(c, "name", c) for c in self._call("list", self._client.list_collections)}
        return [f"{self.name}_{s}" for s in LEGACY if f"{self.name}_{s}" in names]

    def legacy_articles(self) -> Iterator[Article]:
        """The articles of a per-sentence layout's article collection (to carry over)."""
        col = self._call("get", self._client.get_collection, f"{self.name}_articles")
        offset = 0
        while True:
            page = self._call("get", col.get, include=["documents", "metadatas"], limit=PAGE, offset=offset)
            if not page["ids"]:
                return
            for i, doc, md in zip(page["ids"], page["documents"], page["metadatas"], strict=True):
                yield Article(i, dt.date.fromisoformat(str(md["published"])), doc)
            offset += len(page["ids"])

    def reset(self, legacy: bool = True) -> None:
        """Drop the passages (and a replaced layout's collections) and start an empty collection."""
        self._c()
        names = [f"{self.name}_passages"] + (self.legacy_collections() if legacy else [])
        for n in names:
            with contextlib.suppress(Exception):
                self._client.delete_collection(n)
        self._col = None

    # ------------------------------------------------------------------ writes
    def upsert(
        self, ids: Sequence[str], vectors: np.ndarray, vids: Sequence[int], days: Sequence[int]
    ) -> None:
        col = self._c()
        for i in range(0, len(ids), PAGE):
            j = i + PAGE
            self._call(
                "upsert",
                col.upsert,
                ids=list(ids[i:j]),
                embeddings=np.asarray(vectors[i:j], dtype=np.float32),
                metadatas=[{"vid": v, "published_int": d} for v, d in zip(vids[i:j], days[i:j], strict=True)],
            )

    def delete_vids(self, vids: Sequence[int]) -> None:
        col, self._count = self._c(), None
        for i in range(0, len(vids), 500):
            self._call("delete", col.delete, where={"vid": {"$in": [int(v) for v in vids[i : i + 500]]}})

    def delete_ids(self, ids: Sequence[str]) -> None:
        col, self._count = self._c(), None
        for i in range(0, len(ids), PAGE):
            self._call("delete", col.delete, ids=list(ids[i : i + PAGE]))

    # ------------------------------------------------------------------ reads
    def count(self) -> int:
        n = self._count = int(self._call("count", self._c().count))
        return n

    def rows(self) -> Iterator[tuple[str, int]]:
        """(passage id, vid) of every stored vector (for checks and repair)."""
        col, offset = self._c(), 0
        while True:
            page = self._call("get", col.get, include=["metadatas"], limit=PAGE, offset=offset)
            if not page["ids"]:
                return
            for i, md in zip(page["ids"], page["metadatas"], strict=True):
                yield i, int(md["vid"])
            offset += len(page["ids"])

    def vectors_of(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        res = self._call("get", self._c().get, ids=list(ids), include=["embeddings"])
        return {
            i: np.asarray(e, dtype=np.float32) for i, e in zip(res["ids"], res["embeddings"], strict=True)
        }

    def query(self, vector: np.ndarray, k: int, date_range: DateRange) -> list[tuple[str, float]]:
        """Ids and cosine similarities of the ``k`` passages nearest ``vector`` within the dates
        (the passage count, which bounds ``k``, is read once per generation)."""
        col = self._c()
        n = self._count if self._count is not None else self.count()
        if n == 0 or k <= 0:
            return []
        where = where_dates(date_range)
        ask = {"query_embeddings": [np.asarray(vector, dtype=np.float32)], "include": ["distances"]}
        try:
            res = self._call("query", col.query, n_results=min(k, n), where=where, **ask)
        except Exception as e:
            if self.url or where is None or "Error finding id" not in str(e):
                raise
            # Another process wrote since this instance read the vectors: until the next refresh,
            # ask unfiltered and deeper; the caller keeps only committed versions within the dates.
            log.info("embedded index changed by another process: unfiltered dense query")
            res = self._call("query", col.query, n_results=min(max(8 * k, 200), n), **ask)
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)]
