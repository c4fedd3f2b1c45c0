"""The int8 ONNX export of the bundled MiniLM: built locally, agrees with the torch model."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SEEDS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def seed_chunks() -> list[str]:
    from rag.index.loader import load_file
    from rag.text import chunk_article

    return [c.text for p in sorted(SEEDS.glob("*.txt")) for c in chunk_article(load_file(p))]


def test_int8_vectors_agree_with_torch(minilm, seed_chunks):
    from rag.index.embed import MiniLMEmbedder

    torch_vecs = MiniLMEmbedder().embed_documents(seed_chunks)
    int8_vecs = minilm.embed_documents(seed_chunks)
    assert int8_vecs.shape == torch_vecs.shape == (len(seed_chunks), 384)
    assert np.allclose(np.linalg.norm(int8_vecs, axis=1), 1.0, atol=1e-4)
    cos = (int8_vecs * torch_vecs).sum(axis=1)
    assert cos.min() > 0.99, f"int8 drifted from the model: min cosine {cos.min():.3f}"
    # what retrieval depends on: each question finds the same nearest chunk either way
    questions = ["What did Trump rule out on Aug. 18?", "Who hosted the talks?", "What did Macron say?"]
    q_torch = np.stack([MiniLMEmbedder().embed_query(q) for q in questions])
    q_int8 = np.stack([minilm.embed_query(q) for q in questions])
    assert ((q_int8 @ int8_vecs.T).argmax(1) == (q_torch @ torch_vecs.T).argmax(1)).all()


def test_same_text_same_vector_whatever_its_neighbours(minilm, seed_chunks):
    """Activations are scaled per token, so batching never changes a vector beyond float
    rounding: order, batch company, batch size and worker count leave it alone, and a query
    embeds as the same sentence did at ingest. (Per-tensor int8 moves them by ~0.02.)"""
    from rag.index.embed import OnnxMiniLMEmbedder

    texts = [*seed_chunks[:40], "Short.", "A much longer sentence " * 12]
    together = minilm.embed_documents(texts)
    alone = np.stack([minilm.embed_query(t) for t in texts])
    tiny_batches = OnnxMiniLMEmbedder(minilm.model_dir, workers=1, batch_size=3).embed_documents(texts[::-1])
    for other in (alone, tiny_batches[::-1]):
        assert np.abs(together - other).max() < 1e-5
    assert minilm.embed_documents([]).shape == (0, 384)


def test_length_batches_group_similar_lengths_within_limits():
    from rag.index.embed import length_batches

    lengths = [30, 5, 31, 6, 200, 7, 5]
    batches = length_batches(lengths, max_items=2, max_tokens=100)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert batches == [[1, 6], [3, 5], [0, 2], [4]]
    for b in batches:
        assert len(b) <= 2 and (len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 100)
    assert length_batches([], 4, 100) == []
    assert length_batches([500], 4, 100) == [[0]]  # one over-long text still runs, alone


def test_per_token_quantization_keeps_rows_independent():
    """The graph rewrite on a tiny MatMul: per-row results, and close to float arithmetic."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from rag.index.onnx_model import quantize_per_token

    rng = np.random.default_rng(0)
    W = rng.normal(size=(16, 8)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "t", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "t", 8])],
        [numpy_helper.from_array(W, "W")],
    )
    model = quantize_per_token(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    )
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = rng.normal(size=(2, 3, 16)).astype(np.float32)
    x[1, 2] *= 1000  # one huge row must not coarsen the others' scale
    y = sess.run(None, {"x": x})[0]
    assert y.shape == (2, 3, 8)
    assert np.abs(y - x @ W).max() / np.abs(x @ W).max() < 0.02
    alone = sess.run(None, {"x": x[:1, :1]})[0]
    assert np.array_equal(alone[0, 0], y[0, 0])
    assert not any(n.op_type == "MatMul" for n in model.graph.node)
    with pytest.raises(ValueError, match="no MatMul"):
        quantize_per_token(
            helper.make_model(
                helper.make_graph([], "empty", [], []), opset_imports=[helper.make_opsetid("", 17)]
            )
        )


