"""Ingest and store behaviour over a real embedded Chroma, with the FAKE hash embedder."""

from pathlib import Path

import numpy as np
import pytest

from rag.ingest import chunk_article
from rag.loader import parse_article
from rag.store import chunk_metadata
from tests.conftest import write_article


def test_ingest_summary_and_idempotence(fake_pipeline, tmp_path):
    src = tmp_path / "src"
    write_article(src, "a1.txt", "Trump spoke by phone on Sept. 4. Macron said 26 countries are ready.")
    write_article(src, "a2.txt", "Zelensky demanded binding commitments. Moscow could regroup.", "2025-09-05")
    (src / "bad.txt").write_text("no header here")
    (src / "empty.txt").write_text("")
    r = fake_pipeline.ingest([src])
    assert sorted(r.added) == ["a1", "a2"]
    assert {Path(f.path).name: f.reason for f in r.failed}.keys() == {"bad.txt", "empty.txt"}
    assert fake_pipeline.store.counts() == (2, r.chunks_written)
    again = fake_pipeline.ingest([src])
    assert sorted(again.unchanged) == ["a1", "a2"] and again.chunks_written == 0
    assert fake_pipeline.store.counts() == (2, r.chunks_written)


def test_changed_article_replaces_all_old_chunks(fake_pipeline, tmp_path):
    src = tmp_path / "src"
    p = write_article(
        src, "a1.txt", "First sentence here today. Second sentence here today. Third one here today."
    )
    fake_pipeline.ingest([src])
    old_ids = set(fake_pipeline.corpus.chunks)
    p.write_text(" date 2025-09-04 A completely new single sentence.", encoding="utf-8")
    r = fake_pipeline.ingest([src])
    assert r.updated == ("a1",)
    assert fake_pipeline.store.counts() == (1, 1)
    assert not (set(fake_pipeline.corpus.chunks) & old_ids)
    art = fake_pipeline.store.get_article("a1")
    assert art is not None and art.text == "A completely new single sentence."


def test_chunk_ids_stable_and_spans_exact():
    art = parse_article(
        " date 2025-09-04 U.S. aid rose on Sept. 4 sharply. It fell again later that week.", "a1"
    )
    c1, c2 = chunk_article(art), chunk_article(art)
    assert [c.chunk_id for c in c1] == [c.chunk_id for c in c2]
    assert all(art.text[c.start : c.end] == c.text for c in c1)
    other = parse_article(
        " date 2025-09-04 U.S. aid rose on Sept. 4 sharply. It rose again later that week.", "a1"
    )
    assert chunk_article(other)[0].chunk_id == c1[0].chunk_id
    assert chunk_article(other)[1].chunk_id != c1[1].chunk_id


def test_half_written_article_is_invisible_until_repaired(fake_pipeline, tmp_path):
    """Simulate a crash after the chunks were written but before the article row (the commit)."""
    src = tmp_path / "src"
    write_article(src, "a1.txt", "Trump spoke by phone with leaders today.")
    fake_pipeline.ingest([src])
    art = parse_article(" date 2025-09-06 Crashed article about Macron and tariffs.", "a2")
    chunks = chunk_article(art)
    col, _ = fake_pipeline.store._cols()
    col.upsert(
        ids=[c.chunk_id for c in chunks],
        embeddings=fake_pipeline.embedder.embed_documents([c.text for c in chunks]),
        documents=[c.text for c in chunks],
        metadatas=[chunk_metadata(c) for c in chunks],
    )
    fake_pipeline.store.bump_generation()
    fake_pipeline.corpus.sync(force=True)
    assert "a2" not in fake_pipeline.corpus.articles
    assert all(c.article_id == "a1" for c in fake_pipeline.corpus.chunks.values())
    ans = fake_pipeline.ask("What about Macron and tariffs?")
    assert all(c.article_id != "a2" for c in ans.citations)
    write_article(src, "a2.txt", "Crashed article about Macron and tariffs.", "2025-09-06")
    r = fake_pipeline.ingest([src])
    assert r.added == ("a2",)
    assert fake_pipeline.store.counts() == (2, 2)


def test_date_filter_and_delete(fake_pipeline, tmp_path):
    import datetime as dt

    from rag.types import DateRange, Query

    src = tmp_path / "src"
    write_article(src, "old.txt", "Tariffs on India were imposed.", "2025-01-01")
    write_article(src, "new.txt", "Tariffs on India were raised.", "2025-09-05")
    fake_pipeline.ingest([src])
    q = Query("tariffs India", top_k=5, date_range=DateRange(dt.date(2025, 9, 1), None))
    hits = fake_pipeline.retriever.retrieve(q)
    assert hits and {h.chunk.article_id for h in hits} == {"new"}
    assert fake_pipeline.store.delete_article("old")
    assert fake_pipeline.store.counts() == (1, 1)


def test_embedder_mismatch_is_refused(tmp_path):
    from rag.errors import ConfigError
    from rag.store import ChromaStore

    a = ChromaStore(data_dir=tmp_path / "d", embedder_name="model-a")
    a.counts()
    b = ChromaStore(data_dir=tmp_path / "d", embedder_name="model-b")
    with pytest.raises(ConfigError, match="built with embedder"):
        b.counts()


def test_store_needs_exactly_one_location(tmp_path):
    from rag.errors import ConfigError
    from rag.store import ChromaStore

    with pytest.raises(ConfigError):
        ChromaStore()
    with pytest.raises(ConfigError):
        ChromaStore(data_dir=tmp_path, url="http://127.0.0.1:1")


def test_write_article_validates(fake_pipeline):
    art = parse_article(" date 2025-09-04 One sentence here.", "a1")
    with pytest.raises(ValueError, match="embeddings"):
        fake_pipeline.store.write_article(art, chunk_article(art), np.zeros((0, 64)))
