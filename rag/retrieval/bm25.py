"""BM25 over chunk tokens: pure scoring functions plus a small in-memory inverted index.

Scoring follows Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and
Beyond" (2009), with Lucene's non-negative idf. The index is rebuilt from the store's chunk
texts when the store changes (a few hundred ms per 10k chunks) and can be saved as JSON +
``.npy`` (no pickle).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from rag.text import tokenize

Num = TypeVar("Num", float, np.ndarray)


def idf(n_docs: int, doc_freq: int) -> float:
    """Lucene BM25 idf: ``idf(10, 1)`` = ln(1 + 9.5/1.5) ≈ 1.992."""
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def term_score(tf: Num, doc_len: Num, avg_len: float, k1: float = 1.2, b: float = 0.75) -> Num:
    """Saturated term frequency: ``term_score(1, 10, 10)`` = 1·2.2 / (1 + 1.2) = 1.0.

    Works elementwise on arrays too: ``BM25Index.scores`` calls it on a term's postings.
    """
    return tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * doc_len / avg_len))


class BM25Index:
    """Inverted index over token lists; ``scores(query_tokens)`` gives one score per document."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        if k1 < 0 or not 0 <= b <= 1:
            raise ValueError(f"need k1 >= 0 and 0 <= b <= 1, got k1={k1}, b={b}")
        self.k1, self.b = k1, b
        self.ids: list[str] = []
        self.doc_len = np.zeros(0, dtype=np.float32)
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def build(
        cls, ids: Sequence[str], docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75
    ) -> BM25Index:
        if len(ids) != len(docs):
            raise ValueError(f"{len(ids)} ids but {len(docs)} documents")
        index = cls(k1, b)
        index.ids = list(ids)
        index.doc_len = np.array([len(d) for d in docs], dtype=np.float32)
        acc: dict[str, tuple[list[int], list[int]]] = {}
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                rows, tfs = acc.setdefault(term, ([], []))
                rows.append(i)
                tfs.append(tf)
        index.postings = {
            t: (np.array(r, dtype=np.int32), np.array(f, dtype=np.float32)) for t, (r, f) in acc.items()
        }
        return index

    def __len__(self) -> int:
        return len(self.ids)

    def doc_freq(self, term: str) -> int:
        p = self.postings.get(term)
        return 0 if p is None else len(p[0])

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query tokens (duplicates count once)."""
        n = len(self.ids)
        out = np.zeros(n, dtype=np.float32)
        if n == 0:
            return out
        avg = float(self.doc_len.mean()) or 1.0
        for term in dict.fromkeys(query):
            p = self.postings.get(term)
            if p is None:
                continue
            rows, tf = p
            out[rows] += idf(n, len(rows)) * term_score(tf, self.doc_len[rows], avg, self.k1, self.b)
        return out

    def top(
        self, query: str | Sequence[str], k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` best (id, score) pairs with a positive score for a query text (or its
        tokens); ``allowed`` masks documents."""
        s = self.scores(tokenize(query) if isinstance(query, str) else query)
        if allowed is not None:
            s = np.where(allowed, s, 0.0)
        k = min(k, int((s > 0).sum()))
        if k <= 0:
            return []
        idx = np.argpartition(-s, k - 1)[:k]
        idx = idx[np.argsort(-s[idx], kind="stable")]
        return [(self.ids[i], float(s[i])) for i in idx]

    # -------------------------------------------------------------- persistence (no pickle)
    def save(self, folder: Path, tag: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        terms = sorted(self.postings)
        lens = np.array([len(self.postings[t][0]) for t in terms], dtype=np.int64)
        rows = np.concatenate([self.postings[t][0] for t in terms]) if terms else np.zeros(0, np.int32)
        tfs = np.concatenate([self.postings[t][1] for t in terms]) if terms else np.zeros(0, np.float32)
        tmp = folder / f".bm25-{tag}.tmp"
        tmp.mkdir(exist_ok=True)
        np.save(tmp / "rows.npy", rows, allow_pickle=False)
        np.save(tmp / "tfs.npy", tfs, allow_pickle=False)
        np.save(tmp / "lens.npy", lens, allow_pickle=False)
        np.save(tmp / "doc_len.npy", self.doc_len, allow_pickle=False)
        (tmp / "meta.json").write_text(
            json.dumps({"tag": tag, "k1": self.k1, "b": self.b, "ids": self.ids, "terms": terms})
        )
        final = folder / "bm25"
        if final.exists():
            import shutil

            shutil.rmtree(final)
        tmp.rename(final)

    @classmethod
    def load(cls, folder: Path, tag: str) -> BM25Index | None:
        """Load a saved index if it was saved for this ``tag`` (the store's state), else None."""
        final = folder / "bm25"
        try:
            meta = json.loads((final / "meta.json").read_text())
            if meta.get("tag") != tag:
                return None
            rows = np.load(final / "rows.npy", allow_pickle=False)
            tfs = np.load(final / "tfs.npy", allow_pickle=False)
            lens = np.load(final / "lens.npy", allow_pickle=False)
            doc_len = np.load(final / "doc_len.npy", allow_pickle=False)
        except (OSError, ValueError, KeyError):
            return None
        index = cls(float(meta["k1"]), float(meta["b"]))
        index.ids = list(meta["ids"])
        index.doc_len = doc_len
        bounds = np.concatenate([[0], np.cumsum(lens)])
        index.postings = {
            t: (rows[bounds[i] : bounds[i + 1]], tfs[bounds[i] : bounds[i + 1]])
            for i, t in enumerate(meta["terms"])
        }
        return index
