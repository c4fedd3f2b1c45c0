"""The exact answer span through the real pipeline, the HTTP API and the CLI (seeds index)."""

import httpx
import pytest

from rag.config import load_settings
from rag.serve.api import create_app
from tests.servers import ThreadServer

pytestmark = pytest.mark.integration
NUMBER_Q = "How many countries are ready to send troops or other support?"


def test_a_number_question_carries_a_verbatim_span_inside_the_first_quote(seeded):
    ans = seeded.ask(NUMBER_Q)
    assert not ans.abstained and ans.answer_span is not None
    sp = ans.answer_span
    first = next(c for c in ans.citations if c.role == "answer")
    art = seeded.article(sp.article_id)
    assert art is not None and art.text[sp.start : sp.end] == sp.text
    assert sp.article_id == first.article_id and first.start <= sp.start < sp.end <= first.end
    assert "26" in sp.text


def test_open_questions_and_abstentions_carry_no_span(seeded):
    assert seeded.ask("What did Trump rule out on Aug. 18?").answer_span is None
    assert seeded.ask("What did Angela Merkel say about the summit?").answer_span is None


def test_api_returns_the_span_and_documents_it(seeded):
    app = create_app(load_settings(data_dir=seeded.settings.data_dir), pipeline=seeded)
    with ThreadServer(app) as s, httpx.Client(base_url=s.url, timeout=30) as c:
        body = c.post("/v1/answer", json={"question": NUMBER_Q}).json()
        schema = c.get("/openapi.json").json()
    sp = body["answer_span"]
    assert sp is not None and set(sp) == {"article_id", "start", "end", "text"} and "26" in sp["text"]
    art = seeded.article(sp["article_id"])
    assert art.text[sp["start"] : sp["end"]] == sp["text"]
    prop = schema["components"]["schemas"]["AnswerResponse"]["properties"]["answer_span"]
    assert "exact answer" in prop["description"]
