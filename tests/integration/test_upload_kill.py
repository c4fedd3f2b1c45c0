"""kill -9 of a real `rag serve` while it writes a POST /v1/articles: the committed articles are
the ones before the request or all of them after it, never some (an API request is one commit:
every chunk row first, then every article row in one call); every committed article is whole;
the server restarts on the folder and answers; the next plain `rag ingest` removes the orphan
vectors. Real `rag` processes, real MiniLM, real embedded Chroma, loopback only."""

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from rag.text import chunk_article
from tests.conftest import ROOT, index_state, run_rag
from tests.integration.test_repair import stray_vectors
from tests.servers import free_port, stop, wait_http

pytestmark = pytest.mark.integration

N_UPLOAD = 80  # ~2,100 chunks: more than one ingest batch (2,048), so per-batch commits would show


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """An index of 5 synthetic articles, and the JSON body of 80 new ones."""
    from bench.synth import article, write_corpus

    root = tmp_path_factory.mktemp("upload-kill")
    corpus = write_corpus(root / "corpus", 5, seed=3)
    r = run_rag("ingest", str(corpus), "--quiet", env={"RAG_DATA_DIR": str(root / "seed")})
    assert r.returncode == 0, r.stderr
    rng = random.Random(17)
    items = []
    for i in range(N_UPLOAD):
        day, body = article(rng)
        items.append({"id": f"up_{i:03d}", "date": day.isoformat(), "text": body})
    return corpus, root / "seed", {"articles": items}


