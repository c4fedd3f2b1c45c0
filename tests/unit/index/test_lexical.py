"""The tantivy lexical index (a real index in tmp_path) against the in-memory BM25 reference."""

import pytest

from rag.index.lexical import LexicalIndex, sid_of, split_sid
from rag.index.loader import load_file
from rag.retrieval.bm25 import BM25Index
from rag.text import chunk_article, tokenize
from tests.conftest import SEEDS


@pytest.fixture
def seeded(tmp_path):
    arts = [load_file(p) for p in sorted(SEEDS.glob("*.txt"))]
    lex = LexicalIndex(tmp_path / "lex")
    ids, docs = [], []
    with lex.writing() as w:
        for vid, a in enumerate(arts, 1):
            toks = [tokenize(c.text) for c in chunk_article(a)]
            w.add(vid, a.published_int, toks)
            ids += [str(sid_of(vid, i)) for i in range(len(toks))]
            docs += toks
        w.commit()
    return lex, BM25Index.build(ids, docs), arts


@pytest.mark.parametrize(
    "question",
    ["What did Trump rule out on Aug. 18?", "How many countries are ready to send troops?", "Zelensky Kyiv"],
)
def test_bm25_scores_and_order_match_the_reference(seeded, question):
    lex, ref, _ = seeded
    got = lex.search(tokenize(question), 10)
    want = dict(ref.top(tokenize(question), 200))
    assert got and str(got[0][0]) == ref.top(tokenize(question), 1)[0][0]
    for s, score in got:  # the same BM25 (ties may come in another order)
        assert score == pytest.approx(want[str(s)], rel=1e-5)
    best = sorted(want.values(), reverse=True)[: len(got)]
    assert [sc for _, sc in got] == pytest.approx(best, rel=1e-5)  # the same top scores, in order
    assert len(lex.search(tokenize(question), 1)) == 1


def test_statistics_dates_vocabulary_and_deletes(seeded):
    lex, ref, arts = seeded
    assert lex.num_docs() == len(ref)
    assert lex.doc_freq("troop") == ref.doc_freq("troop") > 0
    assert lex.doc_freq("zebra") == 0
    assert ("countri", ref.doc_freq("countri")) in lex.terms("countr")
    assert lex.terms("countr", limit=1)[0][0].startswith("countr")
    day = arts[0].published_int
    hits = lex.search(tokenize("troops"), 50, day, day)
    on_day = {v for v, a in enumerate(arts, 1) if a.published_int == day}
    everywhere = lex.search(tokenize("troops"), 50)
    assert hits and [s for s, _ in hits] == [s for s, _ in everywhere if split_sid(s)[0] in on_day]
    with lex.writing() as w:
        w.delete([1])
        w.commit()
    assert lex.num_docs() == len(ref) - len(chunk_article(arts[0]))
    assert all(split_sid(s)[0] != 1 for s, _ in lex.search(tokenize("Trump troops"), 50))


def test_a_missing_index_reads_as_empty(tmp_path):
    lex = LexicalIndex(tmp_path / "none")
    assert lex.search(["troop"], 5) == [] and lex.num_docs() == 0 and lex.doc_freq("troop") == 0
    assert lex.terms("t") == [] and not (tmp_path / "none").exists()


def test_uncommitted_work_is_dropped_when_the_block_fails(tmp_path):
    lex = LexicalIndex(tmp_path / "lex")
    with pytest.raises(RuntimeError), lex.writing() as w:
        w.add(1, 20250901, [["troop"]])
        raise RuntimeError("crash before the commit")
    assert lex.num_docs() == 0


def test_sids_pack_version_and_chunk():
    assert sid_of(3, 5) == (3 << 20) | 5 and split_sid(sid_of(3, 5)) == (3, 5)
    assert split_sid(sid_of(2**40, 2**20 - 1)) == (2**40, 2**20 - 1)
    with pytest.raises(ValueError, match="chunk number"):
        sid_of(1, 2**20)
