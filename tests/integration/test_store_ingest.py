"""Ingest and store behaviour over the real archive, tantivy and embedded Chroma, with the FAKE hash embedder."""

from pathlib import Path

import numpy as np
import pytest

from rag.index.ingest import chunk_article
from rag.index.loader import parse_article
from rag.text import tokenize
from tests.conftest import consistent_counts as consistent
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
    old_ids = set(fake_pipeline.chunks())
    assert all(fake_pipeline.corpus.chunk(c) is not None for c in old_ids)
    p.write_text(" date 2025-09-04 A completely new single sentence.", encoding="utf-8")
    r = fake_pipeline.ingest([src])
    assert r.updated == ("a1",)
    assert consistent(fake_pipeline.store) == (1, 1)
    assert fake_pipeline.store.lexical.num_docs() == 1 and fake_pipeline.store.vectors.count() == 1
    assert not (set(fake_pipeline.chunks()) & old_ids)
    assert all(fake_pipeline.corpus.chunk(c) is None for c in old_ids)
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
    """Simulate a crash after an article's sentences and passages were written but before its
    archive row (the commit): what a kill -9 between the two leaves."""
    from rag.index.repair import diagnose
    from rag.text import tokenize

    src = tmp_path / "src"
    write_article(src, "a1.txt", "Trump spoke by phone with leaders today.")
    fake_pipeline.ingest([src])
    store = fake_pipeline.store
    art = parse_article(" date 2025-09-06 Crashed article about Macron and tariffs.", "a2")
    chunks = chunk_article(art)
    with store.writing():
        vid = store.archive.begin(["a2"])["a2"].vid
        vecs = fake_pipeline.embedder.embed_documents([c.text for c in chunks])
        store.vectors.upsert([f"{vid}:0"], vecs[:1], [vid], [art.published_int])
        lex = store.lexical_writer()
        lex.add(vid, art.published_int, [tokenize(c.text) for c in chunks])
        lex.commit()
    fake_pipeline.corpus.sync(force=True)
    assert fake_pipeline.corpus.article("a2") is None
    assert store.lexical.num_docs() == 2  # the stray sentence is in the lexical index ...
    q = "What do the articles say about Macron and tariffs?"  # standalone: "What about ...?" gets an ask-back
    ans = fake_pipeline.ask(q)
    assert all(c.article_id != "a2" for c in ans.citations)  # ... and never quoted
    found = diagnose(store)
    assert found.journal == 1 and found.stray_passages == [f"{vid}:0"] and found.lexical
    write_article(src, "a2.txt", "Crashed article about Macron and tariffs.", "2025-09-06")
    r = fake_pipeline.ingest([src])
    assert r.added == ("a2",)
    assert consistent(store) == (2, 2)
    assert fake_pipeline.ask(q).citations[0].article_id == "a2"


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
    with fake_pipeline.store.writing():
        assert fake_pipeline.store.delete(["old", "never-there"]) == ["old"]
    assert consistent(fake_pipeline.store) == (1, 1)


def test_embedder_mismatch_is_refused(tmp_path):
    from rag.errors import ConfigError
    from rag.index.embed import FakeHashEmbedder
    from rag.index.store import ArchiveStore

    art = parse_article(" date 2025-09-04 One sentence here for the index.", "a1")
    a = ArchiveStore(tmp_path / "d", embedder_name="model-a")
    with a.writing():
        a.write_articles([(art, chunk_article(art), FakeHashEmbedder().embed_documents([art.text]))])
    b = ArchiveStore(tmp_path / "d", embedder_name="model-b")
    with pytest.raises(
        ConfigError,
        match=r"built with embedder 'model-a' \(this setup uses 'model-b'\).*run `rag ingest` to re-index",
    ):
        b.check()
    b.reset()  # what a rebuild does first: works whatever built the index
    assert b.counts() == (0, 0) and b.format_mismatch() == ""
    b.check()
    assert ArchiveStore(tmp_path / "d", embedder_name="model-b").counts() == (0, 0)


