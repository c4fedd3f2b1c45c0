"""Deleting and adding articles over the real archive, tantivy and embedded Chroma (FAKE hash
embedder): what readers see afterwards, and the `rag delete` command."""

import datetime as dt
import json

import pytest

from rag.errors import NotFoundError
from rag.index.loader import parse_article
from rag.text import chunk_article
from rag.types import Article, DateRange
from tests.conftest import consistent_counts, run_rag, write_article


def test_delete_removes_text_and_chunks_and_moves_the_generation(fake_pipeline, tmp_path):
    src = tmp_path / "src"
    write_article(src, "a1.txt", "Trump spoke by phone with leaders today. He ruled out troops.")
    write_article(src, "a2.txt", "Macron hosted the summit in Paris on Thursday.", "2025-09-05")
    fake_pipeline.ingest([src])
    gen = fake_pipeline.store.generation()
    assert fake_pipeline.delete(["a2", "nope"]) == ["a2"]
    assert fake_pipeline.store.generation() != gen
    assert fake_pipeline.store.get_article("a2") is None
    assert consistent_counts(fake_pipeline.store) == (1, 1)  # its sentences and passages went too
    assert fake_pipeline.corpus.article("a2") is None  # the deleting process's view is fresh
    ans = fake_pipeline.ask("Who hosted the summit in Paris?")
    assert all(c.article_id != "a2" for c in ans.citations)
    gen = fake_pipeline.store.generation()
    assert fake_pipeline.delete(["a2"]) == []  # nothing there: nothing changes
    assert fake_pipeline.store.generation() == gen


def test_delete_with_an_unknown_id_names_it_and_deletes_nothing(fake_pipeline, tmp_path):
    src = tmp_path / "src"
    write_article(src, "a1.txt", "Trump spoke by phone with leaders today.")
    fake_pipeline.ingest([src])
    with pytest.raises(NotFoundError, match=r"no article 'ghost'.*nothing deleted"):
        fake_pipeline.delete(["a1", "ghost"], missing_ok=False)
    assert fake_pipeline.store.counts() == (1, 1)


def test_crash_after_the_article_row_went_leaves_only_orphans_readers_ignore(fake_pipeline, tmp_path):
    """The archive row (commit marker) is deleted first: sentences and passages a crash leaves
    behind are orphans no reader quotes, and the next write removes them."""
    from rag.index.repair import diagnose

    src = tmp_path / "src"
    write_article(src, "a1.txt", "Trump spoke by phone with leaders today.")
    write_article(src, "a2.txt", "Macron hosted the summit in Paris on Thursday.", "2025-09-05")
    fake_pipeline.ingest([src])
    store = fake_pipeline.store
    store.archive.begin([], ["a2"])  # what a crash between the two deletes leaves
    store.archive.delete(["a2"], "crashed-writer")
    fake_pipeline.corpus.sync(force=True)
    assert fake_pipeline.corpus.article("a2") is None
    assert store.lexical.num_docs() == 2 and store.vectors.count() == 2  # the orphans are there
    ans = fake_pipeline.ask("Who hosted the summit in Paris?")
    assert all(c.article_id != "a2" for c in ans.citations)
    assert diagnose(store).journal == 1
    fake_pipeline.delete(["a1"])  # any write replays the journal first
    assert consistent_counts(store) == (0, 0)


def test_add_articles_adds_replaces_and_skips_like_ingest(fake_pipeline):
    a1 = parse_article(" date 2025-09-04 First sentence here today. Second sentence here today.", "a1")
    a2 = Article("a2", dt.date(2025, 9, 5), "Macron hosted the summit in Paris on Thursday.")
    r = fake_pipeline.add_articles([a1, a2])
    assert sorted(r.added) == ["a1", "a2"] and not r.failed
    old = {c.chunk_id for c in chunk_article(a1)}
    assert old <= set(fake_pipeline.chunks())
    new_a1 = Article("a1", dt.date(2025, 9, 4), "A completely new single sentence.")
    seen: list[tuple[str, str]] = []
    r = fake_pipeline.add_articles([new_a1, a2], on_article=lambda i, s: seen.append((i, s)))
    assert r.updated == ("a1",) and r.unchanged == ("a2",)
    assert seen == [("a1", "written")]
    ids = set(fake_pipeline.chunks())
    assert not ids & old and {c.chunk_id for c in chunk_article(new_a1)} <= ids
    assert consistent_counts(fake_pipeline.store) == (2, 2)
    assert fake_pipeline.article("a1") == new_a1
    twice = fake_pipeline.add_articles([a1, Article("a1", dt.date(2025, 9, 4), "Other text here.")])
    assert [f.reason for f in twice.failed] == ["duplicate article id 'a1': also at (given) a1"]


