import math

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from rag.bm25 import BM25Index, idf, term_score
from rag.fusion import rrf
from rag.metrics import facts_present, hit_at_k, mean, overlaps, percentile, reciprocal_rank


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


def test_bm25_ranking_matches_rank_bm25_on_rare_terms():
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(200)]
    docs = [list(rng.choice(vocab, size=rng.integers(5, 20))) for _ in range(60)]
    ours = BM25Index.build([str(i) for i in range(60)], docs, k1=1.5, b=0.75)
    ref = BM25Okapi(docs, k1=1.5, b=0.75)
    for q in (["w1"], ["w7"], ["w150"]):
        df = ours.doc_freq(q[0])
        if df == 0 or df > 20:
            continue
        a = np.argsort(-ours.scores(q), kind="stable")[:df]
        b = np.argsort(-ref.get_scores(q), kind="stable")[:df]
        assert set(a) == set(b)


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


def test_metrics_hand_computed():
    assert facts_present("26 countries are ready", [["26", "twenty-six"]])
    assert not facts_present("ready", [["26"]])
    assert facts_present("Élysée", [["elysee"]])
    assert overlaps((0, 5), (4, 9)) and not overlaps((0, 4), (4, 9))
    assert hit_at_k([False, True], 1) == 0.0 and hit_at_k([False, True], 2) == 1.0
    assert reciprocal_rank([False, True]) == 0.5 and reciprocal_rank([]) == 0.0
    assert mean([1, 0]) == 0.5 and mean([]) == 0.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 95) == 10
