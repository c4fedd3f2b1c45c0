"""After a failed write the index is equal to before or after, and the next plain `rag ingest`
repairs it: kill -9 during a delete, a full disk (a small tmpfs), a read-only folder, vectors
that cannot be read. Real `rag` processes, real MiniLM, real embedded Chroma."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, index_state, run_rag

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    """150 synthetic articles and a clean index of them."""
    from bench.synth import write_corpus

    root = tmp_path_factory.mktemp("repair")
    corpus = write_corpus(root / "corpus", 150, seed=7)
    r = run_rag("ingest", str(corpus), "--quiet", env={"RAG_DATA_DIR": str(root / "clean")})
    assert r.returncode == 0, r.stderr
    return corpus, root / "clean"


@contextlib.contextmanager
def tmpfs(path: Path, size: str, read_only: bool = False):
    path.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if read_only else "")
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True, text=True
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {r.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_full_disk_is_named_then_a_plain_ingest_ends_equal_to_a_clean_one(synth, tmp_path):
    corpus, clean = synth
    half = sum(f.stat().st_size for f in clean.rglob("*") if f.is_file()) // 2 // 2**20
    with tmpfs(tmp_path / "small", f"{max(1, half)}m") as mnt:  # half what the clean index needs
        data = mnt / "data"
        env = {"RAG_DATA_DIR": str(data)}
        r = run_rag("ingest", str(corpus), "--quiet", env=env)
        assert r.returncode == 1
        assert f"the disk holding {data} is full: free space, then run `rag ingest` again" in r.stderr
        assert "Traceback" not in r.stderr and "another process" not in r.stderr
        st = run_rag("status", env=env)  # still full: says so, or that the index needs repair
        assert "Traceback" not in st.stderr
        assert st.returncode == 0 or "is full" in st.stderr or "run `rag ingest` to repair it" in st.stderr
        subprocess.run(["mount", "-o", "remount,size=300m", str(mnt)], check=True)  # space freed
        r = run_rag("ingest", str(corpus), "--quiet", env=env)
        assert r.returncode == 0, r.stderr
        assert index_state(data) == index_state(clean)
        st = run_rag("status", "--json", env=env)
        assert st.returncode == 0 and '"healthy": true' in st.stdout


def test_read_only_folder_is_named(synth, tmp_path):
    corpus, clean = synth
    with tmpfs(tmp_path / "ro", "1m", read_only=True) as mnt:
        r = run_rag("ingest", str(corpus), env={"RAG_DATA_DIR": str(mnt / "data")})
        assert r.returncode == 1 and f"the index folder {mnt / 'data'} is read-only" in r.stderr
        assert "another process" not in r.stderr
    with tmpfs(tmp_path / "was-rw", "60m") as mnt:
        shutil.copytree(clean, mnt / "data")
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        r = run_rag("delete", "syn_00001", env={"RAG_DATA_DIR": str(mnt / "data")})
        assert r.returncode == 1 and f"the index folder {mnt / 'data'} is read-only" in r.stderr


def test_kill_9_during_a_delete_leaves_before_or_after(synth, tmp_path):
    corpus, clean = synth
    doomed = [f"syn_{i:05d}" for i in range(0, 150, 2)]
    before = index_state(clean)
    done = tmp_path / "done"
    shutil.copytree(clean, done)
    proc, took_lock = _delete(done, doomed)
    assert proc.wait(timeout=300) == 0
    span = time.monotonic() - took_lock  # how long the delete holds the lock (and exits)
    after = index_state(done)
    assert after != before
    one = tmp_path / "one"  # a folder with one unchanged article: a plain ingest that adds nothing
    one.mkdir()
    shutil.copy(corpus / "syn_00001.txt", one)
    outcomes = []
    strays = []
    for fraction in (0.2, 0.45, 0.7, 0.9):
        data = tmp_path / f"killed-{fraction}"
        shutil.copytree(clean, data)
        proc, took_lock = _delete(data, doomed)
        time.sleep(max(0.0, took_lock + fraction * span - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        strays.append(stray_vectors(data))
        r = run_rag("ingest", str(one), "--quiet", env={"RAG_DATA_DIR": str(data)})
        assert r.returncode == 0, r.stderr
        assert stray_vectors(data) == 0
        state = index_state(data)
        assert state in (before, after), "the index is between before and after the delete"
        outcomes.append(state == after)
    print(f"delete held the lock {span:.2f} s; done at the kill: {outcomes}; stray vectors: {strays}")


def _delete(data: Path, ids: list[str]) -> tuple[subprocess.Popen, float]:
    """Start `rag delete ids` on ``data``; returns it and when it took the writer lock."""
    from rag.index.lock import WriterLock

    proc = subprocess.Popen(
        [sys.executable, "-m", "rag", "delete", *ids],
        cwd=ROOT,
        env={**os.environ, "RAG_DATA_DIR": str(data)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    lock, deadline = WriterLock(data), time.monotonic() + 120
    while lock.holder() is None and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    return proc, time.monotonic()


def stray_vectors(data: Path) -> int:
    """Derived rows beyond the committed articles' (what an interrupted write leaves): passage
    vectors plus lexical sentences, against the archive's counts."""
    from rag.config import load_settings
    from rag.index.client import forget_embedded
    from rag.index.embed import embedder_name
    from rag.index.store import ArchiveStore

    forget_embedded(data)
    store = ArchiveStore(data, embedder_name=embedder_name(load_settings().embedder))
    _, chunks, passages = store.archive.counts()
    strays = store.vectors.count() - passages + store.lexical.num_docs() - chunks
    forget_embedded(data)  # the next reader in this process opens the folder afresh
    return strays