@pytest.mark.integration
def test_rag_delete_command(tmp_path):
    src, data = tmp_path / "src", tmp_path / "data"
    write_article(src, "keep.txt", "Trump spoke by phone with leaders today.")
    write_article(src, "gone.txt", "Macron hosted the summit in Paris on Thursday.", "2025-09-05")
    env = {"RAG_DATA_DIR": str(data)}
    assert run_rag("ingest", str(src), "--quiet", env=env).returncode == 0

    r = run_rag("delete", "gone", "ghost", env=env)
    assert r.returncode == 2 and "no article 'ghost'" in r.stderr and "nothing deleted" in r.stderr
    assert json.loads(run_rag("status", "--json", env=env).stdout)["articles"] == 2

    r = run_rag("delete", "gone", "ghost", "--missing-ok", "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"deleted": ["gone"], "missing": ["ghost"]}
    st = json.loads(run_rag("status", "--json", env=env).stdout)
    assert (st["articles"], st["chunks"]) == (1, 1)
    r = run_rag("show", "gone", env=env)
    assert r.returncode == 2 and "no article 'gone'" in r.stderr


WRITER = """
import sys, numpy as np
from pathlib import Path
from rag.index.embed import FakeHashEmbedder
from rag.index.loader import parse_article
from rag.index.store import ArchiveStore
from rag.text import chunk_article
emb = FakeHashEmbedder()
store = ArchiveStore(Path(sys.argv[1]), embedder_name=emb.name)
arts = [parse_article(f" date 2025-09-{1 + i % 28:02d} Fresh article number {i} about bakeries.", f"n{i}") for i in range(30)]
store.write_articles([(a, chunk_article(a), emb.embed_documents([c.text for c in chunk_article(a)])) for a in arts])
"""


def test_a_reader_survives_another_process_writing_then_refreshes(fake_pipeline, tmp_path):
    """Embedded Chroma keeps its vectors in memory per process: after another process writes, a
    date-filtered query used to fail ("Error finding id"); now it answers from the versions the
    archive has committed, and a refresh (on the generation change) sees the new vectors."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    src = tmp_path / "src"
    write_article(src, "a1.txt", "Trump spoke by phone with leaders today about bakeries.", "2025-09-04")
    fake_pipeline.ingest([src])
    q = fake_pipeline.embedder.embed_query("bakeries")
    september = DateRange(dt.date(2025, 9, 1), dt.date(2025, 9, 30))
    assert [c for c, _ in fake_pipeline.corpus.dense(q, 5, september)]
    gen = fake_pipeline.store.generation()
    subprocess.run(
        [sys.executable, "-c", WRITER, str(fake_pipeline.settings.data_dir)],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    assert fake_pipeline.store.generation() != gen
    found = fake_pipeline.corpus.dense(q, 5, september)  # stale vectors: no error
    assert {c.article_id for c, _ in found} == {"a1"}
    assert fake_pipeline.corpus.sync(force=True)  # refreshes the store, then reloads the view
    found = fake_pipeline.corpus.dense(q, 40, september)
    assert len({c.article_id for c, _ in found}) == 31
    late = DateRange(dt.date(2025, 9, 20), None)
    assert all(c.published >= dt.date(2025, 9, 20) for c, _ in fake_pipeline.corpus.dense(q, 40, late))


def test_forget_embedded_gives_a_new_instance(tmp_path):
    """Guards the chromadb internals ``forget_embedded`` relies on (its per-path instance cache)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    from rag.index.client import open_client

    a = open_client(None, tmp_path)
    assert open_client(None, tmp_path)._server is a._server  # chromadb shares one per path
    b = open_client(None, tmp_path, fresh=True)
    assert b._server is not a._server
    assert SharedSystemClient._identifier_to_system[str(tmp_path)] is b._system
    assert open_client(None, tmp_path)._server is b._server
    assert a.heartbeat() and a.list_collections() == b.list_collections()  # the old one still works


def test_unreadable_vectors_are_reported_then_rebuilt_by_a_plain_ingest(tmp_path):
    """What a full disk leaves (an empty HNSW metadata file): /healthz's probe and diagnose
    say so, and the next ingest rebuilds the passage vectors from the archive (no re-embedding)."""
    from bench.synth import write_corpus
    from rag.config import load_settings
    from rag.errors import StoreUnavailableError
    from rag.index.client import forget_embedded
    from rag.index.embed import FakeHashEmbedder
    from rag.index.repair import diagnose
    from rag.pipeline import build_pipeline

    src = write_corpus(tmp_path / "src", 250, seed=5)  # enough passages for Chroma to persist HNSW files
    data = tmp_path / "data"
    build_pipeline(load_settings(data_dir=data), embedder=FakeHashEmbedder()).ingest([src])
    pickles = list(data.glob("*/index_metadata.pickle"))
    assert pickles, "no HNSW metadata file was written: use a bigger corpus"
    for p in pickles:
        p.write_bytes(b"")
    forget_embedded(data)
    pipe = build_pipeline(load_settings(data_dir=data), embedder=FakeHashEmbedder())
    found = diagnose(pipe.store)
    assert found.unreadable and not found.ok
    with pytest.raises(StoreUnavailableError, match="run `rag ingest` to repair it"):
        pipe.probe()
    report = pipe.ingest([src])
    assert not report.failed and len(report.unchanged) == 250 and report.chunks_written == 0
    assert diagnose(pipe.store).ok
    pipe.probe()
    assert len(pipe.committed()) == 250
