"""``make soak``: a bounded load on loopback against a real ``rag serve`` (not part of make test).

Starts ``rag serve --no-ui`` on a free port over the index in RAG_DATA_DIR (indexing seeds/
first if it is empty), runs N clients for a fixed time (each request loop is bounded in count
and time), and reports requests, errors, throughput and p50/p95 latency.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.netutil import free_port, stop, wait_http
from rag.config import PROJECT_ROOT
from rag.evaluation.metrics import percentile

QUESTIONS = [
    "What did Trump rule out on Aug. 18?",
    "How many countries are ready to send troops?",
    "What did Trump tell CBS News on Sept. 3?",
    "Which countries said they would not send troops into Ukraine?",
    "What did Angela Merkel say about the summit?",
    "When was the Paris summit due to start?",
]


def client(url: str, deadline: float, max_requests: int, k: int) -> tuple[list[float], int, list[str]]:
    import httpx

    lat: list[float] = []
    errors = 0
    samples: list[str] = []
    with httpx.Client(base_url=url, timeout=30) as c:
        for i in range(max_requests):
            if time.monotonic() >= deadline:
                break
            t = time.perf_counter()
            try:
                r = c.post("/v1/answer", json={"question": QUESTIONS[(k + i) % len(QUESTIONS)]})
                ok = r.status_code == 200
                if not ok and len(samples) < 3:
                    samples.append(f"{r.status_code}: {r.text[:120]}")
            except Exception as e:  # counted, never fatal to the run
                ok = False
                if len(samples) < 3:
                    samples.append(repr(e)[:120])
            lat.append((time.perf_counter() - t) * 1e3)
            errors += not ok
    return lat, errors, samples


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    ap.add_argument("--duration", type=float, default=120.0, help="seconds (default 120)")
    ap.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    ap.add_argument("--max-requests", type=int, default=20000, help="per client, a hard bound")
    ap.add_argument("--url", default=None, help="an already running server (default: start one)")
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench" / "soak.json")
    args = ap.parse_args(argv)
    proc = None
    url = args.url
    if url is None:
        subprocess.run([sys.executable, "-m", "rag.serve.cli", "ingest", "--quiet"], check=False)
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag.serve.cli", "serve", "--no-ui", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=os.environ.copy(),
        )
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/healthz", timeout=300, proc=proc)
    try:
        deadline = time.monotonic() + args.duration
        t0 = time.perf_counter()
        with cf.ThreadPoolExecutor(args.clients) as ex:
            parts = list(ex.map(lambda k: client(url, deadline, args.max_requests, k), range(args.clients)))
        wall = time.perf_counter() - t0
    finally:
        if proc is not None:
            stop(proc)
    lat = [x for p in parts for x in p[0]]
    report = {
        "clients": args.clients,
        "duration_s": round(wall, 1),
        "requests": len(lat),
        "errors": sum(p[1] for p in parts),
        "throughput_rps": round(len(lat) / wall, 1),
        "p50_ms": round(percentile(lat, 50), 1),
        "p95_ms": round(percentile(lat, 95), 1),
        "max_ms": round(max(lat, default=0.0), 1),
        "error_samples": [s for p in parts for s in p[2]][:5],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
