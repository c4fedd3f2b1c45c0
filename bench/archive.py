"""``make bench-archive`` (``python -m bench.archive``): the archive at scale, as a user meets it.

Per corpus size (synthetic, ``bench.synth``, generated on demand and never committed):

- the embedder's own throughput (sentences/s, in-process, every core) in the same run, beside
  ingest throughput (``rag ingest`` as a real process).
  The ingest is resumable: committed batches stay, a rerun skips them (by digest), and the
  seconds of every run are added up in ``<work>/ingest-N.json`` (its progress: ``ingest-N.log``);
- re-ingest of the unchanged archive, and the index size on disk per part;
- ``rag serve`` (with the chat, and ``--no-ui``) as a real process: spawn to a healthy
  ``/healthz``; then 1,000 first-time questions over HTTP (never asked before), 200 repeated
  ones, and the server's RSS after them (VmRSS, peak VmHWM, anonymous and file-backed parts);
- in-process answer latency for first-time and repeated questions.

Results go to ``<out>/archive.json``, ``archive.md`` and ``archive-growth.svg``; a size already in
``archive.json`` is kept unless asked for again. Benchmarks report; they never fail a build.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.netutil import free_port, stop, wait_http
from bench.run import _p, du
from rag.config import PROJECT_ROOT, load_settings, set_offline_env

HTTP_QUESTIONS = 1000
REPEATED = 200
INPROCESS_QUESTIONS = 300
EMBED_SAMPLE = 4096


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] bench-archive: {msg}", file=sys.stderr, flush=True)


def first_time_questions(n: int, seed: int) -> list[str]:
    """``n`` distinct synthetic questions (a seed per use, so no two uses share a question)."""
    from bench.synth import questions

    out: dict[str, None] = {}
    k = 0
    while len(out) < n:
        out.update(dict.fromkeys(questions(n, seed=seed * 1000 + k)))
        k += 1
    return list(out)[:n]


def cpu_model() -> str:
    """The CPU's model and whether it has VNNI (the int8 embedder's speed turns on it)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    name = re.search(r"model name\s*:\s*(.+)", info)
    vnni = "avx512_vnni" in info or "avx_vnni" in info
    return f"{name[1].strip() if name else 'unknown'}, {'with' if vnni else 'no'} VNNI"


def corpus(size: int, work: Path) -> Path:
    from bench.synth import write_corpus

    return write_corpus(work / "corpora" / f"syn-{size}", size)


def embedder_rate(folder: Path) -> dict[str, float]:
    """Sentences per second of the product's embedder alone (in-process, every core), on a
    sample of the corpus's own sentences."""
    from rag.index.embed import make_embedder
    from rag.index.loader import load_file
    from rag.text import chunk_article

    s = load_settings()
    emb = make_embedder(s.embedder, s.model_dir)
    texts: list[str] = []
    for p in sorted(folder.glob("*.txt")):
        texts += [c.text for c in chunk_article(load_file(p))]
        if len(texts) >= EMBED_SAMPLE:
            break
    texts = texts[:EMBED_SAMPLE]
    emb.embed_documents(texts[:64])  # load the model first
    t = time.perf_counter()
    emb.embed_documents(texts)
    took = time.perf_counter() - t
    return {
        "embed_sentences": len(texts),
        "embed_s": round(took, 2),
        "embed_sentences_per_s": round(len(texts) / took, 1),
    }


def ingest(folder: Path, data: Path, work: Path, size: int, embedder: dict[str, Any]) -> dict[str, Any]:
    """``rag ingest`` until it has indexed everything; seconds of every run are added up (and the
    embedder's figures of the run that started it kept beside them)."""
    state_path = work / f"ingest-{size}.json"
    from rag.index.store import ArchiveStore

    if state_path.exists():
        state = json.loads(state_path.read_text())
    else:  # what was there before (a smaller corpus this one extends) is not this ingest's work
        state = {
            "runs": [],
            "base_chunks": ArchiveStore(data).counts()[1] if data.exists() else 0,
            "embedder": embedder,
        }
    env = {**os.environ, "RAG_DATA_DIR": str(data), "TQDM_MININTERVAL": "10"}  # progress every 10 s
    while not state.get("done"):
        t = time.perf_counter()
        with open(work / f"ingest-{size}.log", "a") as lg:
            r = subprocess.run(
                [sys.executable, "-m", "rag.serve.cli", "ingest", str(folder)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=lg,
                text=True,
                check=False,
            )
            lg.write(r.stdout)
        took = time.perf_counter() - t
        added = re.search(r"articles: (\d+) added", r.stdout)
        state["runs"].append(
            {"s": round(took, 1), "rc": r.returncode, "added": int(added[1]) if added else 0}
        )
        state["done"] = r.returncode == 0
        state_path.write_text(json.dumps(state, indent=1))
        if r.returncode != 0:
            raise RuntimeError(
                f"rag ingest failed ({r.returncode}); see {work}/ingest-{size}.log, then rerun"
            )
    return state


def reingest(folder: Path, data: Path) -> float:
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "rag.serve.cli", "ingest", str(folder), "--quiet"],
        env={**os.environ, "RAG_DATA_DIR": str(data)},
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t


