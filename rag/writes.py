"""The pipeline's write side: index files or parsed articles, delete articles, undo what an
interrupted write left, each under the writer lock.

One writer at a time (``rag.index.lock``: an OS lock on ``RAG_DATA_DIR``, in both modes, since
the archive and the lexical index are local even with a Chroma server); a write starts from an
instance that has read every earlier write, another process's included, and the answerer's
view (``Corpus``) is synced when it ends. ``Pipeline`` keeps the public methods and hands them
here, so the read side stays one module and the write side another.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.errors import IndexBusyError, NotFoundError
from rag.index.embed_child import background_factory
from rag.index.ingest import Indexer
from rag.index.lock import WriterLock
from rag.index.repair import repair
from rag.index.store import ArchiveStore
from rag.protocols import Embedder
from rag.retrieval.corpus import Corpus
from rag.types import Article, IngestReport


@dataclass
class ArticleWriter:
    """Writes to ``store`` (holding ``lock`` when there is one) and syncs ``corpus`` after."""

    store: ArchiveStore
    embedder: Embedder
    corpus: Corpus
    lock: WriterLock | None = None
    wait: float = 0.0  # seconds a write waits for another process's write before IndexBusyError

    def ingest(self, paths: list[Path], progress: bool = False, rebuild: bool = False) -> IngestReport:
        """Index files (see ``Pipeline.ingest``)."""
        return self._index(paths, [], progress=progress, rebuild=rebuild)

    def add_articles(
        self, articles: Sequence[Article], on_article: Callable[[str, str], None] | None = None
    ) -> IngestReport:
        """Index parsed articles in one commit (see ``Pipeline.add_articles``)."""
        return self._index([], articles, on_article=on_article)

    def delete(self, article_ids: Sequence[str], missing_ok: bool = True) -> list[str]:
        """Delete articles (see ``Pipeline.delete``)."""
        with self.writing():
            return self._delete(article_ids, missing_ok)

    def replay_journal(self) -> None:
        """Undo what an interrupted write left, unless another process is writing now."""
        if self.store.archive.pending():
            with contextlib.suppress(IndexBusyError), self.writing():
                self.store.replay_journal()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the writer lock for a write, writing from an instance that has read every
        earlier write (another process's included); without a lock, just the write."""
        if self.lock is None:
            yield
            return
        with self.lock.hold(self.wait), self.store.writing():
            self.store.refresh()
            yield

    def _delete(self, article_ids: Sequence[str], missing_ok: bool) -> list[str]:
        if not missing_ok:
            known = self.store.get_articles(article_ids)
            unknown = sorted({a for a in article_ids if a not in known})
            if unknown:
                raise NotFoundError(
                    f"no article {', '.join(map(repr, unknown))} in {self.store.location}: nothing deleted "
                    "(an id is its file's name without .txt; GET /v1/articles lists them)"
                )
        deleted = self.store.delete(article_ids)
        if deleted:
            self.corpus.sync(force=True)
        return deleted

    def _index(
        self,
        paths: list[Path],
        articles: Sequence[Article],
        progress: bool = False,
        rebuild: bool = False,
        on_article: Callable[[str, str], None] | None = None,
    ) -> IngestReport:
        with self.writing():
            return self._index_locked(paths, articles, progress, rebuild, on_article)

    def _index_locked(
        self,
        paths: list[Path],
        articles: Sequence[Article],
        progress: bool,
        rebuild: bool,
        on_article: Callable[[str, str], None] | None,
    ) -> IngestReport:
        carry: list[Article] = []
        # an index from another setup: re-index it with its stored articles carried over; one a
        # failed write damaged (checked on `rag ingest`): repaired from its archive
        if not rebuild and self.store.format_mismatch():
            carry = self.store.stored_articles()
            rebuild = True
        elif not rebuild and paths:
            repair(self.store)
        if rebuild:
            self.store.reset()
        background = background_factory(self.embedder)
        report = Indexer(self.store, self.embedder, background=background).ingest(
            paths, progress, on_article, carry, articles, one_commit=not paths and not carry
        )
        self.corpus.sync(force=True)
        return report
