"""Live updates on the embedded default: a real `rag serve` answers while other processes ingest
and delete in its index folder. Every response is 200, a new article is answered from within
5 s of its ingest, and a deleted one is never cited once its delete is seen."""

import threading
import time

import httpx
import pytest

from tests.conftest import ROOT, run_rag, write_article
from tests.servers import rag_serve_process, stop, wait_http

pytestmark = pytest.mark.integration

NEW_Q = "How many mobile bakeries did Luxembourg pledge?"
QUESTIONS = [
    {"question": "What did Trump rule out on Aug. 18?"},
    {"question": NEW_Q},
    {"question": NEW_Q, "published_from": "2025-09-01", "published_to": "2025-09-30"},  # Chroma's filter
    {"question": "How many countries are ready to send troops?", "published_from": "2025-09-01"},
]


class Asker(threading.Thread):
    """Asks the questions in turn until stopped (bounded: at most ``limit`` requests)."""

    def __init__(self, url: str, limit: int = 5000) -> None:
        super().__init__(daemon=True)
        self.url, self.limit = url, limit
        self.log: list[tuple[float, int, dict, set[str]]] = []  # (time, status, question, cited ids)
        self.halt = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=60) as c:
            for i in range(self.limit):
                if self.halt.is_set():
                    return
                q = QUESTIONS[i % len(QUESTIONS)]
                r = c.post(f"{self.url}/v1/answer", json=q)
                cited = (
                    {x["article_id"] for x in r.json().get("citations", [])}
                    if r.status_code == 200
                    else set()
                )
                self.log.append(
                    (time.monotonic(), r.status_code, q, cited if r.status_code == 200 else {r.text})
                )


def test_ingest_and_delete_from_other_processes_while_serving_embedded(tmp_path, seeds_dir):
    from bench.synth import write_corpus

    data = tmp_path / "data"
    env = {"RAG_DATA_DIR": str(data)}
    assert run_rag("ingest", str(seeds_dir), "--quiet", env=env).returncode == 0
    new = write_corpus(tmp_path / "new", 40, seed=3)  # makes the write last a while
    write_article(
        new,
        "zz_new.txt",
        "The Luxembourg delegation pledged 40 mobile bakeries to Ukraine on Sept. 6. "
        "Officials said the bakeries would arrive before winter.",
        "2025-09-06",
    )
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115
    url, server = rag_serve_process(env, log, ROOT)
    asker = Asker(url)
    try:
        wait_http(f"{url}/healthz", 180, server)
        asker.start()
        time.sleep(1.0)
        ingest = run_rag("ingest", str(new), "--quiet", env=env, timeout=600)
        assert ingest.returncode == 0, ingest.stderr
        ingested = time.monotonic()
        _wait_for(asker, lambda cited: "zz_new" in cited, after=ingested, within=5.0)
        assert httpx.get(f"{url}/healthz", timeout=30).json()["articles"] == 3 + 41

        deleted = run_rag("delete", "zz_new", env=env)
        assert deleted.returncode == 0, deleted.stderr
        gone_at = time.monotonic()
        seen_gone = _wait_for(
            asker, lambda cited: "zz_new" not in cited, after=gone_at, within=5.0, new_only=True
        )
        time.sleep(3.0)
    finally:
        asker.halt.set()
        asker.join(timeout=120)
        stop(server)
        log.close()
    statuses = [s for _, s, _, _ in asker.log]
    bad = [(s, q, c) for _, s, q, c in asker.log if s != 200]
    assert statuses and not bad, (bad[:3], (tmp_path / "serve.log").read_text()[-3000:])
    later = [c for t, _, q, c in asker.log if t > seen_gone and q["question"] == NEW_Q]
    assert later and all("zz_new" not in c for c in later), (
        "a deleted article was cited after its delete was seen"
    )
    assert len(asker.log) > 20


def _wait_for(asker: Asker, ok, after: float, within: float, new_only: bool = False) -> float:
    """When a response to the new article's question, sent after ``after``, first met ``ok``."""
    deadline = after + within
    seen = 0
    while time.monotonic() < deadline + 2:
        for t, status, q, cited in asker.log[seen:]:
            seen += 1
            if t > after and status == 200 and q["question"] == NEW_Q and ok(cited):
                assert t <= deadline, f"took {t - after:.1f} s"
                return t
        time.sleep(0.1)
    raise AssertionError(f"not seen within {within} s of the write")


def test_two_servers_on_one_chroma_server_see_each_others_writes_within_5_s_under_load(tmp_path, seeds_dir):
    """Server mode: two `rag serve` processes share one `chroma run` (and the archive folder).
    An article added through A is answered by B within 5 s, and once deleted through B it is no
    longer cited by A within 5 s, while both answer a steady load (every response 200)."""
    from tests.servers import chroma_server

    new_article = {
        "id": "zz_new",
        "date": "2025-09-06",
        "text": "The Luxembourg delegation pledged 40 mobile bakeries to Ukraine on Sept. 6. "
        "Officials said the bakeries would arrive before winter.",
    }
    with chroma_server(tmp_path / "chroma") as chroma_url:
        env = {"RAG_CHROMA_URL": chroma_url, "RAG_DATA_DIR": str(tmp_path / "archive")}
        assert run_rag("ingest", str(seeds_dir), "--quiet", env=env).returncode == 0
        log = open(tmp_path / "serve.log", "w")  # noqa: SIM115
        (url_a, a), (url_b, b) = rag_serve_process(env, log, ROOT), rag_serve_process(env, log, ROOT)
        askers = [Asker(url_a), Asker(url_b), Asker(url_a), Asker(url_b)]  # two clients on each
        try:
            wait_http(f"{url_a}/healthz", 180, a)
            wait_http(f"{url_b}/healthz", 180, b)
            for asker in askers:
                asker.start()
            time.sleep(1.0)
            r = httpx.post(f"{url_a}/v1/articles", json={"articles": [new_article]}, timeout=120)
            assert r.status_code == 200, r.text
            added = time.monotonic()
            _wait_for(askers[1], lambda cited: "zz_new" in cited, after=added, within=5.0)
            r = httpx.delete(f"{url_b}/v1/articles/zz_new", timeout=120)
            assert r.status_code == 200, r.text
            gone = time.monotonic()
            seen_gone = _wait_for(
                askers[0], lambda cited: "zz_new" not in cited, after=gone, within=5.0, new_only=True
            )
            time.sleep(3.0)
        finally:
            for asker in askers:
                asker.halt.set()
            for asker in askers:
                asker.join(timeout=120)
            stop(a)
            stop(b)
            log.close()
    entries = [e for asker in askers for e in asker.log]
    bad = [(s, q, c) for _, s, q, c in entries if s != 200]
    assert entries and not bad, (bad[:3], (tmp_path / "serve.log").read_text()[-3000:])
    later = [c for t, _, q, c in askers[0].log if t > seen_gone and q["question"] == NEW_Q]
    assert later and all("zz_new" not in c for c in later), (
        "a deleted article was cited after its delete was seen"
    )
