"""The article archive: committed texts and their sentence vectors in one SQLite file.

An article row is the commit marker of the whole index: its text (what citation offsets
index), its sentence vectors (float16, one per chunk) and its cuts (chunk offsets and tokens).
The lexical index (tantivy) and passage vectors (Chroma) are derived from these rows, without
the embedder. Every write of an article gets a new version id (``vid``, never reused): derived
rows are keyed by it, so a derived row whose ``vid`` is not committed here is ignored.

Writes keep a journal (``pending``): the ids about to change, their new and old vids, written
before anything else is touched and cleared after every derived row is in place. After a
kill -9 the next writer finds the journal and deletes the derived rows of uncommitted or
replaced versions (``rag.index.repair``). SQLite in WAL mode gives one writer and many reader
processes, durable commits (``synchronous=FULL``) and a bounded page cache a connection.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.index.rows import day_bounds
from rag.protocols import StoredArticle
from rag.text.headline import headline
from rag.types import Article, ArticleInfo, DateRange

FILE_NAME = "archive.sqlite3"
CACHE_KB = 1024  # SQLite page cache per connection (one connection per thread); article views cache rows
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    vid INTEGER PRIMARY KEY, article_id TEXT NOT NULL UNIQUE, published INTEGER NOT NULL,
    digest TEXT NOT NULL, headline TEXT NOT NULL, chunks INTEGER NOT NULL, passages INTEGER NOT NULL,
    text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS articles_by_date ON articles (published, article_id);
-- counts() reads this instead of every row with its text
CREATE INDEX IF NOT EXISTS articles_sizes ON articles (chunks, passages);
CREATE TABLE IF NOT EXISTS vectors (vid INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS cuts (vid INTEGER PRIMARY KEY, spans BLOB NOT NULL, tokens TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending (article_id TEXT NOT NULL, vid INTEGER, old_vid INTEGER);
"""
_WITHIN = "FROM articles WHERE published BETWEEN ? AND ?"
_COLS = "vid, article_id, published, digest, headline, chunks, passages, text"


@dataclass(frozen=True)
class Pending:
    """A journal entry: ``article_id`` was being written (as ``vid``) or deleted (``vid`` None)
    while ``old_vid`` was committed."""

    article_id: str
    vid: int | None
    old_vid: int | None


