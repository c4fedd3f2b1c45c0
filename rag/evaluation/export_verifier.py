"""The trained verifier as one int8 ONNX file: torch exports the model up to the chosen exit
layer, ``quantize_per_token`` (the embedder's recipe) makes every weight matrix int8 with
activations quantized per token, and ``quantize_embeddings`` stores the word-embedding table as
int8 rows, so the file stays under 25 MB. ``check_export`` measures how far it is from torch.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.verifier import pad_batch
from rag.evaluation.verifier_data import Pair, encode_pairs

EXITS = (2, 3, 4, 6)


def export(model: Any, layers: int, path: Path) -> None:
    """The model up to ``layers``, with that exit's head, as an int8 ONNX graph at ``path``."""

    import onnx
    import torch

    from rag.index.onnx_model import export_fp32, quantize_per_token

    if layers not in EXITS:
        raise SystemExit(f"--layers {layers}: the model has heads after layers {EXITS}")

    class Upto(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.m = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            bert = self.m.bert
            keep = bert.encoder.layer
            bert.encoder.layer = keep[:layers]
            try:
                h = bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            finally:
                bert.encoder.layer = keep
            return self.m.heads[str(layers)](h.last_hidden_state[:, 0])

    model.eval()
    ids = torch.tensor([[101, 7592, 102, 2088, 102], [101, 7592, 102, 102, 0]])
    fp32 = path.with_suffix(".fp32.onnx")
    export_fp32(Upto(), ids, fp32, "logit")
    graph = quantize_embeddings(quantize_per_token(onnx.load(str(fp32))))
    tmp = path.with_suffix(".tmp")
    onnx.save(graph, str(tmp))
    os.replace(tmp, path)
    fp32.unlink()


def quantize_embeddings(model: Any) -> Any:
    """Store each embedding table read by ``Gather`` of over 100k values as int8 with one scale
    per row: ``Gather(table)`` becomes ``Gather(int8 table) * Gather(row scales)``. Exact for
    every token to half a quantization step of its own row."""
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    nodes, done = [], set()
    for node in graph.node:
        t = inits.get(node.input[0]) if node.op_type == "Gather" else None
        if t is None or len(t.dims) != 2 or t.dims[0] * t.dims[1] < 100_000:
            nodes.append(node)
            continue
        name = t.name
        if name not in done:
            w = numpy_helper.to_array(t).astype(np.float32)
            s = (np.maximum(np.abs(w).max(axis=1), 1e-12) / 127.0).astype(np.float32)
            q = np.clip(np.round(w / s[:, None]), -127, 127).astype(np.int8)
            graph.initializer.extend(
                [numpy_helper.from_array(q, name + "_q8"), numpy_helper.from_array(s[:, None], name + "_s")]
            )
            done.add(name)
        out = node.output[0]
        nodes += [
            helper.make_node("Gather", [name + "_q8", node.input[1]], [out + "_q8"], axis=0),
            helper.make_node("Cast", [out + "_q8"], [out + "_f"], to=TensorProto.FLOAT),
            helper.make_node("Gather", [name + "_s", node.input[1]], [out + "_sc"], axis=0),
            helper.make_node("Mul", [out + "_f", out + "_sc"], [out]),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    kept = [t for t in graph.initializer if t.name not in done]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    return model


def check_export(model: Any, path: Path, pairs: list[Pair], layers: int) -> float:
    """Largest difference of P(answers) between the torch model's exit and the int8 file."""
    import onnxruntime as ort
    import torch

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = pad_batch(encode_pairs(pairs))
    got = 1 / (1 + np.exp(-sess.run(None, feed)[0].reshape(-1)))
    model.eval()
    with torch.inference_mode():
        ref = model(**{n: torch.from_numpy(a) for n, a in feed.items()}).numpy()[:, EXITS.index(layers)]
    return round(float(np.max(np.abs(got - 1 / (1 + np.exp(-ref))))), 5) if len(got) else 0.0
