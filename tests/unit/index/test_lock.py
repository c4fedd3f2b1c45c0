"""The writer lock: a real fcntl lock, held by a real second process where it matters."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from rag.errors import IndexBusyError
from rag.index.lock import LOCK_NAME, WriterLock, describe_command

HOLD = """
import sys, time
from pathlib import Path
from rag.index.lock import WriterLock
sys.argv = ["/x/rag/__main__.py", "ingest", "big-folder"]
with WriterLock(Path({d!r})).hold():
    print("held", flush=True)
    time.sleep(60)
"""


def _holder_process(data_dir):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD.format(d=str(data_dir))],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_process_is_refused_naming_the_holder_until_it_dies(tmp_path):
    proc = _holder_process(tmp_path)
    try:
        lock = WriterLock(tmp_path)
        info = lock.holder()
        assert info is not None and info["pid"] == proc.pid and info["command"] == "rag ingest big-folder"
        t0 = time.monotonic()
        with pytest.raises(IndexBusyError) as e, lock.hold(wait=0.3):
            pass
        assert time.monotonic() - t0 >= 0.3
        msg = str(e.value)
        assert f"pid {proc.pid}, `rag ingest big-folder`, since 20" in msg
        assert str(tmp_path) in msg and "one writer at a time" in msg
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert lock.holder() is None  # the OS released it with the process
    with lock.hold():
        info = json.loads((tmp_path / LOCK_NAME).read_text())
        assert info["pid"] == os.getpid()


def test_threads_of_one_process_take_turns(tmp_path):
    lock = WriterLock(tmp_path)
    inside, overlaps = [], []

    def write():
        with lock.hold():
            inside.append(1)
            overlaps.append(len(inside))
            time.sleep(0.05)
            inside.pop()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert overlaps == [1, 1, 1, 1]


def test_describe_command():
    assert describe_command(["/v/lib/rag/serve/cli.py", "ingest", "seeds"]) == "rag ingest seeds"
    assert describe_command(["/usr/bin/uvicorn", "app"]) == "uvicorn app"