def test_an_index_of_the_per_sentence_layout_is_migrated_with_its_articles(tmp_path, fake_pipeline):
    """Layout 2 kept every article text in Chroma and a vector per sentence; the first `rag ingest`
    of this layout carries its articles over into the archive and drops the old collections."""
    import chromadb
    from chromadb.config import Settings

    from rag.errors import ConfigError

    data = fake_pipeline.settings.data_dir
    client = chromadb.PersistentClient(path=str(data), settings=Settings(anonymized_telemetry=False))
    client.get_or_create_collection("news_chunks", embedding_function=None, metadata={"layout": "2"})
    old = client.get_or_create_collection("news_articles", embedding_function=None)
    old.upsert(
        ids=["old1"],
        embeddings=[[0.0]],
        documents=["Trump spoke by phone with leaders on Thursday."],
        metadatas=[{"published": "2025-09-04", "digest": "x"}],
    )
    assert "layout '2'" in fake_pipeline.store.format_mismatch()
    with pytest.raises(ConfigError, match=r"layout '2'.*run `rag ingest` to re-index"):
        fake_pipeline.corpus.sync(force=True)
    src = tmp_path / "src"
    write_article(src, "a1.txt", "Macron hosted the meeting in Paris.")
    report = fake_pipeline.ingest([src])
    assert sorted(report.added) == ["a1", "old1"]
    assert (
        fake_pipeline.store.format_mismatch() == "" and not fake_pipeline.store.vectors.legacy_collections()
    )
    assert fake_pipeline.article("old1").text == "Trump spoke by phone with leaders on Thursday."
    assert consistent(fake_pipeline.store) == (2, 2)


def test_store_needs_exactly_one_vector_location(tmp_path):
    from rag.errors import ConfigError
    from rag.index.chroma import ChromaPassages

    with pytest.raises(ConfigError):
        ChromaPassages()
    with pytest.raises(ConfigError):
        ChromaPassages(data_dir=tmp_path, url="http://127.0.0.1:1")


def test_write_article_validates(fake_pipeline):
    art = parse_article(" date 2025-09-04 One sentence here.", "a1")
    with pytest.raises(ValueError, match="embeddings"):
        fake_pipeline.store.write_articles([(art, chunk_article(art), np.zeros((0, 64)))])


def test_an_index_from_another_setup_is_rebuilt_with_its_articles_carried_over(tmp_path):
    """A new embedder (or chunker, or row layout) must not strand what was indexed before."""
    from rag.config import load_settings
    from rag.index.embed import FakeHashEmbedder
    from rag.pipeline import build_pipeline

    class OtherFakeEmbedder(FakeHashEmbedder):
        """FAKE: a second hash embedder, standing in for a changed model."""

        name = "fake-hash-other"

    first, later = tmp_path / "first", tmp_path / "later"
    write_article(first, "a1.txt", "Trump spoke by phone with leaders today.", "2025-09-01")
    write_article(first, "a2.txt", "Macron hosted the meeting in Paris.", "2025-09-02")
    write_article(later, "a3.txt", "Zelensky thanked the coalition.", "2025-09-03")
    write_article(later, "a2.txt", "Macron hosted the talks in Paris on Thursday.", "2025-09-02")
    settings = load_settings(data_dir=tmp_path / "data")
    build_pipeline(settings, embedder=FakeHashEmbedder()).ingest([first])

    pipe = build_pipeline(settings, embedder=OtherFakeEmbedder(dim=32))
    assert "embedder 'fake-hash'" in pipe.store.format_mismatch()
    report = pipe.ingest([later])
    assert sorted(report.added) == ["a1", "a2", "a3"] and not report.failed
    assert pipe.store.format_mismatch() == ""
    assert pipe.corpus.article("a2").text == "Macron hosted the talks in Paris on Thursday."  # the file wins
    assert pipe.corpus.article("a1").text == "Trump spoke by phone with leaders today."  # carried over
    assert pipe.ask("Who spoke by phone with leaders?").citations[0].article_id == "a1"

    again = build_pipeline(settings, embedder=OtherFakeEmbedder(dim=32)).ingest([later], rebuild=True)
    assert sorted(again.added) == ["a2", "a3"]  # --rebuild starts from the given files only


