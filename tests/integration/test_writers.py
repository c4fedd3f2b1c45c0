"""Writers on one embedded index: one at a time, refused with the holder named (real `rag`
processes, real MiniLM, the real archive, tantivy and embedded Chroma)."""

import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, index_state, run_rag

pytestmark = pytest.mark.integration


def test_two_ingests_at_once_one_is_refused_naming_the_other(tmp_path):
    from bench.synth import write_corpus
    from rag.index.lock import WriterLock

    corpus = write_corpus(tmp_path / "corpus", 150, seed=11)
    data = tmp_path / "data"
    env = {**{k: v for k, v in os.environ.items() if k != "RAG_CHROMA_URL"}, "RAG_DATA_DIR": str(data)}
    first = subprocess.Popen(
        [sys.executable, "-m", "rag", "ingest", str(corpus), "--quiet"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lock = WriterLock(data)
        deadline = time.monotonic() + 120
        while lock.holder() is None:
            assert first.poll() is None and time.monotonic() < deadline, (
                "the first ingest never took the lock"
            )
            time.sleep(0.1)
        second = run_rag("ingest", str(corpus), env={"RAG_DATA_DIR": str(data)}, timeout=300)
        assert first.poll() is None, "the first ingest ended before the second tried: use a bigger corpus"
    finally:
        out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert "150 added" in out
    assert second.returncode == 1
    assert f"another process is writing to the index at {data} (pid {first.pid}, `rag ingest" in second.stderr
    assert "Traceback" not in second.stderr

    clean = tmp_path / "clean"
    r = run_rag("ingest", str(corpus), "--quiet", env={"RAG_DATA_DIR": str(clean)}, timeout=600)
    assert r.returncode == 0, r.stderr
    assert index_state(data) == index_state(clean)
    again = run_rag("ingest", str(corpus), "--json", env={"RAG_DATA_DIR": str(data)}, timeout=300)
    assert again.returncode == 0 and json.loads(again.stdout)["unchanged"] == 150
