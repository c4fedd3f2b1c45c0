"""Adding, replacing and deleting articles through the HTTP API (issue 16), against a real
uvicorn server on 127.0.0.1 over a real embedded Chroma and the real MiniLM. Each module gets
its own index (seeds/ plus what the tests write), so the shared read-only one stays intact."""

import concurrent.futures as cf
import os
import threading
import time

import httpx
import pytest

from rag.config import load_settings
from rag.serve.api import create_app
from tests.servers import ThreadServer

pytestmark = pytest.mark.integration

BRIDGE = (
    "The Zorvan River bridge in Kestrel City will cost 48 million euros, Mayor Ilsa Brandt said on Friday. "
    "Work on the bridge is due to start in the spring."
)
BRIDGE_NEW = (
    "The Zorvan River bridge in Kestrel City will cost 95 million euros after a redesign, Mayor Ilsa Brandt "
    "said on Monday. Work is now due to start in the autumn."
)
ASK_BRIDGE = "How much will the Zorvan River bridge cost?"


@pytest.fixture(scope="module")
def pipe(tmp_path_factory, minilm, seeds_dir):
    from rag.pipeline import build_pipeline

    data = tmp_path_factory.mktemp("articles-api")
    p = build_pipeline(load_settings(data_dir=data), embedder=minilm)
    assert not p.ingest([seeds_dir]).failed
    return p


@pytest.fixture(scope="module")
def server(pipe):
    with ThreadServer(
        create_app(load_settings(data_dir=pipe.settings.data_dir), pipeline=pipe, with_ui=False)
    ) as s:
        yield s


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=120) as c:
        yield c


def _ask(client, question):
    r = client.post("/v1/answer", json={"question": question})
    assert r.status_code == 200, r.text
    return r.json()


def _state(client):
    """What a write could change: the listed articles (id, chunks) and the health counts."""
    arts = client.get("/v1/articles").json()
    health = client.get("/healthz").json()
    return sorted((a["article_id"], a["chunks"]) for a in arts), (health["articles"], health["chunks"])