def test_matmuls_reading_one_tensor_share_its_quantization():
    """Q, K and V read the same tensor: it is quantized once, and each product is what its
    MatMul alone gives (bit for bit), so sharing changes no vector."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from rag.index.onnx_model import quantize_per_token

    rng = np.random.default_rng(1)
    Ws = [rng.normal(size=(16, 8)).astype(np.float32) for _ in range(3)]

    def model(names: list[str]):
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["x", f"W{n}"], [f"y{n}"]) for n in names],
            "qkv",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "t", 16])],
            [helper.make_tensor_value_info(f"y{n}", TensorProto.FLOAT, ["b", "t", 8]) for n in names],
            [numpy_helper.from_array(Ws[int(n)], f"W{n}") for n in names],
        )
        m = quantize_per_token(
            helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
        )
        return m, ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])

    shared, sess = model(["0", "1", "2"])
    assert sum(n.op_type == "QuantizeLinear" for n in shared.graph.node) == 1
    assert sum(n.op_type == "MatMulIntegerToFloat" for n in shared.graph.node) == 3
    x = rng.normal(size=(2, 5, 16)).astype(np.float32)
    together = sess.run(None, {"x": x})
    for n in range(3):
        _, alone = model([str(n)])
        assert np.array_equal(together[n], alone.run(None, {"x": x})[0])


def test_build_is_idempotent_and_keyed_by_the_weights(tmp_path):
    from rag.index.onnx_model import INFO_FILE, ensure_int8_model, int8_model_path

    path = ensure_int8_model(tmp_path / "models")
    assert path == int8_model_path(tmp_path / "models")
    assert path.stat().st_size > 10_000_000 and (path.parent / INFO_FILE).exists()
    mtime = path.stat().st_mtime_ns
    assert ensure_int8_model(tmp_path / "models") == path
    assert path.stat().st_mtime_ns == mtime, "a second call must reuse the model, not rebuild it"
    assert not [p for p in (tmp_path / "models").iterdir() if p.name.startswith(".build-")]


def test_unknown_embedder_is_named():
    from rag.config import load_settings
    from rag.errors import ConfigError
    from rag.index.embed import make_embedder

    with pytest.raises(ConfigError, match=r"unknown embedder .bert..*onnx-int8, torch"):
        make_embedder("bert", None)
    with pytest.raises(ConfigError, match="RAG_EMBEDDER"):
        load_settings(embedder="bert")


def test_unwritable_model_dir_is_a_clear_error(tmp_path):
    from rag.errors import ConfigError
    from rag.index.onnx_model import ensure_int8_model

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match=r"cannot build the embedding model in .*RAG_MODEL_DIR"):
        ensure_int8_model(blocker / "models")


def test_child_process_embedder_gives_the_in_process_vectors(minilm, seed_chunks):
    """Ingest embeds in a child process on large runs: its vectors must be ours, bit for bit,
    batches come back in order, and closing leaves no process behind."""
    from rag.index.embed_child import ChildProcessEmbedder

    child = ChildProcessEmbedder(minilm.model_dir)
    try:
        first = child.submit(seed_chunks[:50])
        second = child.submit([*seed_chunks[50:], "Ünïcode “quotes” — and dashes."])
        got = np.concatenate([first.result(timeout=120), second.result(timeout=120)])
        proc = child._proc
    finally:
        child.close()
    want = minilm.embed_documents([*seed_chunks, "Ünïcode “quotes” — and dashes."])
    assert np.array_equal(got, want)
    assert proc.poll() is not None  # the child ended when its input closed
    child.close()  # closing twice is harmless


def test_child_process_failure_is_a_clear_error(tmp_path, seed_chunks):
    from rag.errors import ConfigError
    from rag.index.embed_child import ChildProcessEmbedder

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the model folder should be")
    child = ChildProcessEmbedder(blocker)
    try:
        with pytest.raises(ConfigError, match="embedding child process failed"):
            child.submit(seed_chunks[:3]).result(timeout=120)
    finally:
        child.close()
