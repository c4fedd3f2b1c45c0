"""The lexical index on disk: every committed sentence chunk in tantivy, scored by BM25 over our
own tokens (``rag.text.tokenize``: folded, Porter-stemmed, stop words out), so rankings stay
comparable with the in-memory ``BM25Index`` it replaces (same k1 = 1.2, b = 0.75 and idf).

tantivy gives durable commits, one writer (its own lock file, dropped when the process dies)
and many reader processes, each reading the files through the OS page cache instead of holding
postings in its heap. Nothing is stored per document but numbers: ``sid`` (version id and chunk
number, a fast field read without the document store), ``vid`` (to delete a version) and
``day`` (to filter by date). Texts stay in the archive; a reader keeps only hits whose version
the archive has committed (see ``rag.index.archive``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

FOLDER = "lexical"
SCHEMA_TAG = "sentences-v1"  # fields below; an index with another tag is rebuilt from the archive
SEQ_BITS = 20  # a sid is vid << SEQ_BITS | chunk number (chunks per article < 2**20)
WRITER_HEAP = 48_000_000


def sid_of(vid: int, seq: int) -> int:
    """``sid_of(3, 5)`` -> ``3 << 20 | 5`` = 3145733: one number for a chunk of a version."""
    if not 0 <= seq < 1 << SEQ_BITS:
        raise ValueError(f"chunk number {seq} is outside 0..{(1 << SEQ_BITS) - 1}")
    return vid << SEQ_BITS | seq


def split_sid(sid: int) -> tuple[int, int]:
    """``split_sid(3145733)`` -> ``(3, 5)``."""
    return sid >> SEQ_BITS, sid & ((1 << SEQ_BITS) - 1)


def _schema() -> Any:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("tokens", stored=False, tokenizer_name="raw", index_option="freq")
    sb.add_unsigned_field("sid", indexed=False, fast=True)
    sb.add_integer_field("vid", indexed=True, fast=False)  # i64: tantivy-py deletes by i64 terms
    sb.add_integer_field("day", indexed=True, fast=True)
    return sb.build()


class LexicalIndex:
    """Reads (BM25 top-k, document frequencies, the vocabulary) and, with the writer lock, writes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index: Any = None
        self._schema: Any = None
        self._lock = threading.Lock()

    def _open(self, create: bool = False) -> Any:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    import tantivy

                    if not (self.folder / "meta.json").exists() and not create:
                        return None
                    self.folder.mkdir(parents=True, exist_ok=True)
                    self._schema = _schema()
                    index = tantivy.Index(self._schema, path=str(self.folder), reuse=True)
                    index.config_reader(reload_policy="Manual")
                    self._index = index
        return self._index

    def reload(self) -> None:
        """See the last commit (readers call this when the archive's generation moves on)."""
        index = self._open()
        if index is not None:
            index.reload()

    # ------------------------------------------------------------------ reads
    def search(
        self, tokens: Sequence[str], k: int, day_from: int | None = None, day_to: int | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` best (sid, BM25 score) for the query tokens (duplicates count once), within
        an inclusive ``YYYYMMDD`` date range when one end is given."""
        index = self._open()
        terms = list(dict.fromkeys(tokens))
        if index is None or not terms or k <= 0:
            return []
        import tantivy

        q = tantivy.Query
        query = q.boolean_query(
            [(tantivy.Occur.Should, q.term_query(self._schema, "tokens", t)) for t in terms]
        )
        if day_from is not None or day_to is not None:
            dates = q.range_query(
                self._schema, "day", tantivy.FieldType.Integer, day_from, day_to, use_inverted_index=True
            )
            query = q.boolean_query(
                [(tantivy.Occur.Must, query), (tantivy.Occur.Must, q.const_score_query(dates, 0.0))]
            )
        searcher = index.searcher()
        hits = searcher.search(query, k, count=False).hits
        if not hits:
            return []
        sids = searcher.fast_field_values("sid", [a for _, a in hits])
        return [(int(s), float(score)) for (score, _), s in zip(hits, sids, strict=True) if s is not None]

    def doc_freq(self, token: str) -> int:
        """In how many indexed sentences ``token`` occurs (replaced or deleted ones count until
        tantivy merges their segment away)."""
        index = self._open()
        return 0 if index is None else int(index.searcher().doc_freq("tokens", token))

    def num_docs(self) -> int:
        """Indexed sentences (deleted ones excluded)."""
        index = self._open()
        return 0 if index is None else int(index.searcher().num_docs)

    def terms(self, prefix: str, limit: int | None = None) -> list[tuple[str, int]]:
        """Indexed tokens starting with ``prefix`` and their document frequencies, most frequent first."""
        index = self._open()
        if index is None:
            return []
        return [
            (str(t), int(n)) for t, n in index.searcher().terms_with_prefix("tokens", prefix, limit=limit)
        ]

    # ------------------------------------------------------------------ writes
    @contextlib.contextmanager
    def writing(self, heap: int = WRITER_HEAP) -> Iterator[LexicalWriter]:
        """A writer for the block (the caller holds the archive's writer lock); committed work
        stays if the block fails, uncommitted work is dropped."""
        index = self._open(create=True)
        writer = index.writer(heap_size=heap, num_threads=1)
        try:
            yield LexicalWriter(writer)
        except BaseException:
            with contextlib.suppress(Exception):
                writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()  # ends the writer: its lock file is free for the next one
            index.reload()


class LexicalWriter:
    """Adds and deletes article versions' sentences; ``commit`` makes them durable and visible."""

    def __init__(self, writer: Any) -> None:
        self._w = writer

    def add(self, vid: int, day: int, chunk_tokens: Sequence[Sequence[str]]) -> None:
        """Index one version's chunks (``chunk_tokens[i]``: the tokens of chunk ``i``)."""
        import tantivy

        for seq, toks in enumerate(chunk_tokens):
            doc = tantivy.Document()
            doc.add_unsigned("sid", sid_of(vid, seq))
            doc.add_integer("vid", vid)
            doc.add_integer("day", day)
            doc.add_pre_tokenized_text(
                "tokens",
                tantivy.PreTokenizedString(
                    " ".join(toks), [tantivy.Token(t, i, 0, 0) for i, t in enumerate(toks)]
                ),
            )
            self._w.add_document(doc)

    def delete(self, vids: Sequence[int]) -> None:
        for vid in vids:
            self._w.delete_documents_by_term("vid", vid)

    def clear(self) -> None:
        self._w.delete_all_documents()

    def commit(self) -> None:
        self._w.commit()
