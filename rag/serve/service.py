"""The service the HTTP routes and the chat call: the pipeline built and warmed once, answers off
the event loop in a bounded thread pool, and the article collection through public methods."""

from __future__ import annotations

import anyio

from rag.config import Settings
from rag.errors import StoreUnavailableError
from rag.pipeline import Pipeline
from rag.types import Answer, Article, ArticleInfo, DateRange


class Service:
    """What the routes and the UI call (``rag.protocols.AnswerService``): the pipeline, built and
    warmed once at start-up, answering in a bounded pool of threads."""

    def __init__(self, settings: Settings, pipeline: Pipeline | None = None, workers: int = 4) -> None:
        self.settings = settings
        self._pipeline = pipeline
        self.limiter = anyio.CapacityLimiter(workers)

    @property
    def ready(self) -> bool:
        return self._pipeline is not None and self._warm

    _warm = False

    def start(self) -> None:
        """Build (unless given) and warm the pipeline; the server reports healthy only after this."""
        if self._pipeline is None:
            from rag.pipeline import build_pipeline

            self._pipeline = build_pipeline(self.settings)
        self._pipeline.warm_up()
        self._warm = True

    def _ready_pipeline(self) -> Pipeline:
        if self._pipeline is None or not self._warm:
            raise StoreUnavailableError("the index is still loading; try again in a few seconds")
        return self._pipeline

    def ask(self, question: str, top_k: int | None = None, date_range: DateRange | None = None) -> Answer:
        return self._ready_pipeline().ask(question, top_k=top_k, date_range=date_range)

    async def ask_async(
        self, question: str, top_k: int | None = None, date_range: DateRange | None = None
    ) -> Answer:
        return await anyio.to_thread.run_sync(
            lambda: self.ask(question, top_k, date_range), limiter=self.limiter
        )

    def article(self, article_id: str) -> Article | None:
        """The committed text of an article (what citation offsets index), or None."""
        return self._ready_pipeline().article(article_id)

    def list_articles(self) -> list[ArticleInfo]:
        return self._ready_pipeline().list_articles()

    def health(self) -> dict[str, object]:
        """Index size, store kind and answer mode; raises StoreUnavailableError while loading."""
        pipe = self._ready_pipeline()
        pipe.probe()  # a real query, so a damaged index is not reported healthy
        n_articles, n_chunks = pipe.counts()
        return {
            "status": "ok",
            "articles": n_articles,
            "chunks": n_chunks,
            "store": "server" if self.settings.chroma_url else "embedded",
            "mode": pipe.mode,
        }