@pytest.mark.integration
def test_ingest_through_the_child_embedder_stores_what_in_process_ingest_stores(tmp_path, minilm, seeds_dir):
    """A large ingest embeds in a child process while it writes; the index must be the one an
    in-process ingest builds: same articles, same chunk ids, same vectors (bit for bit)."""
    from rag.index.embed_child import ChildProcessEmbedder
    from rag.index.ingest import Indexer
    from rag.index.store import ArchiveStore

    stores = {}
    for how in ("in-process", "child"):
        store = ArchiveStore(tmp_path / how, embedder_name=minilm.name)
        made: list[ChildProcessEmbedder] = []

        def background(made=made) -> ChildProcessEmbedder:
            made.append(ChildProcessEmbedder(minilm.model_dir))
            return made[-1]

        indexer = Indexer(
            store,
            minilm,
            batch_chunks=20,  # several batches, so one is in flight while another is written
            background=background if how == "child" else None,
            background_min_articles=1,
        )
        with store.writing():
            report = indexer.ingest([seeds_dir])
        assert len(report.added) == 3 and not report.failed
        assert len(made) == (1 if how == "child" else 0)
        assert all(m._proc is None for m in made)  # closed at the end of the ingest
        stores[how] = store
    a, b = stores["in-process"], stores["child"]
    assert a.digests() == b.digests() and consistent(a) == consistent(b)
    rows_a, rows_b = a.rows_by_id(sorted(a.digests())), b.rows_by_id(sorted(b.digests()))
    for aid, ra in rows_a.items():
        va, vb = (
            a.sentence_vectors_of([ra.vid])[ra.vid],
            b.sentence_vectors_of([rows_b[aid].vid])[rows_b[aid].vid],
        )
        assert va is not None and vb is not None and np.array_equal(va, vb)
    ids = sorted(i for i, _ in a.vectors.rows())
    assert ids == sorted(i for i, _ in b.vectors.rows())
    pa, pb = a.vectors.vectors_of(ids), b.vectors.vectors_of(ids)
    assert all(np.array_equal(pa[i], pb[i]) for i in ids)


def test_chunk_offsets_and_tokens_are_kept_and_an_older_archive_gains_them_on_ingest(fake_pipeline, tmp_path):
    src = tmp_path / "src"
    write_article(src, "a1.txt", "U.S. aid rose on Sept. 4 sharply. Briefly. It fell again later that week.")
    fake_pipeline.ingest([src])
    store, corpus = fake_pipeline.store, fake_pipeline.corpus
    vid = store.rows_by_id(["a1"])["a1"].vid
    art = store.get_article("a1")
    assert art is not None
    chunks = chunk_article(art)
    expected = ([[c.start, c.end] for c in chunks], "\n".join(" ".join(tokenize(c.text)) for c in chunks))
    spans, lines = store.chunk_cuts_of([vid])[vid]
    assert (spans.tolist(), lines) == expected and lines.count("\n") == 1  # "Briefly." joins the next one
    assert [c.text for c in corpus.views([vid])[vid].chunks] == [c.text for c in chunks]
    assert corpus.article_tokens("a1") == frozenset(tokenize(art.text)) and "u.s" in corpus.tokens(chunks[0])
    with store.archive._write() as db:  # as an archive written before cuts were kept
        db.execute("DELETE FROM cuts")
    corpus._cache._views.clear()
    assert [c.text for c in corpus.views([vid])[vid].chunks] == [c.text for c in chunks]  # cut again
    assert fake_pipeline.ingest([src]).unchanged == ("a1",)  # `rag ingest` stores the missing cuts
    spans, lines = store.chunk_cuts_of([vid])[vid]
    assert (spans.tolist(), lines) == expected
