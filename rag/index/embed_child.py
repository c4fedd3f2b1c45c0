"""Embedding in a child process, beside an ingest's Chroma writes (which hold the GIL).

``python -m rag.index.embed_child --child MODEL_DIR NICE`` is the child: it rebuilds the
int8 graph from the same model file, so its vectors are the in-process ones bit for bit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

import numpy as np

from rag.errors import ConfigError
from rag.index.embed import DIM, OnnxMiniLMEmbedder
from rag.protocols import BackgroundEmbedder, Embedder


class ChildProcessEmbedder:
    """Embeds documents in a child process at low CPU priority, so that an ingest can write one
    batch to Chroma while the next is being embedded.

    Chroma's writes hold the GIL, so a thread cannot embed beside them; a child process can.
    At ``nice`` 10 the child takes only the CPU the writes leave idle instead of competing
    with them (at equal priority the overlap measured no faster on 2 cores; niced, 10,000
    articles ingest in 248 s instead of 274). The child (``python -m rag.index.embed_child --child``, so the caller's
    ``__main__`` is never re-run, as multiprocessing's spawn would) builds the same
    ``OnnxMiniLMEmbedder`` from the same model file: its vectors are the in-process ones, bit
    for bit (tested). It starts on the first ``submit`` (about a second). Texts go to it as
    JSON on stdin, vectors come back as raw float32 on stdout, one batch at a time.
    """

    def __init__(self, model_dir: Any, nice: int = 10) -> None:
        self.model_dir = model_dir
        self.nice = nice
        self._proc: Any = None
        self._io: Any = None  # one thread talks to the child: batches go through in order

    def submit(self, texts: Sequence[str]) -> Future[np.ndarray]:
        """A future of the vectors of ``texts``."""
        if self._proc is None:
            import subprocess
            import sys
            from concurrent.futures import ThreadPoolExecutor

            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "rag.index.embed_child",
                    "--child",
                    str(self.model_dir),
                    str(self.nice),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            self._io = ThreadPoolExecutor(1, thread_name_prefix="embed-child")
        return self._io.submit(self._round_trip, list(texts))

    def _round_trip(self, texts: list[str]) -> np.ndarray:
        import json

        proc = self._proc
        try:
            data = json.dumps(texts).encode()
            proc.stdin.write(len(data).to_bytes(8, "little") + data)
            proc.stdin.flush()
            rows = _read_exact(proc.stdout, 8)
            vectors = _read_exact(proc.stdout, int.from_bytes(rows, "little") * DIM * 4)
        except (OSError, EOFError) as e:
            code = proc.poll()
            raise ConfigError(
                f"the embedding child process failed ({e}; exit code {code}): see its error above, "
                "or run `make setup` to rebuild the model"
            ) from None
        return np.frombuffer(vectors, dtype=np.float32).reshape(len(texts), DIM).copy()

    def close(self) -> None:
        if self._proc is None:
            return
        self._io.shutdown(wait=False, cancel_futures=True)
        try:
            self._proc.stdin.close()  # the child exits at end of input
            self._proc.wait(timeout=10)
        except Exception:
            self._proc.kill()
            self._proc.wait()
        self._proc = self._io = None


def _read_exact(stream: Any, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        part = stream.read(n - len(buf))
        if not part:
            raise EOFError(f"the child closed its output after {len(buf)} of {n} bytes")
        buf += part
    return bytes(buf)


def _child_main(model_dir: str, nice: int) -> None:
    """The child's loop: length-prefixed JSON texts in, raw float32 vectors out, until EOF."""
    import json
    import signal
    import sys
    from pathlib import Path

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it closes our input
    if nice:
        os.nice(nice)

    embedder = OnnxMiniLMEmbedder(Path(model_dir))
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = inp.read(8)
        if len(head) < 8:
            return
        texts = json.loads(_read_exact(inp, int.from_bytes(head, "little")))
        vectors = np.ascontiguousarray(embedder.embed_documents(texts), dtype=np.float32)
        out.write(len(texts).to_bytes(8, "little") + vectors.tobytes())
        out.flush()


def background_factory(embedder: Embedder) -> Callable[[], BackgroundEmbedder] | None:
    """How to embed beside an ingest's writes for this embedder, or None to embed in-process.

    The int8 graph can be rebuilt from its model file by a child process (vectors identical
    bit for bit); other embedders run in-process.
    """
    if isinstance(embedder, OnnxMiniLMEmbedder):
        model_dir = embedder.model_dir
        return lambda: ChildProcessEmbedder(model_dir)
    return None


if (
    __name__ == "__main__"
):  # the ChildProcessEmbedder's child: python -m rag.index.embed_child --child DIR NICE
    import sys

    if sys.argv[1:2] != ["--child"] or len(sys.argv) != 4:
        raise SystemExit(
            "usage: python -m rag.index.embed_child --child MODEL_DIR NICE (started by rag ingest)"
        )
    _child_main(sys.argv[2], int(sys.argv[3]))
