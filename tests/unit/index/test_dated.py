"""Dense search within a date range (rag.index.dated): the pure ranking here; the three ways a
range is asked (unfiltered and deeper, scored exactly, Chroma's filter) against a real
embedded Chroma in tests/integration/test_dated_search.py."""

import numpy as np


def test_nearest_articles_ranks_articles_by_their_best_sentence():
    from rag.index.dated import nearest_articles

    vecs = {7: np.array([0, 1, 0.6, 0.8], np.float16), 9: np.array([1, 0], np.float16)}
    (v1, s1, c1), (v2, s2, c2) = nearest_articles(np.array([1.0, 0.0]), vecs, 2)
    assert (v1, s1, c1) == (9, 0, 1.0) and (v2, s2) == (7, 1) and abs(c2 - 0.6) < 1e-3  # float16
    assert nearest_articles(np.array([1.0, 0.0]), vecs, 1) == [(9, 0, 1.0)]


def test_nearest_articles_skips_vectors_of_another_dimension_and_empty_ones():
    from rag.index.dated import nearest_articles

    vecs = {1: np.zeros(0, np.float16), 2: np.ones(3, np.float16), 3: np.array([0, 1], np.float16)}
    assert nearest_articles(np.array([0.0, 1.0]), vecs, 5) == [(3, 0, 1.0)]


def test_nearest_articles_breaks_ties_by_version():
    from rag.index.dated import nearest_articles

    same = np.array([1, 0], np.float16)
    assert [v for v, _, _ in nearest_articles(np.array([1.0, 0.0]), {5: same, 2: same}, 2)] == [2, 5]
