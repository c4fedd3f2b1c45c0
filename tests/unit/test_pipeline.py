"""The pipeline wired from FAKE parts: validation, the top-k bound, verification, public reads."""

import dataclasses
import datetime as dt

import pytest

from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.verify import CitationVerifier
from rag.config import load_settings
from rag.errors import BadQuestionError
from rag.index.embed import FakeHashEmbedder
from rag.pipeline import Pipeline
from rag.retrieval.corpus import Corpus
from rag.retrieval.hybrid import HybridRetriever
from rag.types import TOP_K_MAX, Answer, Article, Citation, DateRange
from tests.fakes import FakeArticleStore

ART = Article(
    "a",
    dt.date(2025, 9, 1),
    "Trump ruled out ground troops on Monday. He offered American air support instead.",
)


def make(tmp_path, answerer=None):
    emb = FakeHashEmbedder()
    store = FakeArticleStore([ART], emb)
    corpus = Corpus(store)
    return Pipeline(
        settings=load_settings(data_dir=tmp_path),
        store=store,  # type: ignore[arg-type]
        embedder=emb,
        corpus=corpus,
        retriever=HybridRetriever(corpus, emb),
        answerer=answerer or ExtractiveAnswerer(corpus),
        verifier=CitationVerifier(corpus.article),
    )


@pytest.mark.parametrize(
    ("question", "match"),
    [("", "empty"), ("   ", "empty"), ("x" * 2001, "over the limit"), (42, "must be a string")],
)
def test_bad_questions_are_refused_with_the_reason(tmp_path, question, match):
    with pytest.raises(BadQuestionError, match=match):
        make(tmp_path).ask(question)


@pytest.mark.parametrize("k", [0, -1, TOP_K_MAX + 1])
def test_top_k_outside_the_one_bound_is_refused(tmp_path, k):
    with pytest.raises(BadQuestionError, match=f"1 to {TOP_K_MAX}"):
        make(tmp_path).ask("What did Trump rule out?", top_k=k)


def test_an_answer_quotes_the_article_verbatim_and_reports_timings(tmp_path):
    ans = make(tmp_path).ask("What did Trump rule out?")
    assert not ans.abstained
    for c in ans.citations:
        assert ART.text[c.start : c.end] == c.quote
    assert {"retrieve_ms", "answer_ms", "verify_ms", "total_ms"} <= set(ans.timings_ms)
    assert ans.retrieved


def test_the_verifier_runs_on_every_answer(tmp_path):
    class LyingAnswerer:
        """FAKE answerer that cites words the article never says."""

        mode = "extractive"

        def answer(self, question, hits, query_vector=None):
            return Answer(
                question, "made up", False, (Citation("a", ART.published, "invented words", 0, 14),)
            )

        def describe(self):
            return {"mode": self.mode}

    ans = make(tmp_path, LyingAnswerer()).ask("What did Trump rule out?")
    assert ans.abstained and ans.citations == () and ans.unverified == ("invented words",)


def test_a_date_range_with_no_articles_abstains(tmp_path):
    ans = make(tmp_path).ask("What did Trump rule out?", date_range=DateRange(dt.date(2030, 1, 1), None))
    assert ans.abstained


def test_public_reads(tmp_path):
    pipe = make(tmp_path)
    assert pipe.mode == "extractive"
    assert pipe.location == "memory://fake"
    assert pipe.article("a") == ART and pipe.article("nope") is None
    assert pipe.committed() == {"a": ART}
    assert not pipe.is_empty()
    cid = next(iter(pipe.chunks()))
    aid, start, end = pipe.chunk_span(cid)
    assert aid == "a" and ART.text[start:end] == pipe.chunks()[cid].text
    assert pipe.chunk_span("missing") is None
    assert pipe.counts() == (1, 2)
    described = pipe.describe()
    assert described["embedder"] == "fake-hash"
    assert described["retrieval"]["top_k"] == 30
    assert described["answerer"]["mode"] == "extractive"
    assert "strict_type_penalty" not in described["answerer"]
    with pytest.raises(TypeError):
        pipe.chunks()[cid] = None  # read-only view
    assert dataclasses.is_dataclass(pipe)
