"""Index article files: load, chunk, embed, write, skipping articles whose content is unchanged.

Bad files are reported with their reason and never stop the others. Each batch is written as
``ArchiveStore.write_articles`` does it: journalled, derived rows (lexical index, passage vectors) first,
then the archive rows in one SQLite transaction as the commit marker, so an interrupted run
leaves no half article visible and the next writer or server start repairs it. A folder is
committed batch by batch (a crash loses at most one batch); ``one_commit`` (articles sent to a
running service) commits up to ``ONE_COMMIT_MAX`` articles at once, so a kill -9 leaves none or
all (a bigger upload is batched). Embedding is batched across articles, which is where the time
goes; on a large ingest a child process embeds the next batch while this one writes the current
batch (``ChildProcessEmbedder``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from pathlib import Path

import numpy as np

from rag.errors import ArticleError
from rag.index.loader import discover, load_file
from rag.index.store import ArchiveStore
from rag.protocols import BackgroundEmbedder, Embedder
from rag.text import chunk_article
from rag.types import Article, Chunk, FileFailure, IngestReport

__all__ = ["ONE_COMMIT_MAX", "Indexer", "chunk_article"]
ONE_COMMIT_MAX = 1000  # articles committed by one call (an API request holds at most 100)


class Indexer:
    """Turns files into committed articles in a store."""

    def __init__(
        self,
        store: ArchiveStore,
        embedder: Embedder,
        batch_chunks: int = 2048,
        background: Callable[[], BackgroundEmbedder] | None = None,
        background_min_articles: int = 300,
    ) -> None:
        """``batch_chunks``: chunks embedded and written per batch. Every Chroma write call has a
        fixed cost (a transaction, the full-text index of the article rows), so 2,048 chunks
        (about 75 articles) a batch ingest 10% faster than 512; a crash loses at most one batch.

        ``background``: makes a ``ChildProcessEmbedder`` (same vectors as ``embedder``), used
        when at least ``background_min_articles`` sources are to be indexed, so that embedding
        the next batch overlaps writing this one. Smaller ingests embed in-process.
        """
        if batch_chunks < 1:
            raise ValueError(f"batch_chunks must be >= 1, got {batch_chunks}")
        self.store = store
        self.embedder = embedder
        self.batch_chunks = batch_chunks
        self.background = background
        self.background_min_articles = background_min_articles

    def ingest(
        self,
        paths: Iterable[Path],
        progress: bool = False,
        on_article: Callable[[str, str], None] | None = None,
        carry_over: Sequence[Article] = (),
        articles: Sequence[Article] = (),
        one_commit: bool = False,
    ) -> IngestReport:
        """Index every article file under ``paths``; returns what was added/updated/unchanged/failed.

        ``articles``: already parsed articles to index like files (e.g. uploaded through the API).
        ``carry_over``: articles already loaded (from an index being rebuilt) to index as well,
        unless a file under ``paths`` has the same id (the file wins).
        ``one_commit``: one batch (up to ``ONE_COMMIT_MAX`` sources), so the article rows (commit
        markers) are written in one call.
        """
        failed: list[FileFailure] = []
        files: list[Path] = []
        for item in discover(paths):
            (failed.append if isinstance(item, FileFailure) else files.append)(item)  # type: ignore[arg-type]
        # (where it comes from, the article if already loaded, carried over?): files load below
        sources: list[tuple[Path, Article | None, bool]] = [(p, None, False) for p in files]
        sources += [(Path(f"(given) {a.article_id}"), a, False) for a in articles]
        sources += [(Path(f"(stored) {a.article_id}"), a, True) for a in carry_over]
        one_commit = one_commit and len(sources) <= ONE_COMMIT_MAX
        # a folder: every committed digest; articles sent to a service: only theirs (an archive
        # of 100,000 articles need not be read for one upload)
        known = self.store.digests(None if files else [a.article_id for _, a, _ in sources if a is not None])
        added: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        pending: list[tuple[Article, list[Chunk]]] = []
        seen: dict[str, Path] = {}

        bar = _progress(len(sources), progress)
        child = (
            self.background()
            if self.background is not None and len(sources) >= self.background_min_articles
            else None
        )
        writer = _BatchWriter(self.store, self.embedder, child, on_article, bar)
        try:
            for path, given, carried in sources:
                bar.set_postfix_str(path.name[-30:], refresh=False)
                try:
                    article = given or load_file(path)
                except ArticleError as e:
                    failed.append(FileFailure(str(path), str(e)))
                    bar.update(1)
                    continue
                if carried and article.article_id in seen:
                    bar.update(1)
                    continue
                if article.article_id in seen:
                    failed.append(
                        FileFailure(
                            str(path),
                            f"duplicate article id {article.article_id!r}: also at {seen[article.article_id]}",
                        )
                    )
                    bar.update(1)
                    continue
                seen[article.article_id] = path
                if known.get(article.article_id) == article.digest:
                    unchanged.append(article.article_id)
                    bar.update(1)
                    continue
                (updated if article.article_id in known else added).append(article.article_id)
                pending.append((article, chunk_article(article)))
                if not one_commit and sum(len(c) for _, c in pending) >= self.batch_chunks:
                    writer.add(pending)
                    pending = []
            writer.add(pending)
            writer.finish()
        finally:
            if child is not None:
                child.close()
            bar.close()
        return IngestReport(tuple(added), tuple(updated), tuple(unchanged), tuple(failed), writer.written)


class _BatchWriter:
    """Embeds and writes batches of articles, in order, one batch in flight.

    With a child process, ``add`` starts embedding a batch, then writes the batch before it,
    so the two overlap. Without one they run in turn (both use every core, and a thread
    cannot overlap them: Chroma's writes hold the GIL).
    """

    def __init__(
        self,
        store: ArchiveStore,
        embedder: Embedder,
        child: BackgroundEmbedder | None,
        on_article: Callable[[str, str], None] | None,
        bar: _NoBar,
    ) -> None:
        self.store, self.embedder, self.child = store, embedder, child
        self.on_article, self.bar = on_article, bar
        self.written = 0
        self._inflight: tuple[list[tuple[Article, list[Chunk]]], Future[np.ndarray]] | None = None

    def add(self, batch: list[tuple[Article, list[Chunk]]]) -> None:
        if not batch:
            return
        texts = [c.text for _, chunks in batch for c in chunks]
        if self.child is not None:
            future = self.child.submit(texts)  # embeds while the batch before is written
            self.finish()
        else:
            self.finish()  # nothing to overlap with: write what is done before embedding more
            future = Future()
            future.set_result(self.embedder.embed_documents(texts))
        self._inflight = (batch, future)

    def finish(self) -> None:
        """Write the batch in flight, if any."""
        if self._inflight is None:
            return
        batch, future = self._inflight
        self._inflight = None
        vectors = future.result()
        items, i = [], 0
        for article, chunks in batch:
            items.append((article, chunks, vectors[i : i + len(chunks)]))
            i += len(chunks)
        self.store.write_articles(items)
        if self.on_article:
            for article, _ in batch:
                self.on_article(article.article_id, "written")
        self.bar.update(len(batch))
        self.written += i


class _NoBar:
    def update(self, n: int = 1) -> None: ...
    def set_postfix_str(self, s: str, refresh: bool = True) -> None: ...
    def close(self) -> None: ...


def _progress(total: int, enabled: bool) -> _NoBar:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="article", desc="indexing", dynamic_ncols=True)