def _serve(data: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag", "serve", "--no-ui", "--port", str(port)],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "RAG_CHROMA_URL"}, "RAG_DATA_DIR": str(data)},
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/healthz", 300, proc)
    return proc, url


def _post_and_wait_for_the_lock(url: str, data: Path, body: dict) -> tuple[object, float]:
    """POST ``body`` in a thread; returns a handle to join and when the server took the writer lock."""
    import threading

    from rag.index.lock import WriterLock

    out: dict[str, object] = {}

    def post() -> None:
        with contextlib.suppress(httpx.HTTPError), httpx.Client(base_url=url, timeout=600) as c:
            out["status"] = c.post("/v1/articles", json=body).status_code

    t = threading.Thread(target=post, daemon=True)
    t.start()
    lock, deadline = WriterLock(data), time.monotonic() + 120
    while lock.holder() is None and t.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert lock.holder() is not None or "status" in out, "the server never started the write"
    return (t, out), time.monotonic()


def _bytes(data: Path) -> int:
    """Size of Chroma's database file: it grows when a write is committed (not while embedding,
    nor while a transaction fills the journal)."""
    with contextlib.suppress(OSError):
        return (data / "chroma.sqlite3").stat().st_size
    return 0


def _wait_for_the_lock_to_go(data: Path, until: float) -> None:
    from rag.index.lock import WriterLock

    lock = WriterLock(data)
    while lock.holder() is not None and time.monotonic() < until:
        time.sleep(0.002)


def _committed(data: Path) -> set[str]:
    """From a fresh client: the committed article ids."""
    from rag.config import load_settings
    from rag.index.client import forget_embedded
    from rag.index.embed import embedder_name
    from rag.index.store import ArchiveStore

    forget_embedded(data)
    ids = set(ArchiveStore(data, embedder_name=embedder_name(load_settings().embedder)).digests())
    forget_embedded(data)
    return ids


def test_kill_9_during_an_upload_leaves_before_or_after(seeded, tmp_path):
    corpus, seed, body = seeded
    uploaded = {a["id"] for a in body["articles"]}
    before_ids = _committed(seed)
    before = index_state(seed)
    log = tmp_path / "serve.log"

    done = tmp_path / "done"  # the whole POST: what "after" is, and how long the write takes
    shutil.copytree(seed, done)
    server, url = _serve(done, log)
    try:
        (t, out), took_lock = _post_and_wait_for_the_lock(url, done, body)
        t.join(timeout=600)
        span = time.monotonic() - took_lock
        assert out.get("status") == 200, out
    finally:
        stop(server)
    after_ids = _committed(done)
    assert after_ids == before_ids | uploaded
    after = index_state(done)

    one = tmp_path / "one"  # one unchanged article: a plain ingest that adds nothing
    one.mkdir()
    shutil.copy(corpus / "syn_00001.txt", one)
    outcomes = []
    # while embedding (half the write's time), once rows reach the disk and at least 95% of the
    # write's time is gone, and as soon as the write lets the lock go
    for moment in ("embedding", "writing", "committed"):
        data = tmp_path / f"killed-{moment}"
        shutil.copytree(seed, data)
        server, url = _serve(data, log)
        (t, out), took_lock = _post_and_wait_for_the_lock(url, data, body)
        size = _bytes(data)
        if moment == "embedding":
            time.sleep(max(0.0, took_lock + 0.5 * span - time.monotonic()))
        elif moment == "writing":
            until = took_lock + 3 * span + 60
            while _bytes(data) < size + 500_000 and time.monotonic() < until:  # ~1/6 of the vectors
                time.sleep(0.002)
            time.sleep(max(0.0, took_lock + 0.95 * span - time.monotonic()))  # later chunk pages
        else:
            _wait_for_the_lock_to_go(data, took_lock + 3 * span + 60)
        at = (time.monotonic() - took_lock) / span
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        t.join(timeout=30)  # type: ignore[attr-defined]
        ids = _committed(data)
        assert ids in (before_ids, after_ids), f"{len(ids - before_ids)} of {N_UPLOAD} uploaded committed"
        strays = stray_vectors(data)  # sentences and passages of uncommitted versions
        assert strays >= 0, "a committed article is missing derived rows"

        server, url = _serve(data, log)  # restarts on the killed folder and answers from it
        try:
            with httpx.Client(base_url=url, timeout=120) as c:
                listed = c.get("/v1/articles")
                assert listed.status_code == 200
                assert {a["article_id"] for a in listed.json()} == ids
                assert c.get("/healthz").status_code == 200
        finally:
            stop(server)

        r = run_rag("ingest", str(one), "--quiet", env={"RAG_DATA_DIR": str(data)})
        assert r.returncode == 0, r.stderr
        assert stray_vectors(data) == 0
        assert index_state(data) == (after if ids == after_ids else before)
        st = run_rag("status", "--json", env={"RAG_DATA_DIR": str(data)})
        assert st.returncode == 0 and '"healthy": true' in st.stdout, st.stdout + st.stderr
        outcomes.append((moment, round(at, 2), ids == after_ids, strays))
    print(
        f"the upload held the lock {span:.2f} s; (moment, at what share of its time, done at the kill, stray vectors): {outcomes}"
    )


def _synth_articles(n: int) -> list:

    from bench.synth import article
    from rag.types import Article

    rng = random.Random(5)
    return [Article(f"s{i:03d}", *article(rng)) for i in range(n)]


def test_an_api_write_is_one_commit_a_folder_ingest_is_batched(fake_pipeline, tmp_path, monkeypatch):
    """FAKE hash embedder, real embedded Chroma: 80 articles (over one 2,048-chunk batch) sent as
    articles are committed by one write; the same articles as files are committed batch by batch."""
    calls: list[int] = []
    store = fake_pipeline.store
    real = store.write_articles
    monkeypatch.setattr(store, "write_articles", lambda items: (calls.append(len(items)), real(items))[1])
    arts = _synth_articles(N_UPLOAD)
    assert sum(len(chunk_article(a)) for a in arts) > 2048
    assert len(fake_pipeline.add_articles(arts).added) == N_UPLOAD
    assert calls == [N_UPLOAD]
    calls.clear()
    src = tmp_path / "src"
    src.mkdir()
    for a in arts:
        (src / f"f{a.article_id}.txt").write_text(
            f"date {a.published.isoformat()}\n\n{a.text}", encoding="utf-8"
        )
    assert len(fake_pipeline.ingest([src]).added) == N_UPLOAD
    assert len(calls) > 1 and sum(calls) == N_UPLOAD


def test_a_replaced_articles_old_rows_go_only_after_its_new_row_is_committed(fake_pipeline, monkeypatch):
    """The old version's sentences and passages are dropped only once the new version's archive
    row is committed, so a reader never finds the article without derived rows."""
    from rag.types import Article
    from tests.conftest import consistent_counts

    old, new = _synth_articles(2)
    new = Article(old.article_id, new.published, new.text)
    fake_pipeline.add_articles([old])
    store = fake_pipeline.store
    old_vid = store.rows_by_id([old.article_id])[old.article_id].vid
    committed_at_drop: list[str] = []
    real = store.drop_versions

    def drop_versions(vids):
        if vids:
            assert list(vids) == [old_vid]
            committed_at_drop.append(store.digests()[old.article_id])
        return real(vids)

    monkeypatch.setattr(store, "drop_versions", drop_versions)
    assert fake_pipeline.add_articles([new]).updated == (old.article_id,)
    assert committed_at_drop == [new.digest]
    assert consistent_counts(store) == (1, len(chunk_article(new)))
    assert all(vid != old_vid for _, vid in store.vectors.rows())
