"""Hybrid retrieval (dense + BM25, fused by RRF) over a FAKE in-memory store and the FAKE hash embedder."""

import datetime as dt

import pytest

from rag.index.embed import FakeHashEmbedder
from rag.retrieval.corpus import Corpus
from rag.retrieval.hybrid import BM25Retriever, DenseRetriever, HybridRetriever
from rag.types import Article, DateRange, Query
from tests.fakes import FakeArticleStore

ARTS = [
    Article(
        "a",
        dt.date(2025, 9, 1),
        "Trump ruled out ground troops on Monday. He offered American air support instead.",
    ),
    Article(
        "b",
        dt.date(2025, 9, 5),
        "Macron hosted the summit in Paris on Thursday. Twenty-six countries pledged troops there.",
    ),
    Article(
        "c",
        dt.date(2025, 9, 9),
        "The weather was mild all week long. Markets closed higher on Friday afternoon.",
    ),
]


@pytest.fixture
def parts():
    emb = FakeHashEmbedder()
    corpus = Corpus(FakeArticleStore(ARTS, emb))
    corpus.sync()
    return corpus, emb


def test_every_hybrid_hit_carries_its_dense_similarity(parts):
    corpus, emb = parts
    found = HybridRetriever(corpus, emb).search(Query("Who pledged troops in Paris?", top_k=4))
    assert 0 < len(found.hits) <= 4
    assert all(h.dense is not None for h in found.hits)
    scores = [h.score for h in found.hits]
    assert scores == sorted(scores, reverse=True)
    assert found.vector.shape == (emb.dim,)
    assert {"embed_ms", "dense_ms", "bm25_ms", "fuse_ms"} <= set(found.timings_ms)


def test_the_lexical_match_is_ranked_first(parts):
    corpus, emb = parts
    hits = HybridRetriever(corpus, emb).retrieve(Query("Markets closed higher", top_k=3))
    assert hits[0].chunk.text == "Markets closed higher on Friday afternoon."


def test_date_range_filters_both_sides(parts):
    corpus, emb = parts
    q = Query("troops", top_k=10, date_range=DateRange(dt.date(2025, 9, 2), dt.date(2025, 9, 6)))
    for retriever in (HybridRetriever(corpus, emb), DenseRetriever(corpus, emb), BM25Retriever(corpus)):
        hits = retriever.retrieve(q)
        assert hits and {h.chunk.article_id for h in hits} == {"b"}


def test_top_k_bounds_the_hits(parts):
    corpus, emb = parts
    assert len(HybridRetriever(corpus, emb).retrieve(Query("the", top_k=1))) <= 1


def test_construction_validates(parts):
    corpus, emb = parts
    with pytest.raises(ValueError, match="rrf_k"):
        HybridRetriever(corpus, emb, rrf_k=-1)
    assert HybridRetriever(corpus, emb).describe() == {"hybrid": "dense+bm25", "fusion": "rrf", "rrf_k": 60}
