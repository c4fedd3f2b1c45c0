"""The corpus view over a FAKE in-memory store: what it reads on demand, what it keeps, what it answers."""

import datetime as dt

import numpy as np
import pytest

from rag.protocols import StoredArticle
from rag.retrieval.corpus import Corpus
from rag.text import chunk_article
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


def test_sync_reads_nothing_but_the_generation_and_articles_come_on_demand():
    store = FakeArticleStore([A, B])
    corpus = Corpus(store)
    assert corpus.sync() is True
    assert "iter_articles" not in store.calls and "rows_by_vid" not in store.calls
    assert corpus.article("a") == A and corpus.article("zz") is None
    assert len(corpus) == 4  # two sentences each
    first = chunk_article(A)[0]
    assert corpus.chunk(first.chunk_id) == first
    assert corpus.chunk("a:0:0000000000000000") is None and corpus.chunk("nonsense") is None
    assert A.text[first.start : first.end] == first.text
    assert corpus.info("b").headline.startswith("Macron hosted")


def test_sync_follows_the_generation_at_most_every_refresh_seconds():
    store = FakeArticleStore([A])
    corpus = Corpus(store, refresh_seconds=0.0)
    assert corpus.sync() is True
    assert corpus.sync() is False  # same generation: nothing to do
    store.put(B)
    assert corpus.sync() is True and corpus.article("b") == B
    slow = Corpus(store, refresh_seconds=3600)
    slow.sync()
    assert slow.article("c") is None
    store.put(Article("c", dt.date(2025, 9, 6), "A third article arrives a little late."))
    assert slow.sync() is False  # not checked again yet
    assert slow.sync(force=True) is True and slow.article("c") is not None


def test_a_replaced_article_is_read_as_its_new_version_and_old_chunks_are_gone():
    store = FakeArticleStore([A])
    corpus = Corpus(store, refresh_seconds=0.0)
    corpus.sync()
    old = chunk_article(A)[0]
    assert corpus.chunk(old.chunk_id) == old
    new = Article("a", A.published, "Trump ruled out ground troops on Tuesday. Nothing else was said.")
    store.put(new)
    corpus.sync()
    assert corpus.article("a") == new
    assert corpus.chunk(old.chunk_id) is None and corpus.neighbour(old, 1) is None
    assert [c.article_digest for c, _ in corpus.lexical("troops", 5, DateRange())] == [new.digest]


def test_an_article_whose_text_does_not_match_its_digest_is_left_out():
    class TamperedStore(FakeArticleStore):
        def rows_by_vid(self, vids):
            rows = super().rows_by_vid(vids)
            return {
                v: StoredArticle(r.vid, r.info, Article("b", r.article.published, r.article.text + " x"))
                if r.info.article_id == "b"
                else r
                for v, r in rows.items()
            }

    corpus = Corpus(TamperedStore([A, B]))
    corpus.sync()
    assert corpus.article("b") is None and corpus.article("a") == A
    assert {c.article_id for c, _ in corpus.lexical("troops", 5, DateRange())} == {"a"}


def test_neighbours_tokens_and_term_knowledge():
    corpus = Corpus(FakeArticleStore([A]))
    corpus.sync()
    first, second = chunk_article(A)
    assert corpus.neighbour(first, 1) == second
    assert corpus.neighbour(second, -1) == first
    assert corpus.neighbour(second, 1) is None and corpus.neighbour(first, -1) is None
    assert "troop" in corpus.tokens(first)
    assert corpus.doc_freq("troop") == 1 and corpus.doc_freq("zebra") == 0
    assert corpus.knows_term("troop")
    assert corpus.knows_term("instead")
    assert corpus.knows_term("insteadily")  # shares its first five letters with "instead"
    assert not corpus.knows_term("zebra")
    assert "air" in corpus.article_tokens("a") and corpus.article_tokens("zz") == frozenset()


def test_lexical_and_dense_respect_the_date_range():
    store = FakeArticleStore([A, B])
    corpus = Corpus(store)
    corpus.sync()
    only_b = DateRange(dt.date(2025, 9, 2), None)
    assert [c.article_id for c, _ in corpus.lexical("troops", 5, only_b)] == ["b"]
    assert {c.article_id for c, _ in corpus.lexical("troops", 5, DateRange())} == {"a", "b"}
    vec = store.embedder.embed_query("Macron hosted the summit")
    hits = corpus.dense(vec, 2, DateRange(None, dt.date(2025, 9, 1)))
    assert hits and all(c.article_id == "a" for c, _ in hits)


