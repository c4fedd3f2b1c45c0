import math

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from rag.retrieval.bm25 import BM25Index, idf, term_score
from rag.retrieval.fusion import rrf


def test_idf_and_term_score_hand_computed():
    assert idf(10, 1) == pytest.approx(math.log(1 + 9.5 / 1.5))
    assert term_score(1, 10, 10) == pytest.approx(1.0)
    assert term_score(2, 5, 10, k1=1.2, b=0.75) == pytest.approx(2 * 2.2 / (2 + 1.2 * (0.25 + 0.375)))


def test_bm25_scores_hand_computed():
    docs = [["a", "b"], ["a", "a", "c"], ["d"]]
    index = BM25Index.build(["x", "y", "z"], docs)
    avg = 2.0
    expect_y = idf(3, 2) * term_score(2, 3, avg)
    assert index.scores(["a"])[1] == pytest.approx(expect_y, rel=1e-5)
    assert index.scores(["a", "a"])[1] == pytest.approx(expect_y, rel=1e-5)  # duplicates count once
    assert index.scores(["zzz"]).sum() == 0


class LuceneIdfBM25(BM25Okapi):
    """rank_bm25's Okapi BM25 with Lucene's non-negative idf, the variant our index documents."""

    def _calc_idf(self, nd):
        for word, freq in nd.items():
            self.idf[word] = idf(self.corpus_size, freq)


def test_bm25_scores_match_rank_bm25_with_the_same_idf():
    """Every document's score, for multi-term queries of rare and common terms, equals the reference."""
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(200)]
    # a Zipf-like vocabulary: some terms in most documents, most in few
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    docs = [list(rng.choice(vocab, size=rng.integers(5, 20), p=weights / weights.sum())) for _ in range(60)]
    ours = BM25Index.build([str(i) for i in range(60)], docs, k1=1.5, b=0.75)
    ref = LuceneIdfBM25(docs, k1=1.5, b=0.75)
    queries = [["w0", "w1"], ["w3", "w50", "w150"], ["w7"], ["w0", "w199", "w2", "w2"]]
    compared = 0
    for q in queries:
        expect = ref.get_scores(list(dict.fromkeys(q)))
        assert np.allclose(ours.scores(q), expect, rtol=1e-5, atol=1e-6), q
        top = ours.top(" ".join(q), 5)
        assert [float(s) for _, s in top] == pytest.approx(
            sorted(expect[expect > 0], reverse=True)[: len(top)], rel=1e-5
        )
        compared += 1
    assert compared == len(queries)
    assert ours.doc_freq("w0") > 30 and 0 < ours.doc_freq("w50") < 5  # the queries mix common and rare terms


def test_bm25_top_and_mask_and_persistence(tmp_path):
    index = BM25Index.build(["x", "y"], [["trump", "tariff"], ["macron"]])
    assert [i for i, _ in index.top("Trump tariffs", 5)] == ["x"]
    assert index.top("Trump", 5, allowed=np.array([False, True])) == []
    index.save(tmp_path, "gen1")
    assert BM25Index.load(tmp_path, "gen2") is None
    loaded = BM25Index.load(tmp_path, "gen1")
    assert loaded is not None and loaded.ids == index.ids
    assert np.allclose(loaded.scores(["trump"]), index.scores(["trump"]))


def test_bm25_validates():
    with pytest.raises(ValueError, match="k1"):
        BM25Index(k1=-1)
    with pytest.raises(ValueError, match="ids"):
        BM25Index.build(["a"], [])


def test_rrf_hand_computed():
    out = rrf([["a", "b"], ["b"]], k=60)
    assert out["a"] == pytest.approx(1 / 61)
    assert out["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert rrf([["a"]], k=0, weights=[2.0])["a"] == pytest.approx(2.0)
    with pytest.raises(ValueError):
        rrf([["a"]], weights=[1, 2])
