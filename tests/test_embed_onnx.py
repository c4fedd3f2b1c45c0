"""The int8 ONNX export of the bundled MiniLM: built locally, agrees with the torch model."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SEEDS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def seed_chunks() -> list[str]:
    from rag.loader import load_file
    from rag.text import chunk_article

    return [c.text for p in sorted(SEEDS.glob("*.txt")) for c in chunk_article(load_file(p))]


def test_int8_vectors_agree_with_torch(minilm, seed_chunks):
    from rag.embed import MiniLMEmbedder

    torch_vecs = MiniLMEmbedder().embed_documents(seed_chunks)
    int8_vecs = minilm.embed_documents(seed_chunks)
    assert int8_vecs.shape == torch_vecs.shape == (len(seed_chunks), 384)
    assert np.allclose(np.linalg.norm(int8_vecs, axis=1), 1.0, atol=1e-4)
    cos = (int8_vecs * torch_vecs).sum(axis=1)
    assert cos.min() > 0.95, f"int8 drifted from the model: min cosine {cos.min():.3f}"
    # what retrieval depends on: each question finds the same nearest chunk either way
    questions = ["What did Trump rule out on Aug. 18?", "Who hosted the talks?", "What did Macron say?"]
    q_torch = np.stack([MiniLMEmbedder().embed_query(q) for q in questions])
    q_int8 = np.stack([minilm.embed_query(q) for q in questions])
    assert ((q_int8 @ int8_vecs.T).argmax(1) == (q_torch @ torch_vecs.T).argmax(1)).all()


def test_same_text_same_vector_whatever_its_neighbours(minilm, seed_chunks):
    """Int8 activations are scaled per run, so texts run alone: order, company and worker
    count never change a vector, and a query embeds exactly as the same sentence did."""
    from rag.embed import OnnxMiniLMEmbedder

    texts = seed_chunks[:40]
    together = minilm.embed_documents(texts)
    reversed_one_worker = OnnxMiniLMEmbedder(minilm.model_dir, workers=1).embed_documents(texts[::-1])[::-1]
    assert np.array_equal(together, reversed_one_worker)
    assert np.array_equal(minilm.embed_query(texts[7]), together[7])
    assert minilm.embed_documents([]).shape == (0, 384)


def test_build_is_idempotent_and_keyed_by_the_weights(tmp_path):
    from rag.onnx_model import INFO_FILE, ensure_int8_model, int8_model_path

    path = ensure_int8_model(tmp_path / "models")
    assert path == int8_model_path(tmp_path / "models")
    assert path.stat().st_size > 10_000_000 and (path.parent / INFO_FILE).exists()
    mtime = path.stat().st_mtime_ns
    assert ensure_int8_model(tmp_path / "models") == path
    assert path.stat().st_mtime_ns == mtime, "a second call must reuse the model, not rebuild it"
    assert not [p for p in (tmp_path / "models").iterdir() if p.name.startswith(".build-")]


def test_unknown_embedder_is_named():
    from rag.config import load_settings
    from rag.embed import make_embedder
    from rag.errors import ConfigError

    with pytest.raises(ConfigError, match=r"unknown embedder .bert..*onnx-int8, torch"):
        make_embedder("bert", None)
    with pytest.raises(ConfigError, match="RAG_EMBEDDER"):
        load_settings(embedder="bert")


def test_unwritable_model_dir_is_a_clear_error(tmp_path):
    from rag.errors import ConfigError
    from rag.onnx_model import ensure_int8_model

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match=r"cannot build the embedding model in .*RAG_MODEL_DIR"):
        ensure_int8_model(blocker / "models")