def proc_memory(pid: int) -> dict[str, float]:
    """VmRSS, VmHWM (peak), RssAnon and RssFile of a process, in MB."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def serve(data: Path, ui: bool, questions: list[str] | None) -> dict[str, Any]:
    """Spawn `rag serve`, time it to a healthy /healthz; with questions, ask them over HTTP."""
    import httpx

    port = free_port()
    args = [sys.executable, "-m", "rag.serve.cli", "serve", "--port", str(port)] + ([] if ui else ["--no-ui"])
    t = time.perf_counter()
    proc = subprocess.Popen(
        args,
        env={**os.environ, "RAG_DATA_DIR": str(data)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    row: dict[str, Any] = {}
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout=600, proc=proc)
        row["spawn_to_healthz_s"] = round(time.perf_counter() - t, 2)
        row["rss_at_healthz"] = proc_memory(proc.pid)
        if ui:  # the chat is built after /healthz is healthy: time it until it serves its page
            wait_http(f"http://127.0.0.1:{port}/", timeout=600, proc=proc)
            row["spawn_to_chat_s"] = round(time.perf_counter() - t, 2)
        if questions:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as c:

                def ask(q: str) -> float:
                    t0 = time.perf_counter()
                    c.post("/v1/answer", json={"question": q}).raise_for_status()
                    return (time.perf_counter() - t0) * 1e3

                first = [ask(q) for q in questions]
                again = [ask(q) for q in random.Random(1).sample(questions, REPEATED)]
            row.update(
                http_first_p50_ms=_p(first, 50),
                http_first_p95_ms=_p(first, 95),
                http_repeat_p50_ms=_p(again, 50),
                http_repeat_p95_ms=_p(again, 95),
                questions=len(first) + len(again),
                rss_after_questions=proc_memory(proc.pid),
            )
    finally:
        stop(proc)
    return row


def in_process(data: Path, questions: list[str]) -> dict[str, Any]:
    from rag.pipeline import build_pipeline

    pipe = build_pipeline(load_settings(data_dir=data))
    pipe.warm_up()

    def ask(q: str) -> float:
        t = time.perf_counter()
        pipe.ask(q)
        return (time.perf_counter() - t) * 1e3

    first = [ask(q) for q in questions]
    again = [ask(q) for q in questions[:REPEATED]]
    return {
        "first_p50_ms": _p(first, 50),
        "first_p95_ms": _p(first, 95),
        "repeat_p50_ms": _p(again, 50),
        "repeat_p95_ms": _p(again, 95),
    }


def parts_on_disk(data: Path) -> dict[str, int]:
    archive = sum(p.stat().st_size for p in data.glob("archive.sqlite3*"))
    lexical = du(data / "lexical") if (data / "lexical").exists() else 0
    return {"archive_bytes": archive, "lexical_bytes": lexical, "chroma_bytes": du(data) - archive - lexical}


def bench_size(
    size: int,
    work: Path,
    out: Path,
    base_from: int | None,
    standin_until: int = 0,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    from rag.index.store import ArchiveStore

    folder = corpus(size, work)
    data = work / f"data-{size}"
    if base_from and not data.exists() and (work / f"data-{base_from}").exists():
        shutil.copytree(work / f"data-{base_from}", data)  # a larger corpus extends a smaller one
    row: dict[str, Any] = {"articles": size}
    state_path = work / f"ingest-{size}.json"
    measured = json.loads(state_path.read_text()) if state_path.exists() else {}
    earlier = {k: v for k, v in (previous or {}).items() if k.startswith("embed_")}
    if measured.get("done") and (measured.get("embedder") or earlier):
        # the ingest was measured in an earlier run: its embedder figures are the ones beside it
        row.update(measured.get("embedder") or earlier)
    else:
        log(f"{size}: embedder throughput")
        row.update(embedder_rate(folder))
    standin_path = work / f"standin-{size}.json"
    if standin_until and size > standin_until and not state_path.exists():
        from bench.standin import fill

        log(f"{size}: articles up to {standin_until} with stand-in vectors (bench.standin)")
        filled = json.loads(standin_path.read_text())["articles"] if standin_path.exists() else 0
        filled += fill(sorted(folder.glob("*.txt"))[:standin_until], data)
        standin_path.write_text(json.dumps({"articles": filled}))
    if standin_path.exists():
        row["standin_articles"] = json.loads(standin_path.read_text())["articles"]
    log(f"{size}: ingest into {data} (progress: {work}/ingest-{size}.log)")
    state = ingest(folder, data, work, size, {k: v for k, v in row.items() if k.startswith("embed_")})

    n_chunks = ArchiveStore(data).counts()[1]
    ingest_s = sum(r["s"] for r in state["runs"])
    new_chunks = n_chunks - state["base_chunks"]
    row.update(
        chunks=n_chunks,
        ingest_runs=len(state["runs"]),
        ingest_s=round(ingest_s, 1),
        ingested_chunks=new_chunks,
        ingest_sentences_per_s=round(new_chunks / ingest_s, 1),
    )
    row["ingest_vs_embedder"] = round(row["ingest_sentences_per_s"] / row["embed_sentences_per_s"], 3)
    log(f"{size}: re-ingest")
    row["reingest_s"] = round(reingest(folder, data), 1)
    # of a full ingest; when only the last articles were ingested here, of a full ingest at their rate
    row["reingest_fraction"] = round(row["reingest_s"] * row["ingest_sentences_per_s"] / n_chunks, 4)
    row["reingest_fraction_estimated"] = new_chunks != n_chunks
    if new_chunks != n_chunks:  # that ingest also read the unchanged files: a re-ingest's work
        net = new_chunks / max(ingest_s - row["reingest_s"], 1e-9)
        row["ingest_sentences_per_s_net"] = round(net, 1)
        row["ingest_vs_embedder_net"] = round(net / row["embed_sentences_per_s"], 3)
    row["index_bytes"] = du(data)
    row.update(parts_on_disk(data))
    log(f"{size}: serve --no-ui")
    row["serve_api"] = serve(data, ui=False, questions=None)
    log(f"{size}: serve with the chat, {HTTP_QUESTIONS} first-time questions")
    row["serve_chat"] = serve(data, ui=True, questions=first_time_questions(HTTP_QUESTIONS, seed=size))
    log(f"{size}: in-process")
    row["in_process"] = in_process(data, first_time_questions(INPROCESS_QUESTIONS, seed=size + 7))
    return row


def main(argv: list[str] | None = None) -> int:
    global HTTP_QUESTIONS, INPROCESS_QUESTIONS, REPEATED
    ap = argparse.ArgumentParser(prog="python -m bench.archive", description=__doc__)
    ap.add_argument("--sizes", default="1000,10000,11000", help="corpus sizes in articles")
    ap.add_argument("--work", type=Path, default=PROJECT_ROOT / "bench" / "out", help="corpora and indexes")
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench", help="results folder")
    ap.add_argument(
        "--standin-until",
        type=int,
        default=0,
        help="fill the articles below this index with stand-in vectors first (bench.standin; for 100k)",
    )
    ap.add_argument("--questions", type=int, default=HTTP_QUESTIONS, help="first-time questions over HTTP")
    args = ap.parse_args(argv)
    HTTP_QUESTIONS = args.questions
    INPROCESS_QUESTIONS = min(INPROCESS_QUESTIONS, args.questions)
    REPEATED = min(REPEATED, args.questions)
    set_offline_env()
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    args.work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "archive.json"
    results = json.loads(path.read_text()) if path.exists() else {"sizes": {}}
    results["machine"] = {"cpus": os.cpu_count(), "cpu": cpu_model(), "python": sys.version.split()[0]}
    done = sorted(int(s) for s in results["sizes"])
    for size in sizes:
        base = max((s for s in done if s < size), default=None)
        results["sizes"][str(size)] = bench_size(
            size, args.work, args.out, base, args.standin_until, results["sizes"].get(str(size))
        )
        done.append(size)
        path.write_text(json.dumps(results, indent=2) + "\n")
        write_reports(results, args.out)
    print(json.dumps(results, indent=2))
    return 0


def write_reports(results: dict[str, Any], out: Path) -> None:
    from bench.archive_report import growth_svg, markdown

    (out / "archive.md").write_text(markdown(results))
    (out / "archive-growth.svg").write_text(growth_svg(results))


if __name__ == "__main__":
    sys.exit(main())
