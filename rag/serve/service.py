"""The service the HTTP routes and the chat call: the pipeline built and warmed once, answers off
the event loop in a bounded thread pool, and the article collection through public methods."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import anyio

from rag.config import Settings
from rag.errors import NotFoundError, StoreUnavailableError
from rag.pipeline import Pipeline
from rag.serve.conversation import turns_from_answers
from rag.types import Answer, Article, ArticleInfo, DateRange, IngestReport, Turn


class Service:
    """What the routes and the UI call (``rag.protocols.AnswerService``): the pipeline, built and
    warmed once at start-up, answering in a bounded pool of threads."""

    def __init__(self, settings: Settings, pipeline: Pipeline | None = None, workers: int = 4) -> None:
        self.settings = settings
        self._pipeline = pipeline
        self.limiter = anyio.CapacityLimiter(workers)
        self.write_limiter = anyio.CapacityLimiter(1)  # writes run one at a time, beside answers
        self._write_lock = threading.Lock()  # the chat and the API write through one lock

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

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        date_range: DateRange | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        pipe = self._ready_pipeline()
        if history and not history[-1].answer:  # the last turn sent without its answer: answer it here
            prev = pipe.ask(history[-1].question, top_k=top_k, date_range=date_range, history=history[:-1])
            history = [*history[:-1], *turns_from_answers([prev.to_json()])]  # the chat's own reading
        return pipe.ask(question, top_k=top_k, date_range=date_range, history=history)

    async def ask_async(
        self,
        question: str,
        top_k: int | None = None,
        date_range: DateRange | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        return await anyio.to_thread.run_sync(
            lambda: self.ask(question, top_k, date_range, history), limiter=self.limiter
        )

    def fingerprint(self) -> dict[str, object]:
        """The configuration fingerprint of the answers given (the eval's, without a question file)."""
        if self._fingerprint is None:
            from rag.evaluation.run import fingerprint

            self._fingerprint = fingerprint(self._ready_pipeline(), None)
        return self._fingerprint

    _fingerprint: dict[str, object] | None = None

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

    # ----------------------------------------------------------------- writes
    def add_articles(
        self, articles: Sequence[Article], on_article: Callable[[str, str], None] | None = None
    ) -> IngestReport:
        """Add or replace articles (checked whole by the caller); answers use them once this returns."""
        with self._write_lock:
            return self._ready_pipeline().add_articles(articles, on_article=on_article)

    def replace_article(self, article: Article) -> IngestReport:
        """Replace an existing article (old chunks out, new ones in, one commit); NotFoundError if unknown."""
        with self._write_lock:
            pipe = self._ready_pipeline()
            if pipe.article(article.article_id) is None:
                raise NotFoundError(
                    f"no article {article.article_id!r} to replace: POST /v1/articles adds a new one"
                )
            return pipe.add_articles([article])

    def delete_article(self, article_id: str) -> None:
        """Delete an article; NotFoundError if unknown. No answer cites it once this returns."""
        with self._write_lock:
            self._ready_pipeline().delete([article_id], missing_ok=False)