def _date(n: int) -> dt.date:
    return dt.date(n // 10000, n // 100 % 100, n % 100)


def _row(r: tuple[int, str, int, str, str, int, int, str]) -> StoredArticle:
    vid, aid, published, digest, head, chunks, _, text = r
    day = _date(published)
    return StoredArticle(vid, ArticleInfo(aid, day, head, chunks, digest), Article(aid, day, text))


class Archive:
    """Article rows, sentence vectors, the generation marker and the write journal."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / FILE_NAME
        self._local = threading.local()
        self._created = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ connection
    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            with self._lock:
                if not self._created:
                    self.folder.mkdir(parents=True, exist_ok=True)
                    self._created = True
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(f"PRAGMA cache_size=-{CACHE_KB}")
            db.executescript(_SCHEMA)
            self._local.db = db
        return db

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed whole, or rolled back (SQLite may already have rolled
        it back itself, e.g. on a full disk; the original error is what is raised)."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # ------------------------------------------------------------------ meta
    def meta(self) -> dict[str, str]:
        return dict(self._db().execute("SELECT key, value FROM meta").fetchall())

    def set_meta(self, values: dict[str, str]) -> None:
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    def identity(self) -> str:
        """This archive's id (made on first use): derived indexes record it, so a vector store
        holding another archive's passages is told apart."""
        found = self.meta().get("archive")
        if found:
            return found
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('archive', ?)", (uuid.uuid4().hex,))
        return self.meta()["archive"]

    def generation(self) -> tuple[int, str]:
        """(changes committed so far, the token of the process that made the last one)."""
        m = dict(self._db().execute("SELECT key, value FROM meta WHERE key IN ('generation', 'writer')"))
        return int(m.get("generation", 0)), m.get("writer", "")

    def _bump(self, db: sqlite3.Connection, writer: str) -> int:
        gen = int((db.execute("SELECT value FROM meta WHERE key='generation'").fetchone() or ("0",))[0]) + 1
        db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)", [("generation", str(gen)), ("writer", writer)]
        )
        return gen

    # ------------------------------------------------------------------ reads
    def _where_in(self, sql: str, keys: Sequence[object]) -> Iterator[tuple[Any, ...]]:
        """Rows of ``sql`` (ending in ``IN``) for ``keys``, 500 keys a query."""
        for i in range(0, len(keys), 500):
            part = list(keys[i : i + 500])
            yield from self._db().execute(f"{sql} ({','.join('?' * len(part))})", part)

    def counts(self) -> tuple[int, int, int]:
        """(articles, chunks, passages) committed (100,000 articles: ~10 ms, 0.3 s without the index)."""
        n, c, p = (
            self._db()
            .execute("SELECT count(*), coalesce(sum(chunks), 0), coalesce(sum(passages), 0) FROM articles")
            .fetchone()
        )
        return int(n), int(c), int(p)

    def count_published(self, dr: DateRange) -> int:
        """Committed articles published within ``dr`` (a count over the date index, no texts read)."""
        return int(self._db().execute(f"SELECT count(*) {_WITHIN}", day_bounds(dr)).fetchone()[0])

    def vids_published(self, dr: DateRange) -> list[int]:
        """The committed versions published within ``dr`` (from the date index)."""
        return [int(v) for (v,) in self._db().execute(f"SELECT vid {_WITHIN}", day_bounds(dr))]

    def versions(self) -> Iterator[tuple[int, int]]:
        """(vid, passage count) of every committed version."""
        yield from self._db().execute("SELECT vid, passages FROM articles ORDER BY vid")

    def digests(self, ids: Sequence[str] | None = None) -> dict[str, str]:
        """Committed article id -> content digest (of ``ids`` only, when given)."""
        if ids is None:
            return dict(self._db().execute("SELECT article_id, digest FROM articles").fetchall())
        return dict(self._where_in("SELECT article_id, digest FROM articles WHERE article_id IN", ids))

    def list_articles(self) -> list[ArticleInfo]:
        rows = self._db().execute(
            "SELECT article_id, published, headline, chunks, digest FROM articles "
            "ORDER BY published, article_id"
        )
        return [ArticleInfo(a, _date(p), h, c, d) for a, p, h, c, d in rows]

    def by_vid(self, vids: Sequence[int]) -> dict[int, StoredArticle]:
        return {r[0]: _row(r) for r in self._where_in(f"SELECT {_COLS} FROM articles WHERE vid IN", vids)}

    def existing(self, vids: Sequence[int]) -> set[int]:
        """Which of ``vids`` are committed versions."""
        return {v for (v,) in self._where_in("SELECT vid FROM articles WHERE vid IN", vids)}

    def by_id(self, article_ids: Sequence[str]) -> dict[str, StoredArticle]:
        return {
            r[1]: _row(r)
            for r in self._where_in(f"SELECT {_COLS} FROM articles WHERE article_id IN", article_ids)
        }

    def vectors_of(self, vids: Sequence[int]) -> dict[int, bytes]:
        """The float16 sentence vectors of committed versions (absent ones left out)."""
        return {v: bytes(d) for v, d in self._where_in("SELECT vid, data FROM vectors WHERE vid IN", vids)}

    def published_of(self, vids: Sequence[int]) -> dict[int, int]:
        """Publication dates (YYYYMMDD) of committed versions."""
        return dict(self._where_in("SELECT vid, published FROM articles WHERE vid IN", vids))

    def cuts_of(self, vids: Sequence[int]) -> dict[int, tuple[bytes, str]]:
        """How committed versions were cut: chunk offsets (int32 start, end pairs), BM25 tokens (a
        line a chunk); none for rows written before they were kept (readers then cut again)."""
        q = "SELECT vid, spans, tokens FROM cuts WHERE vid IN"
        return {v: (bytes(s), t) for v, s, t in self._where_in(q, vids)}

    def without_cuts(self, limit: int = 500) -> list[StoredArticle]:
        """Up to ``limit`` committed versions whose cuts are not stored."""
        q = f"SELECT {_COLS} FROM articles WHERE vid NOT IN (SELECT vid FROM cuts) ORDER BY vid LIMIT ?"
        return [_row(r) for r in self._db().execute(q, (limit,))]

    def add_cuts(self, rows: Sequence[tuple[int, bytes, str]]) -> None:
        """Store committed versions' cuts (no new generation: what is derived from a text stays)."""
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO cuts VALUES (?, ?, ?)", rows)

    def iter_rows(self, batch: int = 500) -> Iterator[StoredArticle]:
        """Every committed article, in vid order, a batch of rows at a time."""
        last = -1
        while True:
            q = f"SELECT {_COLS} FROM articles WHERE vid > ? ORDER BY vid LIMIT ?"
            rows = self._db().execute(q, (last, batch)).fetchall()
            if not rows:
                return
            yield from map(_row, rows)
            last = rows[-1][0]

    def pending(self) -> list[Pending]:
        rows = self._db().execute("SELECT article_id, vid, old_vid FROM pending").fetchall()
        return [Pending(a, v, o) for a, v, o in rows]

    # ------------------------------------------------------------------ writes (writer lock held)
    def begin(self, writes: Sequence[str], deletes: Sequence[str] = ()) -> dict[str, Pending]:
        """Journal the articles about to be written (each gets a new vid) or deleted."""
        with self._write() as db:
            nxt = int((db.execute("SELECT value FROM meta WHERE key='next_vid'").fetchone() or ("1",))[0])
            old: dict[str, int] = {}
            ids = [*writes, *deletes]
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                q = f"SELECT article_id, vid FROM articles WHERE article_id IN ({','.join('?' * len(part))})"
                old.update(db.execute(q, part).fetchall())
            out = {a: Pending(a, nxt + i, old.get(a)) for i, a in enumerate(writes)}
            out.update({a: Pending(a, None, old.get(a)) for a in deletes})
            db.executemany(
                "INSERT INTO pending VALUES (?, ?, ?)",
                [(p.article_id, p.vid, p.old_vid) for p in out.values()],
            )
            db.execute("INSERT OR REPLACE INTO meta VALUES ('next_vid', ?)", (str(nxt + len(writes)),))
        return out

    def commit(
        self, rows: Sequence[tuple[int, Article, int, int, bytes, tuple[bytes, str]]], writer: str
    ) -> int:
        """Commit article versions ``(vid, article, chunks, passages, float16 vectors, cuts)``
        (``cuts_of``) in one transaction, replacing any older version of each; returns the new
        generation."""
        with self._write() as db:
            for vid, a, n_chunks, n_passages, vectors, (spans, tokens) in rows:
                gone = db.execute("SELECT vid FROM articles WHERE article_id=?", (a.article_id,)).fetchone()
                if gone is not None:
                    db.execute("DELETE FROM articles WHERE vid=?", gone)
                    db.execute("DELETE FROM vectors WHERE vid=?", gone)
                    db.execute("DELETE FROM cuts WHERE vid=?", gone)
                db.execute(
                    f"INSERT INTO articles ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        vid,
                        a.article_id,
                        a.published_int,
                        a.digest,
                        headline(a.text),
                        n_chunks,
                        n_passages,
                        a.text,
                    ),
                )
                db.execute("INSERT INTO vectors VALUES (?, ?)", (vid, sqlite3.Binary(vectors)))
                db.execute(
                    "INSERT OR REPLACE INTO cuts VALUES (?, ?, ?)", (vid, sqlite3.Binary(spans), tokens)
                )
            return self._bump(db, writer)

    def delete(self, article_ids: Sequence[str], writer: str) -> tuple[list[str], int | None]:
        """Uncommit articles (rows and vectors) in one transaction; returns the ids that existed
        and the new generation (None if nothing was there)."""
        with self._write() as db:
            found = []
            for a in article_ids:
                r = db.execute("SELECT vid FROM articles WHERE article_id=?", (a,)).fetchone()
                if r is not None:
                    for table in ("articles", "vectors", "cuts"):
                        db.execute(f"DELETE FROM {table} WHERE vid=?", r)
                    found.append(a)
            gen = self._bump(db, writer) if found else None
        return found, gen

    def finish(self, article_ids: Sequence[str]) -> None:
        """Clear the journal entries of articles whose derived rows are all in place."""
        with self._write() as db:
            db.executemany("DELETE FROM pending WHERE article_id=?", [(a,) for a in article_ids])

    def reset(self) -> None:
        """Drop every article, vector and journal entry (``rag ingest --rebuild``); keeps next_vid."""
        with self._write() as db:
            for table in ("articles", "vectors", "cuts", "pending"):
                db.execute(f"DELETE FROM {table}")
            db.execute("DELETE FROM meta WHERE key NOT IN ('next_vid', 'generation', 'writer')")
            self._bump(db, "reset")
