"""The corpus view over a FAKE in-memory store: what it loads, when it reloads, what it answers."""

import datetime as dt

import numpy as np
import pytest

from rag.retrieval.corpus import Corpus
from rag.types import Article, DateRange
from tests.fakes import FakeArticleStore

A = Article(
    "a",
    dt.date(2025, 9, 1),
    "Trump ruled out ground troops on Monday. He offered American air support instead.",
)
B = Article(
    "b",
    dt.date(2025, 9, 5),
    "Macron hosted the summit in Paris on Thursday. Twenty-six countries pledged troops there.",
)


def test_sync_loads_every_committed_article_and_its_chunks():
    corpus = Corpus(FakeArticleStore([A, B]))
    assert corpus.sync() is True
    assert set(corpus.articles) == {"a", "b"}
    assert corpus.article("a") == A
    assert len(corpus) == 4  # two sentences each
    first = next(iter(corpus.by_article["a"]))
    assert corpus.chunk(first.chunk_id) == first
    assert A.text[first.start : first.end] == first.text


def test_sync_reloads_only_when_the_generation_changes_and_the_interval_passed():
    store = FakeArticleStore([A])
    corpus = Corpus(store, refresh_seconds=0.0)
    assert corpus.sync() is True
    assert corpus.sync() is False  # same generation: nothing to do
    store.put(B)
    assert corpus.sync() is True and corpus.article("b") == B
    slow = Corpus(store, refresh_seconds=3600)
    slow.sync()
    store.put(Article("c", dt.date(2025, 9, 6), "A third article arrives a little late."))
    assert slow.sync() is False and slow.article("c") is None  # not checked again yet
    assert slow.sync(force=True) is True and slow.article("c") is not None


def test_an_article_whose_text_does_not_match_its_digest_is_left_out():
    class TamperedStore(FakeArticleStore):
        def iter_articles(self):
            for info, art in super().iter_articles():
                yield (
                    info,
                    (
                        Article(art.article_id, art.published, art.text + " tampered")
                        if art.article_id == "b"
                        else art
                    ),
                )

    corpus = Corpus(TamperedStore([A, B]))
    corpus.sync()
    assert set(corpus.articles) == {"a"}
    assert all(c.article_id == "a" for c in corpus.chunks.values())


def test_neighbours_tokens_and_term_knowledge():
    corpus = Corpus(FakeArticleStore([A]))
    corpus.sync()
    first, second = corpus.by_article["a"]
    assert corpus.neighbour(first, 1) == second
    assert corpus.neighbour(second, -1) == first
    assert corpus.neighbour(second, 1) is None and corpus.neighbour(first, -1) is None
    assert "troop" in corpus.tokens(first)
    assert corpus.doc_freq("troop") == 1 and corpus.doc_freq("zebra") == 0
    assert corpus.knows_term("troop")
    assert corpus.knows_term("instead")
    assert not corpus.knows_term("zebra")
    assert "air" in corpus.article_tokens("a")


def test_date_mask_and_lexical_and_dense_respect_the_range():
    store = FakeArticleStore([A, B])
    corpus = Corpus(store)
    corpus.sync()
    assert corpus.date_mask(DateRange()) is None
    mask = corpus.date_mask(DateRange(dt.date(2025, 9, 2), None))
    assert mask is not None and mask.sum() == 2
    only_b = DateRange(dt.date(2025, 9, 2), None)
    assert [cid.split(":")[0] for cid, _ in corpus.lexical("troops", 5, only_b)] == ["b"]
    assert {cid.split(":")[0] for cid, _ in corpus.lexical("troops", 5, DateRange())} == {"a", "b"}
    vec = store.embedder.embed_query("Macron hosted the summit")
    hits = corpus.dense(vec, 2, DateRange(None, dt.date(2025, 9, 1)))
    assert hits and all(cid.startswith("a:") for cid, _ in hits)


def test_vectors_are_cached_after_one_store_call():
    store = FakeArticleStore([A])
    corpus = Corpus(store)
    corpus.sync()
    ids = list(corpus.chunks)
    calls = []
    original = store.embeddings_for
    store.embeddings_for = lambda cids: (calls.append(list(cids)), original(cids))[1]  # type: ignore[method-assign]
    first = corpus.vectors(ids)
    again = corpus.vectors(ids)
    assert len(calls) == 1
    assert all(np.array_equal(first[c], again[c]) for c in ids)


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_store_gives_an_empty_view(text):
    corpus = Corpus(FakeArticleStore())
    corpus.sync()
    assert corpus.articles == {} and len(corpus) == 0
    assert corpus.lexical(text or "anything", 3, DateRange()) == []


def test_a_misspelt_word_is_matched_as_the_word_it_stands_for():
    corpus = Corpus(FakeArticleStore([A, B]))
    corpus.sync()
    assert corpus.correct_term("countri") is None  # a known word is not "corrected"
    assert corpus.correct_term("contri") == "countri"  # "contries" -> the stem of "countries"
    assert corpus.canonical("contri") == "countri"
    assert corpus.correct_term("zzzzzz") is None
    assert corpus.correct_term("tru") is None  # too short to guess
    assert corpus.lexical("contries pledged", 5, DateRange())[0][0].startswith("b:")


def test_article_tokens_are_the_union_of_its_chunks_tokens():
    """Read in one pass over the joined chunk texts; the same set as chunk by chunk, on the seeds
    and on boundaries that could merge words (a possessive, an initialism, "US", a number)."""
    from rag.index.loader import load_file
    from tests.conftest import SEEDS

    tricky = Article(
        "t",
        dt.date(2025, 9, 1),
        "It was the minister's. 's words came later. He met U.S. officials. US aid rose 1,200. "
        "Σ 4.5 percent. “Élysée’s” plan. It was Trump's",
    )
    arts = [load_file(p) for p in sorted(SEEDS.glob("*.txt"))] + [tricky]
    corpus = Corpus(FakeArticleStore(arts))
    corpus.sync()
    for art in arts:
        chunks = corpus.by_article[art.article_id]
        assert len(chunks) > 1
        assert corpus.article_tokens(art.article_id) == frozenset().union(*(corpus.tokens(c) for c in chunks))
