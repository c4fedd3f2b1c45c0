"""Real servers on loopback for integration tests: free ports, start, wait, stop by pid."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bench.netutil import free_port, stop, wait_http

__all__ = ["ThreadServer", "chroma_process", "chroma_server", "free_port", "stop", "wait_http"]


@contextlib.contextmanager
def chroma_server(path: Path, port: int | None = None) -> Iterator[str]:
    """A real `chroma run` on a loopback port (free, or the one given to restart it); yields its URL."""
    with chroma_process(path, port) as (url, _):
        yield url


@contextlib.contextmanager
def chroma_process(path: Path, port: int | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Like ``chroma_server``, also yielding the process (its own process group), e.g. to SIGSTOP it."""
    port = port or free_port()
    exe = Path(sys.executable).with_name("chroma")
    log = open(path.parent / f"chroma-{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/api/v2/heartbeat", timeout=60, proc=proc)
        yield url, proc
    finally:
        stop(proc)
        log.close()


class ThreadServer:
    """A real uvicorn server on a loopback port, in a thread of the test process (so the model
    loaded by the test session is reused). Stopped with ``should_exit``; bounded waits."""

    def __init__(self, app: object) -> None:
        import threading

        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        wait_http(f"{self.url}/healthz", timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def stream_chat(client, question: str) -> tuple[int, list[str]]:
    """POST a streaming /v1/chat/completions; returns (status, the non-empty SSE lines)."""
    with client.stream(
        "POST",
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": question}], "stream": True},
    ) as r:
        return r.status_code, [line for line in r.iter_lines() if line]


def rag_serve_process(env: dict[str, str], log: object, cwd: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """A real ``rag serve --no-ui`` on a free loopback port over the embedded index ``env`` names
    (``RAG_CHROMA_URL`` removed): its URL and process. The caller waits for it and stops it."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag", "serve", "--no-ui", "--port", str(port)],
        cwd=cwd,
        env={**{k: v for k, v in os.environ.items() if k != "RAG_CHROMA_URL"}, **env},
        stdout=log,  # type: ignore[arg-type]
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return f"http://127.0.0.1:{port}", proc
