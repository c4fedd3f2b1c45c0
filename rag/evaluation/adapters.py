"""Adapters that let llama-index (and ragas through it) use our bundled MiniLM embedder.

Used by the benchmark anchor (llama-index's default pipeline with the same model) and by
the LLM-judged ragas metrics. Imports llama-index lazily: nothing else needs it.
"""

from __future__ import annotations

from typing import Any

from rag.protocols import Embedder


def llama_index_embedding(embedder: Embedder, batch_size: int = 32) -> Any:
    """A llama-index ``BaseEmbedding`` backed by ``embedder`` (no download, no network)."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class _Embedding(BaseEmbedding):
        _inner: Any = PrivateAttr()

        def __init__(self, inner: Embedder, **kw: Any) -> None:
            super().__init__(model_name=inner.name, embed_batch_size=batch_size, **kw)
            self._inner = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return [float(x) for x in self._inner.embed_query(query)]

        def _get_text_embedding(self, text: str) -> list[float]:
            return [float(x) for x in self._inner.embed_documents([text])[0]]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [[float(x) for x in v] for v in self._inner.embed_documents(texts)]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return _Embedding(embedder)
