"""The HTTP API against a real uvicorn server on 127.0.0.1 (httpx and the openai client)."""

import concurrent.futures as cf
import json
import re

import httpx
import pytest

from rag.config import load_settings
from rag.serve.api import create_app
from tests.servers import ThreadServer, stream_chat

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(seeded):
    app = create_app(load_settings(data_dir=seeded.settings.data_dir), pipeline=seeded, with_ui=True)
    with ThreadServer(app) as s:
        yield s


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def test_answer_contract_and_verbatim(client):
    r = client.post("/v1/answer", json={"question": "What did Trump rule out on Aug. 18?"})
    assert r.status_code == 200
    body = r.json()
    assert body["abstained"] is False and "ground" in body["answer"]
    assert body["timings_ms"]["total_ms"] > 0 and body["mode"] == "extractive"
    for c in body["citations"]:
        art = client.get(f"/v1/articles/{c['article_id']}").json()
        assert art["text"][c["start"] : c["end"]] == c["quote"]
        assert art["published"] == c["published"]
    assert r.headers["x-request-id"]


def test_answer_abstains_and_filters(client):
    body = client.post("/v1/answer", json={"question": "What did Angela Merkel say?"}).json()
    assert body["abstained"] is True and body["citations"] == []
    body = client.post(
        "/v1/answer",
        json={
            "question": "What did Trump rule out?",
            "published_from": "2025-09-05",
            "published_to": "2025-09-05",
            "top_k": 10,
        },
    ).json()
    assert body["citations"] and {c["published"] for c in body["citations"]} == {"2025-09-05"}


@pytest.mark.parametrize(
    ("payload", "status", "needle"),
    [
        ({"question": ""}, 400, "empty"),
        ({"question": "   "}, 400, "empty"),
        ({"question": "x" * 2001}, 400, "limit"),
        ({"question": 42}, 422, "question"),
        ({"question": ["a"]}, 422, "question"),
        ({}, 422, "question"),
        ({"question": "Trump?", "top_k": 0}, 422, "top_k"),
        ({"question": "Trump?", "top_k": "5"}, 422, "top_k"),
        ({"question": "Trump?", "published_from": "yesterday"}, 422, "published_from"),
        ({"question": "Trump?", "published_from": "2025-09-05", "published_to": "2025-09-01"}, 422, "after"),
        ({"question": "Trump?", "unknown": 1}, 422, "unknown"),
    ],
)
def test_bad_input_is_4xx_with_a_message(client, payload, status, needle):
    r = client.post("/v1/answer", json=payload)
    assert r.status_code == status, r.text
    assert needle in r.json()["error"]["message"]


def test_malformed_and_oversized_bodies(client):
    r = client.post("/v1/answer", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "not valid JSON" in r.json()["error"]["message"]
    r = client.post("/v1/answer", content=b"x" * 300_000, headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = client.get("/v1/answer")
    assert r.status_code in (404, 405)


def test_articles_and_health_and_docs(client):
    arts = client.get("/v1/articles").json()
    assert len(arts) == 3 and {"article_id", "published", "title", "chunks"} <= set(arts[0])
    r = client.get("/v1/articles/nope")
    assert r.status_code == 404 and "nope" in r.json()["error"]["message"]
    h = client.get("/healthz").json()
    assert h["status"] == "ok" and h["articles"] == 3 and h["chunks"] > 10
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "AnswerRequest" in schema["components"]["schemas"]
    assert client.get("/").status_code == 200  # the Gradio chat


def test_openai_client_non_streaming_and_streaming(server):
    from openai import OpenAI

    oa = OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0, timeout=30)
    assert [m.id for m in oa.models.list()] == ["rag"]
    resp = oa.chat.completions.create(
        model="rag",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "What did Trump rule out on Aug. 18?"},
        ],
    )
    content = resp.choices[0].message.content
    assert "ground" in content and "**Sources**" in content
    extra = resp.model_extra or {}
    assert extra["citations"] and extra["citations"][0]["quote"] in content
    # plain prose (issue 23): no backslash before punctuation, no HTML, no id; each quote once and
    # every source card names its headline and date
    assert "\\" not in content and "<" not in content and "U.S." in content
    assert not any(c["article_id"] in content for c in extra["citations"])
    body, _, cards = content.partition("**Sources**")
    # no quote twice; an answer quote in the body (a corroboration is named by its source card)
    assert all(content.count(c["quote"]) <= 1 for c in extra["citations"]), content
    assert all(c["quote"] in body for c in extra["citations"] if c["role"] == "answer")
    for c in extra["citations"]:
        assert f"{c['headline']}, {c['published']}" in cards
    stream = oa.chat.completions.create(
        model="rag",
        messages=[{"role": "user", "content": "How many countries are ready to send troops?"}],
        stream=True,
    )
    pieces, final = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.choices and chunk.choices[0].finish_reason == "stop":
            final = chunk
    text = "".join(pieces)
    assert "26" in text and final is not None and (final.model_extra or {}).get("citations")


