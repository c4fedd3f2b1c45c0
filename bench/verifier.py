"""``python -m bench.verifier``: what the answer verifier adds to a question asked for the first time.

Indexes (or reuses) the synthetic corpus of ``--size`` articles, then asks ``--questions``
questions, each never asked before, on two pipelines over the same index in turn: one whose
answerer reads its first candidates with the verifier (the shipped model file), one without
(the same file with ``verify_top`` 0). Both start cold and each sees every question once, so
neither has a question's candidates cached. Reports p50/p95 of the answer call in wall-clock
and in thread CPU time (steadier on a shared machine), and the p50 of the per-question
difference, and writes ``bench/verifier.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

from rag.config import PROJECT_ROOT, load_settings, set_offline_env
from rag.evaluation.metrics import percentile


def _p(values: list[float], q: float) -> float:
    return round(percentile(values, q), 2)


def build(size: int, out: Path) -> Path:
    """The index folder of the synthetic corpus (ingested once, reused)."""
    from bench.run import corpus_for
    from rag.pipeline import build_pipeline

    data = out / f"data-verifier-{size}"
    pipe = build_pipeline(load_settings(data_dir=data))
    if pipe.counts()[0] < size:
        pipe.ingest([corpus_for(size, out)], progress=True, rebuild=True)
    return data


def measure(data: Path, questions: list[str]) -> dict[str, Any]:
    from rag.pipeline import build_pipeline

    with_v = build_pipeline(load_settings(data_dir=data))
    without = build_pipeline(load_settings(data_dir=data))
    plain = without.answerer
    model = getattr(plain, "model", None)
    if model is None or not model.verify_top:
        raise SystemExit("the shipped answer model reads no candidates with the verifier: nothing to measure")
    plain.model = dataclasses.replace(model, verify_top=0, rerank=None)  # type: ignore[attr-defined]
    for p in (with_v, without):
        p.warm_up()
    rows: dict[str, list[tuple[float, float]]] = {"with": [], "without": []}
    for q in questions:
        for name, pipe in (("with", with_v), ("without", without)):
            t, c = time.perf_counter(), time.thread_time()
            pipe.ask(q)
            rows[name].append(((time.perf_counter() - t) * 1e3, (time.thread_time() - c) * 1e3))
    diff_wall = [a[0] - b[0] for a, b in zip(rows["with"], rows["without"], strict=True)]
    diff_cpu = [a[1] - b[1] for a, b in zip(rows["with"], rows["without"], strict=True)]
    out: dict[str, Any] = {"questions": len(questions), "verify_top": model.verify_top}
    for name, r in rows.items():
        out[name] = {
            "wall_p50_ms": _p([w for w, _ in r], 50),
            "wall_p95_ms": _p([w for w, _ in r], 95),
            "cpu_p50_ms": _p([c for _, c in r], 50),
        }
    out["added_wall_p50_ms"] = _p(diff_wall, 50)
    out["added_cpu_p50_ms"] = _p(diff_cpu, 50)
    out["added_p50_of_answer"] = round(out["with"]["wall_p50_ms"] - out["without"]["wall_p50_ms"], 2)
    emb = with_v.embedder
    t = time.thread_time()
    for q in questions[:50]:
        emb.embed_query(q + " ?")
    out["query_embedding_cpu_ms"] = round((time.thread_time() - t) * 1e3 / min(50, len(questions)), 2)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.verifier", description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=1000, help="synthetic articles (3 = seeds/)")
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench")
    args = ap.parse_args(argv)
    set_offline_env()
    from bench.synth import questions

    data = build(args.size, args.out)
    qs = list(dict.fromkeys(questions(args.questions * 2)))[: args.questions]
    result = {"size": args.size, **measure(data, qs), "machine_note": "thread CPU time is steadier than wall"}
    (args.out / "verifier.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
