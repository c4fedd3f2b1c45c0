"""``rag bench``: latency, cold start, ingest throughput, memory and cost growth, each beside
LlamaIndex's default pipeline measured in the same run (so ratios hold on a noisy machine).

The anchor is what a user gets from LlamaIndex's defaults with the same bundled MiniLM model:
``VectorStoreIndex.from_documents`` over a Chroma collection (default SentenceSplitter
chunking, default top-k) and ``index.as_retriever().retrieve``. Benchmarks report; they never
fail a build (``make test`` runs only a seeds-sized smoke of this module).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rag.config import PROJECT_ROOT, load_settings
from rag.evaluation.metrics import percentile

QUESTIONS_PER_SIZE = 60
ROUNDS = 3  # each question is timed this many times; p50/p95 over all of them


def _p(values: list[float], q: float) -> float:
    return round(percentile(values, q), 2)


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def corpus_for(size: int, out: Path) -> Path:
    if size <= 3:
        return PROJECT_ROOT / "seeds"
    from bench.synth import write_corpus

    return write_corpus(out / "corpora" / f"syn-{size}", size)


def questions_for(size: int) -> list[str]:
    if size <= 3:
        from rag.evaluation.questions import load_questions

        return [q.question for q in load_questions(PROJECT_ROOT / "eval" / "questions.jsonl")][
            :QUESTIONS_PER_SIZE
        ]
    from bench.synth import questions

    return questions(QUESTIONS_PER_SIZE)


def time_calls(fn: Any, items: list[Any]) -> list[float]:
    out = []
    for it in items:
        t = time.perf_counter()
        fn(it)
        out.append((time.perf_counter() - t) * 1e3)
    return out


def bench_ours(size: int, out: Path, embedder: Any) -> dict[str, Any]:
    from rag.pipeline import build_pipeline

    folder = corpus_for(size, out)
    data = out / f"data-{size}"
    shutil.rmtree(data, ignore_errors=True)
    pipe = build_pipeline(load_settings(data_dir=data), embedder=embedder)
    pipe.store.counts()  # open the store first, as the anchor's Chroma collection is made before its clock
    t = time.perf_counter()
    report = pipe.ingest([folder], progress=size > 100)
    ingest_s = time.perf_counter() - t
    n_articles = len(report.added)
    t = time.perf_counter()
    again = pipe.ingest([folder])
    reingest_s = time.perf_counter() - t
    assert not again.added and not again.updated
    qs = questions_for(size)
    pipe.ask(qs[0])
    lat = time_calls(pipe.ask, qs * ROUNDS)
    # start-up: a fresh process view of the same index (BM25 loaded from disk, not rebuilt)
    fresh = build_pipeline(load_settings(data_dir=data), embedder=embedder)
    t = time.perf_counter()
    fresh.corpus.sync(force=True)
    startup_view_s = time.perf_counter() - t
    return {
        "articles": n_articles,
        "chunks": report.chunks_written,
        "ingest_s": round(ingest_s, 2),
        "ingest_articles_per_s": round(n_articles / ingest_s, 2),
        "ingest_chunks_per_s": round(report.chunks_written / ingest_s, 1),
        "reingest_unchanged_s": round(reingest_s, 3),
        "reingest_fraction": round(reingest_s / ingest_s, 4),
        "answer_p50_ms": _p(lat, 50),
        "answer_p95_ms": _p(lat, 95),
        "index_bytes": du(data),
        "corpus_view_load_s": round(startup_view_s, 3),
        "data_dir": str(data),
    }


def bench_anchor(size: int, out: Path, embedder: Any) -> dict[str, Any]:
    """LlamaIndex defaults with the same model: VectorStoreIndex over Chroma, default chunking and top-k."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Document, Settings, StorageContext, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from rag.evaluation.adapters import llama_index_embedding
    from rag.index.loader import discover, load_file

    Settings.llm = None  # type: ignore[assignment]  # retrieval only; no LLM is used or downloaded
    folder = corpus_for(size, out)
    docs = []
    for p in discover([folder]):
        if isinstance(p, Path):
            a = load_file(p)
            docs.append(
                Document(text=a.text, metadata={"article_id": a.article_id, "published": a.published_iso})
            )
    path = out / f"anchor-{size}"
    shutil.rmtree(path, ignore_errors=True)
    client = chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
    col = client.get_or_create_collection("anchor", embedding_function=None)
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=col))
    emb = llama_index_embedding(embedder)
    t = time.perf_counter()
    index = VectorStoreIndex.from_documents(docs, storage_context=storage, embed_model=emb)
    ingest_s = time.perf_counter() - t
    retriever = index.as_retriever()
    qs = questions_for(size)
    retriever.retrieve(qs[0])
    lat = time_calls(retriever.retrieve, qs * ROUNDS)
    return {
        "articles": len(docs),
        "chunks": col.count(),
        "ingest_s": round(ingest_s, 2),
        "ingest_articles_per_s": round(len(docs) / ingest_s, 2),
        "retrieve_p50_ms": _p(lat, 50),
        "retrieve_p95_ms": _p(lat, 95),
        "index_bytes": du(path),
    }