def test_dense_scores_each_sentence_by_its_own_vector():
    store = FakeArticleStore([A, B])
    corpus = Corpus(store)
    corpus.sync()
    q = store.embedder.embed_query("Twenty-six countries pledged troops there.")
    hits = corpus.dense(q, 4, DateRange())
    own = corpus.vectors([c.chunk_id for c, _ in hits])
    for c, sim in hits:
        assert sim == pytest.approx(float(own[c.chunk_id] @ q), abs=1e-6)
    assert hits[0][0].text == "Twenty-six countries pledged troops there."
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_vectors_are_the_stored_sentence_vectors_and_views_are_bounded():
    store = FakeArticleStore(
        [A, B, Article("c", dt.date(2025, 9, 7), "One more article here. And a second sentence.")]
    )
    corpus = Corpus(store, view_cache=2)
    corpus.sync()
    for art in (A, B):
        chunks = chunk_article(art)
        got = corpus.vectors([c.chunk_id for c in chunks])
        expected = store.embedder.embed_documents([c.text for c in chunks])
        for c, e in zip(chunks, expected, strict=True):
            assert got[c.chunk_id].dtype == np.float32
            assert np.allclose(got[c.chunk_id], e, atol=2e-3)  # float16 storage
    corpus.article("c")
    assert len(corpus._cache) == 2  # the least recently used article was let go


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_store_gives_an_empty_view(text):
    corpus = Corpus(FakeArticleStore())
    corpus.sync()
    assert len(corpus) == 0 and corpus.article("a") is None
    assert corpus.lexical(text or "anything", 3, DateRange()) == []
    assert corpus.dense(np.ones(64, dtype=np.float32), 3, DateRange()) == []


def test_a_misspelt_word_is_matched_as_the_word_it_stands_for():
    corpus = Corpus(FakeArticleStore([A, B]))
    corpus.sync()
    assert corpus.correct_term("countri") is None  # a known word is not "corrected"
    assert corpus.correct_term("contri") == "countri"  # "contries" -> the stem of "countries"
    assert corpus.canonical("contri") == "countri"
    assert corpus.correct_term("zzzzzz") is None
    assert corpus.correct_term("tru") is None  # too short to guess
    assert corpus.lexical("contries pledged", 5, DateRange())[0][0].article_id == "b"


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
        chunks = chunk_article(art)
        assert len(chunks) > 1
        assert corpus.article_tokens(art.article_id) == frozenset().union(*(corpus.tokens(c) for c in chunks))


def test_a_cached_view_of_a_replaced_version_is_let_go_and_its_stale_hits_dropped():
    """A lexical hit can still name a replaced version (its derived rows go after the new
    commit, or a crash left them): once the generation moves on, the old view is not used."""

    class StaleHits(FakeArticleStore):
        stale: tuple[tuple[int, int, float], ...] = ()

        def lexical_hits(self, tokens, k, dr):
            return list(self.stale) + super().lexical_hits(tokens, k, dr)

    store = StaleHits([A])
    corpus = Corpus(store, refresh_seconds=0.0)
    corpus.sync()
    old_vid = store.ids["a"]
    assert corpus.views([old_vid])  # cached
    store.put(Article("a", A.published, "Trump ruled out ground troops on Tuesday. Nothing else was said."))
    store.stale = ((old_vid, 0, 99.0),)
    corpus.sync()
    assert corpus.views([old_vid]) == {}
    assert all(
        c.article_digest == corpus.article("a").digest for c, _ in corpus.lexical("troops", 5, DateRange())
    )


def test_a_names_adjective_forms_come_from_the_index_vocabulary():
    italy = Article(
        "i", dt.date(2025, 9, 4), "Italy backed Kyiv. The Italian premier said Rome would train troops."
    )
    corpus = Corpus(FakeArticleStore([A, B, italy]))
    corpus.sync()
    assert corpus.name_forms("itali") == {"italian"}
    assert corpus.name_forms("ukrain") == frozenset()  # no article says "Ukrainian"
    assert corpus.name_forms("itali") is corpus.name_forms("itali")  # cached
