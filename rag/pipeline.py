"""Wiring: one plain function builds the steps from Settings; ``Pipeline.ask`` runs them.

question -> validate -> hybrid retrieval -> answerer -> citation verifier -> Answer
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from rag.answer.extractive import AnswererConfig
from rag.answer.features import CANDIDATE_FEATURES, QUESTION_FEATURES
from rag.answer.fitted import FittedAnswerer
from rag.answer.followup import RuleRewriter
from rag.answer.model import load_answer_model
from rag.answer.span import answer_span
from rag.answer.verify import CitationVerifier
from rag.config import Settings
from rag.errors import BadQuestionError, ConfigError, IndexBusyError, NotFoundError, StoreUnavailableError
from rag.index.embed import make_embedder
from rag.index.embed_child import background_factory
from rag.index.ingest import Indexer
from rag.index.lock import WriterLock
from rag.index.repair import repair
from rag.index.store import ArchiveStore
from rag.protocols import Answerer, Embedder, QuestionRewriter, Retriever
from rag.retrieval.corpus import Corpus
from rag.retrieval.hybrid import HybridRetriever
from rag.text import chunk_article
from rag.text.tokens import warm_up as warm_stemmer
from rag.types import Answer, Article, ArticleInfo, Chunk, DateRange, IngestReport, Query, Turn, check_top_k

log = logging.getLogger(__name__)


@dataclass
class Pipeline:
    settings: Settings
    store: ArchiveStore
    embedder: Embedder
    corpus: Corpus
    retriever: Retriever
    answerer: Answerer
    verifier: CitationVerifier
    rewriter: QuestionRewriter = field(default_factory=RuleRewriter)
    writer_lock: WriterLock | None = None  # embedded index: one writer at a time (rag.index.lock)
    write_wait: float = 0.0  # seconds a write waits for another process's write before IndexBusyError

    @property
    def mode(self) -> str:
        """``extractive`` or ``generative``: which answerer runs."""
        return self.answerer.mode

    @property
    def location(self) -> str:
        """Where the index lives (a folder, or a Chroma server URL), for messages."""
        return self.store.location

    def check_question(self, question: object) -> str:
        if not isinstance(question, str):
            raise BadQuestionError(f"question must be a string, got {type(question).__name__}")
        q = question.strip()
        if not q:
            raise BadQuestionError(
                "question is empty: ask something, e.g. 'What did Trump rule out on Aug. 18?'"
            )
        limit = self.settings.max_question_chars
        if len(q) > limit:
            raise BadQuestionError(f"question is {len(q)} characters, over the limit of {limit}: shorten it")
        return q

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        date_range: DateRange | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        """Answer one question with verified quotes (or abstain).

        With ``history`` (earlier turns, oldest first) a follow-up is first rewritten into a
        standalone question (``rewriter``); that question is answered and returned as
        ``rewritten_question``, while ``question`` stays the asker's words.
        """
        t0 = time.perf_counter()
        asked = self.check_question(question)
        q = self.check_question(self.rewriter.rewrite(asked, history)) if history else asked
        k = check_top_k(top_k if top_k is not None else self.settings.top_k)
        self.corpus.sync()
        query = Query(q, top_k=k, date_range=date_range or DateRange())
        found = self.retriever.search(query)
        hits = found.hits
        t1 = time.perf_counter()
        answer = self.answerer.answer(q, hits, query_vector=found.vector)
        t2 = time.perf_counter()
        answer = self.with_headlines(self.verifier.verify(answer))
        answer = replace(answer, answer_span=answer_span(answer))
        t3 = time.perf_counter()
        timings = dict(found.timings_ms)
        timings.update(
            retrieve_ms=(t1 - t0) * 1e3,
            answer_ms=(t2 - t1) * 1e3,
            verify_ms=(t3 - t2) * 1e3,
            total_ms=(t3 - t0) * 1e3,
        )
        return replace(
            answer,
            question=asked,
            timings_ms=timings,
            retrieved=tuple(h.chunk.chunk_id for h in hits),
            rewritten_question=q if q != asked else None,
        )

    def with_headlines(self, answer: Answer) -> Answer:
        """The answer with each citation's article headline filled in (what people read)."""
        infos = {a: self.corpus.info(a) for a in {c.article_id for c in answer.citations}}
        cites = tuple(
            replace(c, headline=info.headline) if (info := infos[c.article_id]) is not None else c
            for c in answer.citations
        )
        return replace(answer, citations=cites)

    def ingest(self, paths: list[Path], progress: bool = False, rebuild: bool = False) -> IngestReport:
        """Index files. ``rebuild`` drops the index first. An index built by another embedder,
        chunker or layout is rebuilt with this setup, its stored articles carried over."""
        return self._index(paths, [], progress=progress, rebuild=rebuild)

    def add_articles(
        self, articles: Sequence[Article], on_article: Callable[[str, str], None] | None = None
    ) -> IngestReport:
        """Index already parsed articles exactly as ``rag ingest`` indexes files: a new id is
        added, a changed one replaced, an unchanged one skipped; a repeated id in ``articles`` is
        a failure naming it. All in one commit: a kill -9 mid-way leaves none or all of them."""
        return self._index([], articles, on_article=on_article)

    def delete(self, article_ids: Sequence[str], missing_ok: bool = True) -> list[str]:
        """Delete articles (text and chunks); returns the ids that existed. Readers stop citing
        them at their next sync. ``missing_ok=False``: an unknown id is a NotFoundError naming
        it, and nothing is deleted."""
        with self._writing():
            return self._delete(article_ids, missing_ok)

    def _delete(self, article_ids: Sequence[str], missing_ok: bool) -> list[str]:
        if not missing_ok:
            known = self.store.get_articles(article_ids)
            unknown = sorted({a for a in article_ids if a not in known})
            if unknown:
                raise NotFoundError(
                    f"no article {', '.join(map(repr, unknown))} in {self.location}: nothing deleted "
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
        with self._writing():
            return self._index_locked(paths, articles, progress, rebuild, on_article)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the writer lock (embedded index) for a write, writing from an instance that has
        read every earlier write (another process's included); a Chroma server needs neither."""
        if self.writer_lock is None:
            yield
            return
        with self.writer_lock.hold(self.write_wait), self.store.writing():
            self.store.refresh()
            yield

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

    def format_mismatch(self) -> str:
        """How the index differs from this setup (embedder, chunker, layout); empty when it doesn't."""
        return self.store.format_mismatch()

    def article(self, article_id: str) -> Article | None:
        """An article's committed text: the text citation offsets index."""
        return self.corpus.article(article_id) or self.store.get_article(article_id)

    def list_articles(self) -> list[ArticleInfo]:
        return self.store.list_articles()

    def counts(self) -> tuple[int, int]:
        """(articles, chunks) in the store."""
        return self.store.counts()

    def committed(self) -> dict[str, Article]:
        """Every committed article (the evaluation scores against these): reads the whole archive."""
        self.corpus.sync(force=True)
        return {info.article_id: art for info, art in self.store.iter_articles()}

    def chunks(self) -> Mapping[str, Chunk]:
        """Every committed chunk by id (read-only), for evaluation: chunks the whole archive."""
        return MappingProxyType(
            {c.chunk_id: c for art in self.committed().values() for c in chunk_article(art)}
        )

    def chunk_span(self, chunk_id: str) -> tuple[str, int, int] | None:
        """(article id, start, end) of a committed chunk."""
        c = self.corpus.chunk(chunk_id)
        return (c.article_id, c.start, c.end) if c else None

    def probe(self) -> None:
        """A real, cheap read (for /healthz): the view is current and a date-filtered vector
        query answers; StoreUnavailableError naming the index and the fix if not."""
        try:
            self.corpus.sync()
            self.store.probe(self.embedder.dim)
        except StoreUnavailableError:
            raise
        except Exception as e:
            raise StoreUnavailableError(
                f"the index at {self.location} cannot be read ({type(e).__name__}: {str(e)[:200]}): "
                "run `rag ingest` to repair it"
            ) from e

    def is_empty(self) -> bool:
        return not self.store.counts()[0]

    def describe(self) -> dict[str, object]:
        """What answers depend on besides the prompts and packages (the eval fingerprint's core)."""
        return {
            "embedder": self.embedder.name,
            "retrieval": {**self.retriever.describe(), "top_k": self.settings.top_k},
            "answerer": self.answerer.describe(),
        }

    def warm_up(self) -> None:
        """Load the model, the stemmer and the corpus view now rather than on the first question
        (several first questions at once must not race to load them). First, what an interrupted
        write left is undone, unless another process is writing: a start repairs as an ingest would."""
        warm_stemmer()
        if self.store.archive.pending():
            with contextlib.suppress(IndexBusyError), self._writing():
                self.store.replay_journal()
        self.corpus.sync(force=True)
        self.embedder.embed_query("warm up")


def build_pipeline(settings: Settings, embedder: Embedder | None = None) -> Pipeline:
    """Assemble the default (extractive, hybrid) pipeline from settings."""
    emb = embedder or make_embedder(settings.embedder, settings.model_dir, settings.embed_batch_size)
    store = ArchiveStore(
        settings.data_dir,
        url=settings.chroma_url,
        name=settings.collection,
        embedder_name=emb.name,
        timeout=settings.chroma_timeout,
    )
    if settings.max_quotes < 1:
        raise ConfigError(f"RAG_MAX_QUOTES must be >= 1, got {settings.max_quotes}")
    corpus = Corpus(store)
    retriever = HybridRetriever(corpus, emb)
    model = load_answer_model(
        known=CANDIDATE_FEATURES + QUESTION_FEATURES, max_false_refusal=settings.max_false_refusal
    )
    extractive = FittedAnswerer(corpus, model, AnswererConfig(), max_quotes=settings.max_quotes)
    answerer: Answerer = extractive
    if settings.llm_base_url:
        from rag.answer.generative import GenerativeAnswerer, OpenAICompatibleLLM
        from rag.answer.prompts import load_prompt

        if not settings.llm_model:
            raise ConfigError("RAG_LLM_BASE_URL is set but RAG_LLM_MODEL is not: name the model to use")
        llm = OpenAICompatibleLLM(
            settings.llm_base_url,
            settings.llm_model,
            settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
            settings.llm_timeout,
        )
        answerer = GenerativeAnswerer(
            llm, extractive, corpus, load_prompt(settings.prompts_dir / "answer.md")
        )
    verifier = CitationVerifier(corpus.article)
    rewriter: QuestionRewriter = RuleRewriter()
    if settings.llm_base_url:
        from rag.answer.rewrite_llm import LLMRewriter

        rewriter = LLMRewriter(llm)
    lock = WriterLock(settings.data_dir)  # the archive and lexical index are local in both modes
    return Pipeline(settings, store, emb, corpus, retriever, answerer, verifier, rewriter, writer_lock=lock)