def bench_http(data: Path, size: int) -> dict[str, Any]:
    """`rag serve --no-ui` as a real process on loopback: start-up to /healthz, then answer latency."""
    import httpx

    from bench.netutil import free_port, stop, wait_http

    port = free_port()
    env = {**os.environ, "RAG_DATA_DIR": str(data)}
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.serve.cli", "serve", "--no-ui", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout=300, proc=proc)
        startup = time.perf_counter() - t
        qs = questions_for(size)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            c.post("/v1/answer", json={"question": qs[0]})
            lat = time_calls(
                lambda q: c.post("/v1/answer", json={"question": q}).raise_for_status(), qs * ROUNDS
            )
        rss = _vm_hwm(proc.pid)
    finally:
        stop(proc)
    return {
        "serve_to_healthz_s": round(startup, 2),
        "http_answer_p50_ms": _p(lat, 50),
        "http_answer_p95_ms": _p(lat, 95),
        "serve_peak_rss_mb": rss,
    }


def _vm_hwm(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def cold_start(data: Path) -> dict[str, Any]:
    env = {**os.environ, "RAG_DATA_DIR": str(data)}

    def run(args: list[str]) -> float:
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "rag.serve.cli", *args],
            env=env,
            capture_output=True,
            check=True,
            timeout=300,
        )
        return time.perf_counter() - t

    helps = [run(["--help"]) for _ in range(5)]
    return {
        "help_s": round(statistics.median(helps), 3),
        "ask_one_question_s": round(run(["ask", "What did Trump rule out on Aug. 18?"]), 2),
    }


def embed_floor(embedder: Any) -> dict[str, float]:
    embedder.embed_query("warm up")
    lat = time_calls(embedder.embed_query, ["What did Trump rule out on Aug. 18?"] * 50)
    return {"embed_query_p50_ms": _p(lat, 50)}