def test_chat_without_user_message_is_400(client):
    r = client.post(
        "/v1/chat/completions", json={"model": "rag", "messages": [{"role": "system", "content": "x"}]}
    )
    assert r.status_code == 400 and "user message" in r.json()["error"]["message"]
    r = client.post("/v1/chat/completions", json={"model": "rag", "messages": []})
    assert r.status_code == 422


def test_sse_wire_format(client):
    _, lines = stream_chat(client, "Who is Merkel?")
    assert lines[-1] == "data: [DONE]"
    payloads = [json.loads(line[6:]) for line in lines[:-1]]
    assert all(p["object"] == "chat.completion.chunk" for p in payloads)
    # plain punctuation stays plain (issue 23; it was backslash-escaped)
    assert "don't say" in "".join(p["choices"][0]["delta"].get("content", "") for p in payloads)


def test_concurrent_clients_all_correct(server):
    questions = [
        ("What did Trump rule out on Aug. 18?", "ground"),
        ("How many countries are ready to send troops?", "26"),
        ("What did Trump tell CBS News on Sept. 3?", "straightforward"),
    ]

    def worker(i):
        q, fact = questions[i % len(questions)]
        with httpx.Client(base_url=server.url, timeout=60) as c:
            r = c.post("/v1/answer", json={"question": q})
            return r.status_code, fact in r.json().get("answer", "")

    with cf.ThreadPoolExecutor(16) as ex:
        results = list(ex.map(worker, range(48)))
    assert results == [(200, True)] * 48


def test_api_key_required_when_set(seeded):
    settings = load_settings(data_dir=seeded.settings.data_dir, api_key="s3cret-key")
    with (
        ThreadServer(create_app(settings, pipeline=seeded, with_ui=False)) as s,
        httpx.Client(base_url=s.url, timeout=30) as c,
    ):
        for method, path in [
            ("POST", "/v1/answer"),
            ("GET", "/v1/articles"),
            ("GET", "/v1/articles/x"),
            ("POST", "/v1/chat/completions"),
            ("GET", "/v1/models"),
        ]:
            r = c.request(method, path, json={"question": "Trump?"})
            assert r.status_code == 401, (path, r.status_code)
            assert "s3cret" not in r.text
        bad = c.post("/v1/answer", json={"question": "Trump?"}, headers={"Authorization": "Bearer wrong"})
        assert bad.status_code == 401
        ok = c.post("/v1/answer", json={"question": "Trump?"}, headers={"Authorization": "Bearer s3cret-key"})
        assert ok.status_code == 200
        assert c.get("/healthz").status_code == 200


class _ExplodingPipelineFake:
    """FAKE pipeline whose ask() fails in a way no handler knows: the API must still answer JSON."""

    def __init__(self, real):
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)

    def ask(self, *args, **kwargs):
        raise ZeroDivisionError("boom")


