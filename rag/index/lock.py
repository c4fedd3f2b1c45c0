"""One writer at a time on an embedded index: an OS file lock in the index folder.

Embedded Chroma does not coordinate processes: two writers on one folder both "succeed" and
leave HNSW segments that cannot be read back. Every write (ingest, add, replace, delete) holds
``fcntl.flock`` on ``<data dir>/writer.lock``; a second writer is refused at once (or after
``wait`` seconds) with a message naming the holder (pid, command, since when), which the
holder writes into the lock file. The OS drops the lock when its process dies, even by
``kill -9``, so a crashed writer never blocks the next one. Threads of one process queue on
a ``threading.Lock`` first (a flock is per open file, so they would refuse each other).
Readers take no lock. A Chroma server coordinates its writers itself: no lock is used there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from rag.errors import IndexBusyError, StoreWriteError

LOCK_NAME = "writer.lock"


def describe_command(argv: list[str]) -> str:
    """How a person would type the running command: ``rag ingest seeds`` for ``python -m rag ...``."""
    head = Path(argv[0]).name if argv else "python"
    if head in ("__main__.py", "cli.py", "rag"):
        head = "rag"
    return " ".join([head, *argv[1:]])[:200]


class WriterLock:
    """``with lock.hold():`` around every write to the embedded index at ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_NAME
        self._threads = threading.Lock()

    def holder(self) -> dict[str, object] | None:
        """Who holds the lock (pid, command, since), as the holder recorded it; None if free."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        with os.fdopen(fd) as f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return _read_info(self.path)
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
            return None

    @contextlib.contextmanager
    def hold(self, wait: float = 0.0) -> Iterator[None]:
        """Hold the lock for the block; IndexBusyError naming the holder if another process
        keeps it for more than ``wait`` seconds."""
        if not self._threads.acquire(timeout=max(wait, 0.0) + 60.0):
            raise IndexBusyError(f"another write to the index at {self.data_dir} in this process is stuck")
        try:
            fd = self._open()
            try:
                self._lock(fd, wait)
                info = {
                    "pid": os.getpid(),
                    "command": describe_command(sys.argv),
                    "since": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
                }
                with contextlib.suppress(OSError):  # the lock holds without its label
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, json.dumps(info).encode(), 0)
                yield
            finally:
                os.close(fd)  # releases the flock
        finally:
            self._threads.release()

    def _open(self) -> int:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise StoreWriteError(
                    f"the index folder {self.data_dir} is read-only ({e.strerror}): nothing can be "
                    "written there; make it writable or point RAG_DATA_DIR at a writable folder"
                ) from e
            raise

    def _lock(self, fd: int, wait: float) -> None:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusyError(busy_message(self.data_dir, _read_info(self.path))) from None
                time.sleep(0.1)


def busy_message(data_dir: Path, info: dict[str, object] | None) -> str:
    who = (
        f"pid {info.get('pid')}, `{info.get('command')}`, since {info.get('since')}"
        if info
        else "a process that has not said who it is yet"
    )
    return (
        f"another process is writing to the index at {data_dir} ({who}): wait for it to finish, "
        "then run this again. An embedded index takes one writer at a time (a Chroma server, "
        "RAG_CHROMA_URL, takes several)"
    )


def _read_info(path: Path) -> dict[str, object] | None:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None
