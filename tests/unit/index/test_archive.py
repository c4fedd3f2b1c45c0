"""The article archive (a real SQLite file in tmp_path): versions, the journal, the generation."""

import datetime as dt
import threading

import numpy as np
import pytest

from rag.index.archive import Archive
from rag.types import Article, DateRange

A = Article("a", dt.date(2025, 9, 1), "Trump ruled out ground troops on Monday. He offered air support.")
B = Article("b", dt.date(2025, 9, 5), "Macron hosted the summit in Paris on Thursday.")


CUTS = (np.array([(0, 5), (6, 9)], dtype=np.int32).tobytes(), "trump rule\nair support")


def vectors(n: int, dim: int = 4) -> bytes:
    return np.arange(n * dim, dtype=np.float16).tobytes()


def write(archive: Archive, *articles: Article) -> dict[str, int]:
    journal = archive.begin([a.article_id for a in articles])
    archive.commit([(journal[a.article_id].vid, a, 2, 1, vectors(2), CUTS) for a in articles], "me")
    archive.finish(list(journal))
    return {a: p.vid for a, p in journal.items()}


def test_a_commit_is_read_back_by_version_and_by_id(tmp_path):
    archive = Archive(tmp_path)
    assert archive.counts() == (0, 0, 0) and archive.generation() == (0, "")
    vids = write(archive, A, B)
    assert archive.generation() == (1, "me")
    assert archive.counts() == (2, 4, 2)
    row = archive.by_vid([vids["a"]])[vids["a"]]
    assert row.article == A and row.info.digest == A.digest and row.info.headline.startswith("Trump ruled")
    assert archive.by_id(["b", "zz"]).keys() == {"b"}
    assert archive.existing([vids["a"], 999]) == {vids["a"]}
    assert np.array_equal(
        np.frombuffer(archive.vectors_of([vids["b"]])[vids["b"]], np.float16), np.arange(8, dtype=np.float16)
    )
    assert archive.cuts_of([vids["a"], 999]) == {vids["a"]: CUTS} and archive.without_cuts() == []
    assert [i.article_id for i in archive.list_articles()] == ["a", "b"]  # by date, then id
    assert archive.digests() == {"a": A.digest, "b": B.digest}
    assert [r.info.article_id for r in archive.iter_rows(batch=1)] == ["a", "b"]


def test_count_published_counts_committed_articles_within_inclusive_dates(tmp_path):
    archive = Archive(tmp_path)
    write(archive, A, B)
    day = dt.date
    assert archive.count_published(DateRange()) == 2
    assert archive.count_published(DateRange(day(2025, 9, 1), day(2025, 9, 1))) == 1
    assert archive.count_published(DateRange(day(2025, 9, 2), day(2025, 9, 4))) == 0
    assert archive.count_published(DateRange(None, day(2025, 9, 5))) == 2
    assert archive.count_published(DateRange(day(2025, 9, 5), None)) == 1
    archive.begin(["c"])  # journalled, never committed: not counted
    assert archive.count_published(DateRange()) == 2
    db, sql = archive._db(), []
    db.set_trace_callback(sql.append)
    archive.count_published(DateRange(day(2025, 9, 1), None))
    db.set_trace_callback(None)
    plan = db.execute(f"EXPLAIN QUERY PLAN {sql[-1]}").fetchall()
    assert "COVERING INDEX articles_by_date" in str(plan)  # the date index alone: no text is read


def test_every_write_is_a_new_version_and_versions_are_never_reused(tmp_path):
    archive = Archive(tmp_path)
    first = write(archive, A)["a"]
    second = write(archive, Article("a", A.published, "A new text replaces the old one entirely."))["a"]
    assert second > first
    assert archive.existing([first, second]) == {second} and archive.vectors_of(
        [first]
    ) == {} == archive.cuts_of([first])
    archive.reset()
    assert archive.counts() == (0, 0, 0)
    assert write(archive, A)["a"] > second  # a rebuild never hands out an old version id again


def test_the_journal_names_what_an_interrupted_write_touched(tmp_path):
    archive = Archive(tmp_path)
    old = write(archive, A)["a"]
    journal = archive.begin(["a", "b"], deletes=[])
    assert {(p.article_id, p.old_vid) for p in archive.pending()} == {("a", old), ("b", None)}
    assert journal["a"].vid not in (None, old)
    archive.finish(["a", "b"])
    assert archive.pending() == []
    gone = archive.begin([], ["a", "zz"])
    assert gone["a"].vid is None and gone["a"].old_vid == old and gone["zz"].old_vid is None
    assert archive.delete(["a", "zz"], "me") == (["a"], 2)
    assert archive.delete(["a"], "me") == ([], None)  # nothing there: the generation stays
    assert archive.generation()[0] == 2


def test_readers_in_threads_see_commits(tmp_path):
    archive = Archive(tmp_path)
    write(archive, A)
    seen: list[int] = []
    t = threading.Thread(target=lambda: seen.append(Archive(tmp_path).counts()[0]))
    t.start()
    t.join()
    assert seen == [1]


def test_identity_and_meta_persist(tmp_path):
    archive = Archive(tmp_path)
    ident = archive.identity()
    assert len(ident) == 32 and Archive(tmp_path).identity() == ident
    archive.set_meta({"embedder": "x"})
    assert Archive(tmp_path).meta()["embedder"] == "x"


def test_a_failed_transaction_leaves_nothing(tmp_path):
    archive = Archive(tmp_path)
    journal = archive.begin(["a"])
    with pytest.raises(TypeError):
        archive.commit([(journal["a"].vid, A, 2, 1, None, CUTS)], "me")  # type: ignore[list-item]
    assert archive.counts() == (0, 0, 0) and archive.generation()[0] == 0


def test_rows_written_before_offsets_were_kept_are_found_and_filled(tmp_path):
    archive = Archive(tmp_path)
    vids = write(archive, A, B)
    with archive._write() as db:  # an archive from before the spans table had rows in it
        db.execute("DELETE FROM cuts WHERE vid=?", (vids["b"],))
    gen = archive.generation()
    assert [r.vid for r in archive.without_cuts()] == [vids["b"]]
    archive.add_cuts([(vids["b"], *CUTS)])
    assert archive.without_cuts() == [] and archive.generation() == gen  # readers need not reload
    archive.delete(["b"], "me")
    assert archive.cuts_of([vids["b"]]) == {}


def test_counts_read_a_small_index_not_the_rows_with_their_texts(tmp_path):
    """A server's /healthz and start-up count the archive: at 100,000 articles a scan of the
    rows (texts inline) took 0.3 s, of the sizes index ~10 ms."""
    archive = Archive(tmp_path)
    write(archive, A, B)
    db = archive._db()
    plan = " ".join(
        str(r[-1])
        for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT count(*), coalesce(sum(chunks), 0), coalesce(sum(passages), 0) FROM articles"
        )
    )
    assert "COVERING INDEX articles_sizes" in plan
    archive.delete(["a"], "me")
    assert archive.counts() == (1, 2, 1)