def test_unhandled_error_is_a_json_500_with_the_request_id(seeded):
    app = create_app(
        load_settings(data_dir=seeded.settings.data_dir),
        pipeline=_ExplodingPipelineFake(seeded),
        with_ui=False,
    )
    with ThreadServer(app) as s, httpx.Client(base_url=s.url, timeout=30) as c:
        r = c.post(
            "/v1/answer", json={"question": "What did Trump rule out?"}, headers={"X-Request-ID": "abc123"}
        )
        assert r.status_code == 500
        assert r.json()["error"] == {
            "message": "internal error; the request id is in the server log",
            "type": "internal_error",
            "request_id": "abc123",
        }
        assert r.headers["x-request-id"] == "abc123" and "boom" not in r.text
        ok = c.get("/healthz")
        assert ok.status_code == 200 and len(ok.headers["x-request-id"]) == 16


# ------------------------------------------------------------------ issue 15: article text is data
def _errors_only(r):
    body = r.json()
    assert set(body) == {"error"}, body
    assert {"message", "type", "request_id"} <= set(body["error"]), body
    return body["error"]


def test_openai_client_gets_content_that_shows_the_article_s_characters_and_the_exact_quote(hostile):
    from openai import OpenAI

    from tests.conftest import HOSTILE_TEXT

    app = create_app(load_settings(data_dir=hostile.settings.data_dir), pipeline=hostile, with_ui=False)
    with ThreadServer(app) as s:
        oa = OpenAI(base_url=f"{s.url}/v1", api_key="unused", max_retries=0, timeout=30)
        resp = oa.chat.completions.create(
            model="rag", messages=[{"role": "user", "content": "What was the budget for the bridge?"}]
        )
    content = resp.choices[0].message.content
    cites = (resp.model_extra or {})["citations"]
    quote = cites[0]["quote"]
    assert quote == HOSTILE_TEXT[cites[0]["start"] : cites[0]["end"]] and "<script>" in quote
    # Markdown that shows the characters, raw or rendered: only what would become markup is escaped
    assert "\\<script>alert(1)\\</script>" in content  # a tag, escaped; its parentheses left alone
    assert "![chart\\](`http://127.0.0.1:9999/beacon-md.png)`" in content  # no image; the URL as code
    assert (
        "[the city portal\\](`http://127.0.0.1:9999/phish)`" in content
        and "\\*\\*bold\\*\\* \\_x\\_" in content
    )
    from markdown_it import MarkdownIt

    gfm = MarkdownIt("gfm-like", {"html": True})
    gfm.linkify.set({"fuzzy_link": False})  # GFM's autolinks: a scheme or www.
    rendered = gfm.render(content)
    assert not re.search(
        r"<(a|img|script|em|strong|h[1-6])\b", rendered.replace("<strong>Sources</strong>", "")
    )