def test_post_json_then_ask_is_answered_from_it_with_its_headline(client):
    assert _ask(client, ASK_BRIDGE)["abstained"] is True  # not there yet
    r = client.post(
        "/v1/articles",
        json={
            "articles": [
                {"id": "zorvan", "date": "2025-09-12", "text": BRIDGE, "headline": "Bridge costs soar"}
            ]
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["articles"] == [
        {
            "article_id": "zorvan",
            "published": "2025-09-12",
            "headline": "Bridge costs soar",
            "status": "added",
        }
    ]
    assert r.json()["chunks_written"] >= 2
    body = _ask(client, ASK_BRIDGE)  # at once: the write returned after the view refreshed
    assert body["abstained"] is False and "48 million" in body["answer"]
    first = body["citations"][0]
    assert first["article_id"] == "zorvan" and first["headline"] == "Bridge costs soar"
    text = client.get("/v1/articles/zorvan").json()["text"]
    assert text == "Bridge costs soar\n\n" + BRIDGE  # the headline is the text's first line
    assert text[first["start"] : first["end"]] == first["quote"]
    listed = {a["article_id"]: a for a in client.get("/v1/articles").json()}
    assert listed["zorvan"]["headline"] == "Bridge costs soar"
    assert listed["000_ae23ea00b4c5bd97"]["headline"].startswith("U.S. President Donald Trump spoke by phone")
    # the same article again is left alone
    again = client.post(
        "/v1/articles",
        json={
            "articles": [
                {"id": "zorvan", "date": "2025-09-12", "text": BRIDGE, "headline": "Bridge costs soar"}
            ]
        },
    )
    assert again.json()["articles"][0]["status"] == "unchanged" and again.json()["chunks_written"] == 0


def test_post_text_plain_like_a_file(client):
    raw = "date 2025-09-13\nHarbour ferry strike ends\n\nFerry crews in Port Ulmen ended their strike after 11 days."
    r = client.post(
        "/v1/articles?id=ulmen-ferry", content=raw.encode(), headers={"content-type": "text/plain"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["articles"][0]["headline"] == "Harbour ferry strike ends"
    body = _ask(client, "How long did the Port Ulmen ferry strike last?")
    assert not body["abstained"] and body["citations"][0]["article_id"] == "ulmen-ferry"
    assert "11 days" in body["answer"]


def test_put_replaces_and_the_old_text_is_never_quoted(client):
    client.post("/v1/articles", json={"articles": [{"id": "zorvan2", "date": "2025-09-12", "text": BRIDGE}]})
    assert (
        "48 million" in _ask(client, "How much will the Zorvan River bridge in Kestrel City cost?")["answer"]
    )
    r = client.put("/v1/articles/zorvan2", json={"date": "2025-09-15", "text": BRIDGE_NEW})
    assert r.status_code == 200, r.text
    assert r.json()["articles"][0]["status"] == "updated"
    # the first test's "zorvan" still says 48: take it out so only the replaced one speaks
    assert client.delete("/v1/articles/zorvan").status_code in (200, 404)
    for q in [
        ASK_BRIDGE,
        "When will work on the Zorvan bridge start?",
        "What did Mayor Ilsa Brandt say on Friday?",
    ]:
        body = _ask(client, q)
        for c in body["citations"]:
            assert "48 million" not in c["quote"] and "spring" not in c["quote"], c
            assert c["published"] != "2025-09-12" or c["article_id"] != "zorvan2"
    body = _ask(client, ASK_BRIDGE)
    assert "95 million" in body["answer"] and body["citations"][0]["article_id"] == "zorvan2"
    art = client.get("/v1/articles/zorvan2").json()
    assert art == {"article_id": "zorvan2", "published": "2025-09-15", "text": BRIDGE_NEW}
    # text/plain works for PUT too
    raw = f"date 2025-09-16 {BRIDGE_NEW}"
    r = client.put("/v1/articles/zorvan2", content=raw.encode(), headers={"content-type": "text/plain"})
    assert r.status_code == 200 and r.json()["articles"][0]["published"] == "2025-09-16"


def test_delete_then_never_cited(client):
    text = "The Quillon Observatory recorded a new comet, named Vesk-7, on Tuesday night, astronomers said."
    client.post("/v1/articles", json={"articles": [{"id": "quillon", "date": "2025-09-20", "text": text}]})
    q = "What did the Quillon Observatory record?"
    assert _ask(client, q)["citations"][0]["article_id"] == "quillon"
    r = client.delete("/v1/articles/quillon")
    assert r.status_code == 200 and r.json() == {"deleted": "quillon"}
    for question in [q, "Which comet was named Vesk-7?", "What did astronomers say on Tuesday night?"]:
        assert all(c["article_id"] != "quillon" for c in _ask(client, question)["citations"])
    assert client.get("/v1/articles/quillon").status_code == 404
    gone = client.delete("/v1/articles/quillon")
    assert gone.status_code == 404 and "quillon" in gone.json()["error"]["message"]


GOOD = {"id": "good-one", "date": "2025-09-12", "text": "A fine article about the Tarsk railway."}


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "needle"),
    [
        ("POST", "/v1/articles?id=x1", {"content": b"date 2025-09-12 caf\xe9 au lait", "ctype": "text/plain"}, 400, "not UTF-8 (byte 0xe9"),
        ("POST", "/v1/articles?id=x1", {"content": b"The body without a header.", "ctype": "text/plain"}, 400, "no 'date YYYY-MM-DD' header"),
        ("POST", "/v1/articles?id=x1", {"content": b"date 2025-02-30 text", "ctype": "text/plain"}, 400, "not a real date"),
        ("POST", "/v1/articles?id=x1", {"content": b"date 2025-09-12   ", "ctype": "text/plain"}, 400, "empty"),
        ("POST", "/v1/articles?id=x1", {"content": b"date 2025-09-12 \x00\x01\x02", "ctype": "text/plain"}, 400, "binary"),
        ("POST", "/v1/articles", {"content": b"date 2025-09-12 text", "ctype": "text/plain"}, 400, "?id="),
        ("POST", "/v1/articles?id=bad%20id", {"content": b"date 2025-09-12 text", "ctype": "text/plain"}, 400, "'bad id'"),
        ("POST", "/v1/articles?id=big", {"content": b"date 2025-09-12 " + b"word " * 1_100_000, "ctype": "text/plain"}, 400, "over the 5.2 MB limit"),
        ("POST", "/v1/articles?id=huge", {"content": b"date 2025-09-12 " + b"x" * (9 * 1024 * 1024), "ctype": "text/plain"}, 413, "over 8388608 bytes"),
        ("POST", "/v1/articles", {"json": {"articles": [GOOD, {**GOOD, "text": "again"}]}}, 400, "duplicate article id 'good-one'"),
        ("POST", "/v1/articles", {"json": {"articles": [GOOD, {**GOOD, "id": "g2", "text": " \n "}]}}, 400, "empty"),
        ("POST", "/v1/articles", {"json": {"articles": [GOOD, {**GOOD, "id": "g2", "date": "12/09/2025"}]}}, 400, "YYYY-MM-DD"),
        ("POST", "/v1/articles", {"json": {"articles": [{**GOOD, "headline": "Ends like a sentence."}]}}, 400, "headline"),
        ("POST", "/v1/articles", {"json": {"articles": []}}, 422, "articles"),
        ("POST", "/v1/articles", {"json": {"articles": [{**GOOD, "text": 42}]}}, 422, "text"),
        ("POST", "/v1/articles", {"json": {"articles": [{**GOOD, "extra": 1}]}}, 422, "extra"),
        ("POST", "/v1/articles", {"json": [GOOD]}, 422, "articles"),
        ("POST", "/v1/articles", {"json": {**GOOD, "extra": 1}}, 422, "extra"),
        ("POST", "/v1/articles", {"json": {"id": "good-one", "date": "2025-09-12"}}, 422, "text"),
        ("POST", "/v1/articles", {"json": {**GOOD, "date": "12/09/2025"}}, 400, "YYYY-MM-DD"),
        ("POST", "/v1/articles", {"content": b'{"articles": [{"id": "g", "date": "2025-09-12", "text": "\\ud800"}]}', "ctype": "application/json"}, 422, "lone surrogate"),
        ("POST", "/v1/articles", {"content": b"{not json", "ctype": "application/json"}, 422, "not valid JSON"),
        ("POST", "/v1/articles", {"content": b'{"articles": "\xff"}', "ctype": "application/json"}, 400, "not UTF-8"),
        ("POST", "/v1/articles", {"content": b"date 2025-09-12 text", "ctype": "application/pdf"}, 415, "text/plain"),
        ("PUT", "/v1/articles/ghost", {"json": {"date": "2025-09-12", "text": "x"}}, 404, "'ghost'"),
        ("PUT", "/v1/articles/000_ae23ea00b4c5bd97", {"json": {"id": "other", "date": "2025-09-12", "text": "x"}}, 400, "differs"),
        ("PUT", "/v1/articles/000_ae23ea00b4c5bd97", {"content": b"no date here", "ctype": "text/plain"}, 400, "no 'date"),
        ("DELETE", "/v1/articles/ghost", {}, 404, "'ghost'"),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_4xx_and_writes_nothing(client, method, path, kwargs, status, needle):
    before = _state(client)
    headers = {"content-type": kwargs.pop("ctype")} if "ctype" in kwargs else {}
    r = client.request(method, path, headers=headers, **kwargs)
    assert r.status_code == status, r.text[:500]
    err = r.json()["error"]
    assert needle in err["message"], err
    assert _state(client) == before
    assert client.get("/v1/articles/good-one").status_code == 404


def test_a_write_while_another_process_writes_is_a_503_naming_the_holder(pipe, client):
    from rag.index.lock import WriterLock

    before = _state(client)
    art = {"articles": [{"id": "busy", "date": "2025-09-12", "text": "The Brannock dam opened on Friday."}]}
    with WriterLock(pipe.settings.data_dir).hold():  # what a `rag ingest` beside the server holds
        for r in [client.post("/v1/articles", json=art), client.delete("/v1/articles/000_ae23ea00b4c5bd97")]:
            assert r.status_code == 503, r.text
            assert (
                r.json()["error"]["type"] == "unavailable"
                and str(os.getpid()) in r.json()["error"]["message"]
            )
    assert _state(client) == before
    assert client.post("/v1/articles", json=art).status_code == 200  # free again
    assert client.delete("/v1/articles/busy").status_code == 200


def test_api_key_is_enforced_on_the_write_routes(pipe):
    settings = load_settings(data_dir=pipe.settings.data_dir, api_key="s3cret-key")
    art = {"articles": [{"id": "keyed", "date": "2025-09-12", "text": "The Brannock dam opened on Friday."}]}
    with (
        ThreadServer(create_app(settings, pipeline=pipe, with_ui=False)) as s,
        httpx.Client(base_url=s.url, timeout=120) as c,
    ):
        for method, path in [
            ("POST", "/v1/articles"),
            ("PUT", "/v1/articles/keyed"),
            ("DELETE", "/v1/articles/keyed"),
        ]:
            for headers in [{}, {"Authorization": "Bearer wrong"}]:
                r = c.request(method, path, json=art, headers=headers)
                assert r.status_code == 401 and r.json()["error"]["type"] == "unauthorized", (method, r.text)
        key = {"Authorization": "Bearer s3cret-key"}
        assert c.get("/v1/articles/keyed", headers=key).status_code == 404  # nothing was written
        assert c.post("/v1/articles", json=art, headers=key).status_code == 200
        assert c.delete("/v1/articles/keyed", headers=key).status_code == 200


def test_openapi_documents_the_write_routes_and_every_status(client):
    schema = client.get("/openapi.json").json()
    expected = {
        ("post", "/v1/articles"): {"400", "401", "413", "415", "422", "500", "503"},
        ("put", "/v1/articles/{article_id}"): {"400", "401", "404", "413", "415", "422", "500", "503"},
        ("delete", "/v1/articles/{article_id}"): {"401", "404", "422", "500", "503"},
    }
    for (method, path), codes in expected.items():
        op = schema["paths"][path][method]
        errs = {c for c in op["responses"] if c.startswith(("4", "5"))}
        assert errs == codes, (path, errs)
        for c in errs:
            assert op["responses"][c]["content"]["application/json"]["schema"]["$ref"].endswith(
                "/ErrorResponse"
            )
        if method != "delete":
            assert {"application/json", "text/plain"} <= set(op["requestBody"]["content"])
            body = op["requestBody"]["content"]["application/json"]["schema"]
            assert "$ref" not in str(body) and "text" in str(body)  # no dangling reference


def test_live_post_while_clients_ask(server, client):
    """While a bounded loop of clients asks, a POSTed article is answered from within 5 s and
    every response is a 200."""
    questions = ["What did Trump rule out on Aug. 18?", "How many countries are ready to send troops?"]
    new_q = "What did the Orsk glassworks announce?"
    statuses: list[int] = []
    found_at: list[float] = []
    stop = threading.Event()
    posted: list[float] = []

    def asker(n: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            for i in range(400):  # bounded
                if stop.is_set():
                    return
                q = new_q if posted and i % 2 else questions[(n + i) % len(questions)]
                r = c.post("/v1/answer", json={"question": q})
                statuses.append(r.status_code)
                cited = r.json().get("citations", []) if r.status_code == 200 else []
                if q == new_q and any(c_["article_id"] == "orsk" for c_ in cited):
                    found_at.append(time.monotonic())

    with cf.ThreadPoolExecutor(3) as ex:
        futures = [ex.submit(asker, n) for n in range(3)]
        time.sleep(1.0)
        text = (
            "The Orsk glassworks announced 300 new jobs at its furnace plant on Wednesday, its director said."
        )
        r = client.post(
            "/v1/articles", json={"articles": [{"id": "orsk", "date": "2025-09-18", "text": text}]}
        )
        assert r.status_code == 200, r.text
        posted.append(time.monotonic())
        deadline = posted[0] + 5.0
        while not found_at and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        stop.set()
        for f in futures:
            f.result(timeout=120)
    assert found_at and found_at[0] - posted[0] <= 5.0, "the new article was not answered from within 5 s"
    assert len(statuses) > 10 and set(statuses) == {200}, sorted(set(statuses))


def test_post_and_delete_through_a_real_rag_serve_while_clients_ask(tmp_path, seeds_dir):
    """The issue's "done when", through the API: a real `rag serve` process on an embedded index;
    while two clients keep asking, an article POSTed is answered from within 5 s, every response
    is a 200, and no question sent after its DELETE returned cites it."""

    from tests.conftest import ROOT, run_rag
    from tests.servers import rag_serve_process, stop, wait_http

    data = tmp_path / "data"
    env = {"RAG_DATA_DIR": str(data)}
    assert run_rag("ingest", str(seeds_dir), "--quiet", env=env).returncode == 0
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115
    url, server = rag_serve_process(env, log, ROOT)
    new_q = "How many river barges did the Velmar port authority buy?"
    questions = [new_q, "What did Trump rule out on Aug. 18?"]
    record: list[tuple[float, int, str, set[str]]] = []  # (sent at, status, question, cited ids)
    halt = threading.Event()

    def asker(n: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            for i in range(3000):  # bounded
                if halt.is_set():
                    return
                q = questions[(n + i) % 2]
                sent = time.monotonic()
                r = c.post("/v1/answer", json={"question": q})
                cited = (
                    {x["article_id"] for x in r.json().get("citations", [])}
                    if r.status_code == 200
                    else set()
                )
                record.append((sent, r.status_code, q, cited))

    def first_cited(after: float, within: float) -> float:
        deadline = after + within
        while time.monotonic() < deadline + 2:
            hits = [t for t, s, q, c in list(record) if t >= after and q == new_q and "velmar" in c]
            if hits:
                return min(hits)
            time.sleep(0.05)
        raise AssertionError(f"the POSTed article was not answered from within {within} s")

    text = "The Velmar port authority bought 12 river barges on Tuesday to carry grain, its chairman said."
    threads = [threading.Thread(target=asker, args=(n,), daemon=True) for n in range(2)]
    try:
        wait_http(f"{url}/healthz", 180, server)
        for t in threads:
            t.start()
        time.sleep(1.0)
        with httpx.Client(base_url=url, timeout=120) as c:
            r = c.post(
                "/v1/articles", json={"articles": [{"id": "velmar", "date": "2025-09-09", "text": text}]}
            )
            assert r.status_code == 200, r.text
            posted = time.monotonic()
            assert first_cited(posted, 5.0) - posted <= 5.0
            r = c.delete("/v1/articles/velmar")
            assert r.status_code == 200, r.text
            deleted = time.monotonic()
        time.sleep(3.0)
    finally:
        halt.set()
        for t in threads:
            t.join(timeout=120)
        stop(server)
        log.close()
    bad = [(s, q) for _, s, q, _ in record if s != 200]
    assert len(record) > 20 and not bad, (bad[:3], (tmp_path / "serve.log").read_text()[-3000:])
    after = [c for t, _, q, c in record if t > deleted and q == new_q]
    assert after and all("velmar" not in c for c in after), "cited after its DELETE returned"


# ------------------------------------------------------------------ issue 23
def test_one_article_object_is_accepted_as_one_article(client):
    r = client.post(
        "/v1/articles",
        json={"id": "tarsk-rail", "date": "2025-09-14", "headline": "Tarsk railway reopens",
              "text": "The Tarsk railway reopened on Sunday after 14 months of repairs, the operator said."},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(a["article_id"], a["status"], a["headline"]) for a in body["articles"]] == [
        ("tarsk-rail", "added", "Tarsk railway reopens")
    ]
    ans = _ask(client, "When did the Tarsk railway reopen?")
    assert not ans["abstained"] and ans["citations"][0]["article_id"] == "tarsk-rail"
    assert client.delete("/v1/articles/tarsk-rail").status_code == 200


def test_count_published_counts_committed_articles_in_the_archive_by_date(pipe):
    from datetime import date

    from rag.types import DateRange

    store = pipe.store
    total = store.counts()[0]
    assert store.count_published(DateRange()) == total >= 3
    assert store.count_published(DateRange(date(2025, 9, 4), date(2025, 9, 4))) == 2  # two seeds that day
    assert store.count_published(DateRange(date(2025, 9, 5), date(2025, 9, 5))) == 1
    assert store.count_published(DateRange(date(2030, 1, 1), None)) == 0
    assert store.count_published(DateRange(None, date(2025, 9, 3))) == 0
    assert store.count_published(DateRange(date(2025, 9, 4), date(2025, 9, 5))) == 3
