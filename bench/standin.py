"""Stand-in sentence vectors for the largest archive sizes (BENCH ONLY: never used by the product).

The product's embedder does about 110 sentences/s on this 2-core machine, so embedding the
2.75M sentences of 100,000 synthetic articles takes some 7 hours. What the figures at that size
are about (start-up, memory, first-time answer latency, re-ingest, the ingest rate once the
archive is large) depends on how many rows the archive, the lexical index and Chroma hold, not
on which vector each row holds. ``bench.archive --standin-until N`` therefore fills the articles
between the size below and ``N`` through the product's own ingest path (archive rows, lexical
index, passage vectors in Chroma) with ``StandInEmbedder`` vectors; the articles after ``N`` are
then ingested by ``rag ingest`` with the real embedder, and that run's rate is the one reported.
The results record how many articles hold stand-in vectors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.protocols import Embedder

WORD = re.compile(r"\w+")


class StandInEmbedder:
    """BENCH-ONLY stand-in: a sentence's vector is the normalised sum of the real embedder's
    vectors of its words (each distinct word embedded once, then cached). Semantically shaped
    (sentences sharing words are near), 384-dimensional and normalised like the real vectors,
    and some 50x cheaper. It records the real embedder's name on purpose, so that ``rag serve``
    (which embeds questions with the real embedder) opens the benchmark's archive."""

    def __init__(self, real: Embedder) -> None:
        self.real = real
        self.name, self.dim = real.name, real.dim
        self._words: dict[str, np.ndarray] = {}

    def _vectors(self, words: Sequence[str]) -> list[np.ndarray]:
        new = sorted({w for w in words if w not in self._words})
        if new:
            for w, v in zip(new, self.real.embed_documents(new), strict=True):
                self._words[w] = np.asarray(v, dtype=np.float32)
        return [self._words[w] for w in words]

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        tokens = [WORD.findall(t.lower()) or ["empty"] for t in texts]
        self._vectors([w for ws in tokens for w in ws])  # every new word in one batch
        out = np.stack([np.sum(self._vectors(ws), axis=0) for ws in tokens]).astype(np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.real.embed_query(text)


def fill(files: Sequence[Path], data: Path) -> int:
    """Ingest ``files`` into the archive at ``data`` with stand-in vectors, through
    the product's pipeline (batched, committed, resumable: a rerun skips what is committed).
    Returns how many articles were added."""
    from rag.config import load_settings
    from rag.index.embed import make_embedder
    from rag.pipeline import build_pipeline

    s = load_settings(data_dir=data)
    pipe = build_pipeline(s, embedder=StandInEmbedder(make_embedder(s.embedder, s.model_dir)))
    report = pipe.ingest(list(files), progress=True)
    return len(report.added)
