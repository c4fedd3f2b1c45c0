"""Dense search within a date range on a real embedded Chroma (FAKE hash embedder): a broad range
asked unfiltered and deeper, a narrow one scored exactly from the archive's sentence vectors, and
Chroma's own filter, agree on what lies within the range."""

import datetime as dt

import numpy as np

from tests.conftest import write_article

TOPICS = ["tariffs on India", "grain shipments", "air defense", "sanctions package", "power lines"]


def _archive(fake_pipeline, tmp_path):
    src = tmp_path / "src"
    for i in range(24):
        day = f"2025-09-{1 + i % 12:02d}"
        body = (
            f"Officials discussed {TOPICS[i % 5]} on day {i}. A second sentence about {TOPICS[(i + 2) % 5]}."
        )
        write_article(src, f"a{i:02d}.txt", body, day)
    fake_pipeline.ingest([src])
    return fake_pipeline.store


def test_the_three_ways_of_a_dated_query_keep_the_range_and_agree(fake_pipeline, tmp_path):
    from rag.index.dated import dated_hits
    from rag.index.rows import day_bounds
    from rag.types import DateRange

    store = _archive(fake_pipeline, tmp_path)
    q = fake_pipeline.embedder.embed_query("grain shipments")
    dr = DateRange(dt.date(2025, 9, 3), dt.date(2025, 9, 4))  # 4 of the 24 articles
    lo, hi = day_bounds(dr)
    inside = set(store.archive.vids_published(dr))
    assert len(inside) == 4 and store.archive.count_published(dr) == 4
    assert all(lo <= d <= hi for d in store.archive.published_of(sorted(inside)).values())

    broad = dated_hits(store.archive, store.vectors, q, 40, dr)  # 4 of 24: unfiltered and deeper
    exact = dated_hits(store.archive, store.vectors, q, 40, dr, cap=0)  # narrow: scored exactly
    filtered = dated_hits(store.archive, store.vectors, q, 40, dr, cap=0, exact_max=0)  # Chroma's filter
    assert {h[0] for h in broad} == {h[0] for h in exact} == {h[0] for h in filtered} == inside
    # exactly scored: each article by its best sentence, best first, and that sentence is the best
    vecs = store.sentence_vectors_of(sorted(inside))
    for vid, seq, sim in exact:
        sims = vecs[vid].reshape(-1, q.shape[0]).astype(np.float32) @ q
        assert seq == int(np.argmax(sims)) and abs(sim - float(sims.max())) < 1e-5
    assert [h[2] for h in exact] == sorted((h[2] for h in exact), reverse=True)
    assert dated_hits(store.archive, store.vectors, q, 2, dr, cap=0) == exact[:2]


def test_a_narrow_range_answers_through_the_pipeline_from_within_it(fake_pipeline, tmp_path, monkeypatch):
    import rag.index.dated as dated
    from rag.types import DateRange, Query

    _archive(fake_pipeline, tmp_path)
    monkeypatch.setattr(dated, "OVERFETCH_MAX", 0)  # every range counts as narrow here
    day = DateRange(dt.date(2025, 9, 5), dt.date(2025, 9, 5))
    calls = []
    exact = dated.nearest_articles
    monkeypatch.setattr(dated, "nearest_articles", lambda *a: calls.append(1) or exact(*a))
    hits = fake_pipeline.retriever.retrieve(Query("air defense", top_k=5, date_range=day))
    assert calls and hits and all(h.chunk.published == dt.date(2025, 9, 5) for h in hits)
    empty = DateRange(dt.date(2030, 1, 1), None)
    assert fake_pipeline.retriever.retrieve(Query("air defense", top_k=5, date_range=empty)) == []
