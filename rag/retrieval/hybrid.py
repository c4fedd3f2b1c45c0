"""Retrievers behind one Protocol: dense (Chroma), BM25, and their hybrid (RRF).

Each returns ``Hit``s over committed chunks. The hybrid also makes sure every hit carries
its dense cosine similarity (BM25-only hits get theirs from the stored vectors), because
the answerer weighs meaning and wording together.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

from rag.protocols import Embedder
from rag.retrieval.corpus import Corpus
from rag.retrieval.fusion import rrf
from rag.types import Hit, Query, Retrieval


class DenseRetriever:
    """Nearest chunks to the embedded question."""

    def __init__(self, corpus: Corpus, embedder: Embedder) -> None:
        self.corpus = corpus
        self.embedder = embedder

    def retrieve(self, query: Query) -> list[Hit]:
        return self.retrieve_vector(self.embedder.embed_query(query.text), query)

    def retrieve_vector(self, vector: np.ndarray, query: Query) -> list[Hit]:
        return [Hit(c, sim, dense=sim) for c, sim in self.corpus.dense(vector, query.top_k, query.date_range)]


class BM25Retriever:
    """Best BM25 matches over the corpus's committed chunks."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def retrieve(self, query: Query) -> list[Hit]:
        return [Hit(c, score) for c, score in self.corpus.lexical(query.text, query.top_k, query.date_range)]


class HybridRetriever:
    """Dense + BM25 fused by reciprocal rank fusion; every hit gets its dense similarity."""

    def __init__(
        self, corpus: Corpus, embedder: Embedder, rrf_k: int = 60, dense_weight: float = 1.0
    ) -> None:
        if rrf_k < 0 or dense_weight < 0:
            raise ValueError(f"rrf_k and dense_weight must be >= 0, got {rrf_k}, {dense_weight}")
        self.corpus = corpus
        self.embedder = embedder
        self.dense = DenseRetriever(corpus, embedder)
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight

    def retrieve(self, query: Query) -> list[Hit]:
        return self.search(query).hits

    def describe(self) -> dict[str, object]:
        """What the eval fingerprint records of retrieval."""
        return {"hybrid": "dense+bm25", "fusion": "rrf", "rrf_k": self.rrf_k}

    def search(self, query: Query) -> Retrieval:
        """Hits plus the question's vector and step timings (thread-safe: no shared state).

        BM25's search in tantivy, which lets go of the GIL, runs in a worker thread beside the
        embedding and the dense step; the articles its hits name are read here afterwards, so
        the Python work stays in one thread instead of two taking turns at the GIL."""
        k, dr = query.top_k, query.date_range
        t0 = time.perf_counter()
        sparse = _pool().submit(_timed, self.corpus.lexical_hits, query.text, k, dr)
        vector = self.embedder.embed_query(query.text)
        t1 = time.perf_counter()
        dense_hits = self.dense.retrieve_vector(vector, query)
        t2 = time.perf_counter()
        raw, bm25_ms = sparse.result()
        t3 = time.perf_counter()
        sparse_hits = [Hit(c, score) for c, score in self.corpus.chunks_of(raw)]
        t4 = time.perf_counter()
        by_id = {h.chunk.chunk_id: h for h in sparse_hits}
        by_id.update({h.chunk.chunk_id: h for h in dense_hits})
        fused = rrf(
            [[h.chunk.chunk_id for h in dense_hits], [h.chunk.chunk_id for h in sparse_hits]],
            k=self.rrf_k,
            weights=[self.dense_weight, 1.0],
        )
        ranked = [
            (str(cid), score) for cid, score in sorted(fused.items(), key=lambda kv: -kv[1])[: query.top_k]
        ]
        # BM25-only hits that made the cut get their cosine from the stored vectors (one call)
        missing = [cid for cid, _ in ranked if by_id[cid].dense is None]
        if missing:
            vecs = self.corpus.vectors(missing)
            for cid in missing:
                v = vecs.get(cid)
                by_id[cid] = Hit(
                    by_id[cid].chunk, by_id[cid].score, dense=float(v @ vector) if v is not None else 0.0
                )
        timings = {
            "embed_ms": (t1 - t0) * 1e3,
            "dense_ms": (t2 - t1) * 1e3,
            "bm25_ms": bm25_ms,
            "bm25_wait_ms": (t3 - t2) * 1e3,
            "read_ms": (t4 - t3) * 1e3,
            "fuse_ms": (time.perf_counter() - t4) * 1e3,
        }
        hits = [Hit(by_id[cid].chunk, score, dense=by_id[cid].dense) for cid, score in ranked]
        return Retrieval(hits, vector, timings)


T = TypeVar("T")
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """The worker threads BM25 runs in beside the embedding (one process-wide pool)."""
    global _POOL
    if _POOL is None:
        with _POOL_LOCK:
            if _POOL is None:
                _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="bm25")
    return _POOL


def _timed(fn: Callable[..., T], *args: object) -> tuple[T, float]:
    t = time.perf_counter()
    out = fn(*args)
    return out, (time.perf_counter() - t) * 1e3