BAD_TEXT = "caf\\ud800"  # JSON for a lone surrogate


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/v1/answer", '{"question": "%s"}'),
        ("/v1/answer", '{"question": "Trump?", "published_from": "%s"}'),
        ("/v1/answer", '{"question": "Trump?", "%s": 1}'),
        ("/v1/chat/completions", '{"model": "%s", "messages": [{"role": "user", "content": "Trump?"}]}'),
        ("/v1/chat/completions", '{"messages": [{"role": "user", "content": "%s"}]}'),
        (
            "/v1/chat/completions",
            '{"messages": [{"role": "user", "content": [{"type": "text", "text": "%s"}]}]}',
        ),
        ("/v1/chat/completions", '{"messages": [{"role": "user", "content": "%s"}], "stream": true}'),
        (
            "/v1/chat/completions",
            '{"messages": [{"role": "user", "content": "Hi", "name": "%s"}], "stream": true}',
        ),
    ],
)
def test_text_that_cannot_be_encoded_is_a_4xx_in_the_error_shape(client, path, raw):
    r = client.post(path, content=(raw % BAD_TEXT).encode(), headers={"content-type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith("application/json")
    assert "surrogate" in _errors_only(r)["message"]


def test_invalid_utf8_oversized_chunked_and_unknown_routes_use_the_error_shape(client):
    r = client.post(
        "/v1/answer",
        content=b'{"question": "caf\xc3\x28 \xff"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code in (400, 422) and "UTF-8" in _errors_only(r)["message"]

    def chunks():
        for _ in range(40):
            yield b"x" * 10_000  # 400 kB, no Content-Length

    r = client.post("/v1/answer", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and _errors_only(r)["type"] == "too_large"
    r = client.post("/v1/answer", content=b"x" * 300_000, headers={"content-type": "application/json"})
    assert r.status_code == 413 and _errors_only(r)["type"] == "too_large"
    for method, path in [
        ("GET", "/v1/nope"),
        ("GET", "/v1/answer"),
        ("DELETE", "/healthz"),
        ("GET", "/nope"),
    ]:
        r = client.request(method, path)
        assert r.status_code == (404 if "nope" in path else 405), (path, r.status_code)
        assert "detail" not in r.json(), (path, r.text)
        _errors_only(r)


def test_openapi_documents_the_real_error_body(client):
    schema = client.get("/openapi.json").json()
    comps = schema["components"]["schemas"]
    assert "ErrorResponse" in comps and "HTTPValidationError" not in comps
    assert set(comps["ErrorResponse"]["properties"]["error"]["$ref"].rsplit("/", 1)[-1:]) == {"ErrorDetail"}
    expected = {
        ("post", "/v1/answer"): {"400", "401", "413", "422", "500", "503"},
        ("post", "/v1/chat/completions"): {"400", "401", "413", "422", "500", "503"},
        ("get", "/v1/articles"): {"401", "500", "503"},
        ("get", "/v1/articles/{article_id}"): {"401", "404", "422", "500", "503"},
        ("get", "/v1/models"): {"401", "500"},
        ("get", "/healthz"): {"500", "503"},
    }
    for (method, path), codes in expected.items():
        responses = schema["paths"][path][method]["responses"]
        errs = {c for c in responses if c.startswith(("4", "5"))}
        assert errs == codes, (path, errs)
        for c in errs:
            ref = responses[c]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorResponse"), (path, c, ref)


def test_docs_and_redoc_load_only_local_assets(client):
    import re

    for page in ["/docs", "/redoc"]:
        r = client.get(page)
        assert r.status_code == 200
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "connect-src 'self'" in csp
        urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", r.text)
        assert urls, r.text
        for url in urls:
            assert url.startswith("/") and not url.startswith("//"), (page, url)
            assert client.get(url).status_code == 200, (page, url)
        assert "http://" not in r.text and "https://" not in r.text, r.text


def test_html_pages_carry_a_content_security_policy(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    for directive in [
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
    ]:
        assert directive in csp
    assert "*" not in csp and "http" not in csp
    assert "content-security-policy" not in client.get("/healthz").headers


def test_login_is_throttled_after_repeated_failures(seeded):
    settings = load_settings(data_dir=seeded.settings.data_dir, api_key="s3cret-key")
    with (
        ThreadServer(create_app(settings, pipeline=seeded, with_ui=True)) as s,
        httpx.Client(base_url=s.url, timeout=30) as c,
    ):
        statuses = []
        for _ in range(8):  # bounded: the throttle allows 5 failures per window
            r = c.post("/login", data={"username": "x", "password": "wrong"})
            statuses.append(r.status_code)
            if r.status_code == 429:
                break
        assert statuses[:5] == [400] * 5 and statuses[-1] == 429, statuses
        assert int(r.headers["retry-after"]) > 0 and r.json()["error"]["type"] == "rate_limited"
        # even the right password waits: the throttle answers before checking it
        assert c.post("/login", data={"username": "x", "password": "s3cret-key"}).status_code == 429


class _SlowPipelineFake:
    """FAKE pipeline whose ask() waits until released: it fills every answer thread."""

    def __init__(self, real):
        import threading

        self._real, self.release = real, threading.Event()

    def __getattr__(self, name):
        return getattr(self._real, name)

    def ask(self, *args, **kwargs):
        self.release.wait(30)
        return self._real.ask(*args, **kwargs)


def test_healthz_does_not_queue_behind_answers(seeded):
    slow = _SlowPipelineFake(seeded)
    app = create_app(load_settings(data_dir=seeded.settings.data_dir), pipeline=slow, with_ui=False)
    with ThreadServer(app) as s, cf.ThreadPoolExecutor(8) as ex:
        busy = [
            ex.submit(httpx.post, f"{s.url}/v1/answer", json={"question": "Trump?"}, timeout=60)
            for _ in range(8)  # twice the answer threads: some wait in the queue
        ]
        try:
            import time

            time.sleep(0.5)
            t0 = time.monotonic()
            h = httpx.get(f"{s.url}/healthz", timeout=10)
            assert h.status_code == 200 and time.monotonic() - t0 < 2
            assert not any(f.done() for f in busy)
        finally:
            slow.release.set()
        assert [f.result().status_code for f in busy] == [200] * 8


# ------------------------------------------------------------------ issue 23
def test_a_known_path_with_the_wrong_method_is_a_405_naming_the_right_one(client):
    for method, path, allowed in [
        ("GET", "/v1/answer", "POST"),
        ("GET", "/v1/chat/completions", "POST"),
        ("GET", "/v1/feedback", "POST"),
        ("DELETE", "/v1/articles", "GET, POST"),
        ("POST", "/healthz", "GET"),
    ]:
        r = client.request(method, path)
        assert r.status_code == 405 and r.headers["allow"] == allowed, (path, r.status_code, r.text)
        assert (
            _errors_only(r)["type"] == "method_not_allowed"
            and f"use {allowed}" in r.json()["error"]["message"]
        )


def test_a_question_not_in_english_and_an_empty_range_get_their_own_words(client):
    body = client.post("/v1/answer", json={"question": "Що сказав Макрон?"}).json()
    assert body["abstained"] is True and "English only" in body["answer"] and "англійською" in body["answer"]
    assert "don't say" not in body["answer"]
    body = client.post(
        "/v1/answer", json={"question": "What did Trump rule out?", "published_from": "2030-01-01"}
    ).json()
    assert body["abstained"] is True and body["answer"].startswith(
        "No article was published from 2030-01-01 on"
    )
    assert "All 3 articles in the collection are outside it: 3 before 2030-01-01" in body["answer"]


def test_the_answer_text_names_sources_by_headline_and_date_never_by_id(client):
    for q in (
        "What did Trump rule out on Aug. 18?",
        "Which countries said they would not send troops into Ukraine?",
    ):
        body = client.post("/v1/answer", json={"question": q}).json()
        assert body["citations"] and not re.search(r"\b\d{3}_[0-9a-f]{16}\b", body["answer"]), body["answer"]
        assert all(c["headline"] for c in body["citations"])  # the JSON keeps the id and adds the headline


def test_max_tokens_never_leaves_a_dangling_backslash(hostile):
    from openai import OpenAI

    app = create_app(load_settings(data_dir=hostile.settings.data_dir), pipeline=hostile, with_ui=False)
    with ThreadServer(app) as s:
        oa = OpenAI(base_url=f"{s.url}/v1", api_key="unused", max_retries=0, timeout=30)
        full = (
            oa.chat.completions.create(
                model="rag", messages=[{"role": "user", "content": "What was the budget for the bridge?"}]
            )
            .choices[0]
            .message.content
        )
        cuts = []
        for n in range(1, 60):
            r = oa.chat.completions.create(
                model="rag",
                messages=[{"role": "user", "content": "What was the budget for the bridge?"}],
                max_tokens=n,
            )
            cuts.append(r.choices[0].message.content)
    assert "\\" in full  # the hostile article's markup is escaped, so there are escapes to cut through
    for text in cuts:
        run = len(text) - len(text.rstrip("\\"))
        assert run % 2 == 0, repr(text[-20:])