def run_bench(sizes: list[int], out: Path, http: bool = True, anchor: bool = True) -> dict[str, Any]:
    """Ours (the product's embedder, int8 ONNX by default) beside the anchor, which embeds with
    MiniLM on torch as LlamaIndex's HuggingFace embedding does by default."""
    from rag.index.embed import MiniLMEmbedder, make_embedder

    out.mkdir(parents=True, exist_ok=True)
    settings = load_settings()
    embedder = make_embedder(settings.embedder, settings.model_dir)
    torch_minilm = MiniLMEmbedder()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "embedder": embedder.name,
        "anchor_embedder": torch_minilm.name + " (torch)",
        "sizes": {},
    }
    # the floor the targets name: MiniLM on torch embedding one query; and our embedder's own
    results["embed_query_p50_ms"] = embed_floor(torch_minilm)["embed_query_p50_ms"]
    results["ours_embed_query_p50_ms"] = embed_floor(embedder)["embed_query_p50_ms"]
    for size in sizes:
        print(f"rag bench: {size} articles", file=sys.stderr, flush=True)
        row: dict[str, Any] = {"ours": bench_ours(size, out, embedder)}
        if anchor:
            row["anchor"] = bench_anchor(size, out, torch_minilm)
        if http:
            row["ours"].update(bench_http(Path(row["ours"]["data_dir"]), size))
        if anchor:
            row["ratios"] = ratios(row, results["embed_query_p50_ms"])
        results["sizes"][str(size)] = row
    seeds_data = Path(results["sizes"][str(sizes[0])]["ours"]["data_dir"])
    results["cold_start"] = cold_start(seeds_data)
    results["bench_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return results


def ratios(row: dict[str, Any], embed_ms: float) -> dict[str, float]:
    ours, anchor = row["ours"], row["anchor"]
    out = {
        "answer_p50_vs_anchor_retrieve_p50": round(ours["answer_p50_ms"] / anchor["retrieve_p50_ms"], 2),
        "answer_p50_vs_embed_floor": round(ours["answer_p50_ms"] / embed_ms, 2),
        "ingest_articles_per_s_vs_anchor": round(
            ours["ingest_articles_per_s"] / anchor["ingest_articles_per_s"], 2
        ),
    }
    if "http_answer_p50_ms" in ours:
        out["http_p50_vs_anchor_retrieve_p50"] = round(
            ours["http_answer_p50_ms"] / anchor["retrieve_p50_ms"], 2
        )
    return out


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Bare MiniLM query embedding p50 on torch: **{results['embed_query_p50_ms']} ms** (the floor the "
        f"targets name; the anchor embeds this way). Ours, `{results.get('embedder', '?')}`: "
        f"**{results.get('ours_embed_query_p50_ms', '–')} ms**.  ",
        f"Cold start: `rag --help` {results['cold_start']['help_s']} s; `rag ask` one question from a fresh process "
        f"{results['cold_start']['ask_one_question_s']} s.",
        "",
        "| articles | chunks | answer p50 / p95 ms | HTTP p50 / p95 ms | anchor retrieve p50 ms | ingest art/s (anchor) | re-ingest | serve→healthz s | serve RSS MB | index MB (anchor) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size, row in results["sizes"].items():
        o, a = row["ours"], row.get("anchor", {})
        lines.append(
            f"| {size} | {o['chunks']} | {o['answer_p50_ms']} / {o['answer_p95_ms']} | "
            f"{o.get('http_answer_p50_ms', '–')} / {o.get('http_answer_p95_ms', '–')} | {a.get('retrieve_p50_ms', '–')} | "
            f"{o['ingest_articles_per_s']} ({a.get('ingest_articles_per_s', '–')}) | {o['reingest_fraction'] * 100:.1f}% | "
            f"{o.get('serve_to_healthz_s', '–')} | {o.get('serve_peak_rss_mb', '–')} | "
            f"{o['index_bytes'] / 1e6:.1f} ({a.get('index_bytes', 0) / 1e6:.1f}) |"
        )
    lines += ["", "Ratios (ours / anchor, same run):", ""]
    for size, row in results["sizes"].items():
        if "ratios" in row:
            lines.append(f"- {size} articles: " + ", ".join(f"{k} = {v}" for k, v in row["ratios"].items()))
    lines += ["", "![cost growth](growth.svg)", ""]
    return "\n".join(lines)


def growth_svg(results: dict[str, Any]) -> str:
    """Answer p50 and ingest time against corpus size (log x)."""
    import math

    pts = [
        (int(s), r["ours"]["answer_p50_ms"], r.get("anchor", {}).get("retrieve_p50_ms"))
        for s, r in results["sizes"].items()
    ]
    if not pts:
        return "<svg xmlns='http://www.w3.org/2000/svg'/>"
    w, h, pad = 520, 260, 50
    xmax = math.log10(max(p[0] for p in pts) * 1.5)
    ymax = max(max(p[1], p[2] or 0) for p in pts) * 1.2

    def x(v: int) -> float:
        return pad + math.log10(max(v, 1)) / xmax * (w - 2 * pad)

    def y(v: float) -> float:
        return h - pad - v / ymax * (h - 2 * pad)

    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' font-family='sans-serif' font-size='11'>",
        f"<text x='{pad}' y='18' font-weight='bold'>answer p50 (ms) vs articles — ours (dark), LlamaIndex default retrieve (light)</text>",
        f"<line x1='{pad}' y1='{h - pad}' x2='{w - pad}' y2='{h - pad}' stroke='#888'/>",
        f"<line x1='{pad}' y1='{pad}' x2='{pad}' y2='{h - pad}' stroke='#888'/>",
    ]
    for series, color in ((1, "#246"), (2, "#9bd")):
        coords = [(x(p[0]), y(p[series])) for p in pts if p[series] is not None]
        out.append(
            "<polyline fill='none' stroke='"
            + color
            + "' stroke-width='2' points='"
            + " ".join(f"{a:.1f},{b:.1f}" for a, b in coords)
            + "'/>"
        )
        for (a, b), p in zip(coords, pts, strict=False):
            out.append(
                f"<circle cx='{a:.1f}' cy='{b:.1f}' r='3' fill='{color}'/><text x='{a + 4:.1f}' y='{b - 4:.1f}'>{p[series]}</text>"
            )
    for p in pts:
        out.append(f"<text x='{x(p[0]) - 8:.1f}' y='{h - pad + 16}'>{p[0]}</text>")
    out.append("</svg>")
    return "\n".join(out)


def write(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(markdown(results))
    (out / "growth.svg").write_text(growth_svg(results))
