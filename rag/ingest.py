"""Index article files: load, chunk, embed, write, skipping articles whose content is unchanged.

Bad files are reported with their reason and never stop the others. Each article is written
as a unit (chunks, then its article row as the commit marker), so an interrupted run leaves
no half article visible and the next run repairs it. Embedding is batched across articles,
which is where the time goes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from rag.embed import Embedder
from rag.errors import ArticleError
from rag.loader import discover, load_file
from rag.store import ChromaStore
from rag.text import chunk_spans
from rag.types import Article, Chunk, FileFailure, IngestReport


def chunk_article(article: Article) -> list[Chunk]:
    """Sentence chunks of an article, each with its exact span: ``text[start:end] == chunk.text``."""
    digest = article.digest
    return [
        Chunk(article.article_id, article.published, seq, s, e, article.text[s:e], digest)
        for seq, (s, e) in enumerate(chunk_spans(article.text))
    ]


class Indexer:
    """Turns files into committed articles in a store."""

    def __init__(self, store: ChromaStore, embedder: Embedder, batch_chunks: int = 256) -> None:
        if batch_chunks < 1:
            raise ValueError(f"batch_chunks must be >= 1, got {batch_chunks}")
        self.store = store
        self.embedder = embedder
        self.batch_chunks = batch_chunks

    def ingest(
        self,
        paths: Iterable[Path],
        progress: bool = False,
        on_article: Callable[[str, str], None] | None = None,
    ) -> IngestReport:
        """Index every article file under ``paths``; returns what was added/updated/unchanged/failed."""
        failed: list[FileFailure] = []
        files: list[Path] = []
        for item in discover(paths):
            (failed.append if isinstance(item, FileFailure) else files.append)(item)  # type: ignore[arg-type]
        known = self.store.digests()
        added: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        pending: list[tuple[Article, list[Chunk]]] = []
        seen: dict[str, Path] = {}
        written = 0

        bar = _progress(len(files), progress)
        try:
            for path in files:
                bar.set_postfix_str(path.name[-30:], refresh=False)
                try:
                    article = load_file(path)
                except ArticleError as e:
                    failed.append(FileFailure(str(path), str(e)))
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
                if sum(len(c) for _, c in pending) >= self.batch_chunks:
                    written += self._flush(pending, on_article)
                    bar.update(len(pending))
                    pending = []
            written += self._flush(pending, on_article)
            bar.update(len(pending))
        finally:
            bar.close()
            if added or updated:
                self.store.bump_generation()
        return IngestReport(tuple(added), tuple(updated), tuple(unchanged), tuple(failed), written)

    def _flush(
        self, pending: Sequence[tuple[Article, list[Chunk]]], on_article: Callable[[str, str], None] | None
    ) -> int:
        if not pending:
            return 0
        texts = [c.text for _, chunks in pending for c in chunks]
        vectors = self.embedder.embed_documents(texts)
        items = []
        i = 0
        for article, chunks in pending:
            items.append((article, chunks, vectors[i : i + len(chunks)]))
            i += len(chunks)
        self.store.write_articles(items)
        if on_article:
            for article, _ in pending:
                on_article(article.article_id, "written")
        return len(texts)


class _NoBar:
    def update(self, n: int = 1) -> None: ...
    def set_postfix_str(self, s: str, refresh: bool = True) -> None: ...
    def close(self) -> None: ...


def _progress(total: int, enabled: bool) -> _NoBar:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="article", desc="indexing", dynamic_ncols=True)
