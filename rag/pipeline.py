"""Wiring: one plain function builds the steps from Settings; ``Pipeline.ask`` runs them.

question -> validate -> hybrid retrieval -> answerer -> citation verifier -> Answer
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from rag.answer.digest import Digester, is_broad, topic_of
from rag.answer.fitted import FittedAnswerer
from rag.answer.followup import (
    EmbeddingSimilarity,
    RuleRewriter,
    choose,
    clarification,
    mentioning,
    new_word,
    quotes_word,
)
from rag.answer.labels import label_sources
from rag.answer.notices import empty_range_notice, english_only_notice, notice
from rag.answer.span import answer_span
from rag.answer.verifier import Verifier
from rag.answer.verify import CitationVerifier
from rag.config import Settings
from rag.errors import BadQuestionError, ConfigError, StoreUnavailableError
from rag.index.embed import make_embedder
from rag.index.lock import WriterLock
from rag.index.store import ArchiveStore
from rag.protocols import Answerer, Embedder, QuestionRewriter, Retriever
from rag.retrieval.corpus import Corpus
from rag.retrieval.hybrid import HybridRetriever
from rag.text import chunk_article
from rag.text.tokens import warm_up as warm_stemmer
from rag.types import Answer, Article, ArticleInfo, Chunk, DateRange, IngestReport, Query, Turn, check_top_k
from rag.writes import ArticleWriter

log = logging.getLogger(__name__)
DIGEST_TOP_K = 40  # chunks a digest draws on


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
    writer_lock: WriterLock | None = None  # one writer at a time (rag.index.lock; rag.writes)
    write_wait: float = 0.0  # seconds a write waits for another process's write before IndexBusyError
    answer_verifier: Verifier | None = None  # the cross-encoder the answerer reads candidates with
    digester: Digester | None = None  # extractive digests for broad questions ("Summarize ...")

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

        With ``history`` (earlier turns, oldest first) a follow-up is first rewritten into
        standalone readings (``rewriter.candidates``); the extractive answerer answers each and the
        reading it is most confident in is kept (``rag.answer.followup.choose``), returned as
        ``rewritten_question`` while ``question`` stays the asker's words. A follow-up with no
        history to lean on ("What did he offer instead?" alone) gets a question back, naming the
        word it turns on, instead of an answer to something else.
        """
        t0 = time.perf_counter()
        asked = self.check_question(question)
        k = check_top_k(top_k if top_k is not None else self.settings.top_k)
        if not_english := english_only_notice(asked):  # the embedder and answerer read English only
            return notice(asked, not_english, self.mode, t0)
        if not history and (ask_back := clarification(asked)) is not None:
            return notice(asked, ask_back, self.mode, t0)
        readings = self._readings(asked, history) if history else [asked]
        self.corpus.sync()
        # an elliptical follow-up is answered from articles naming what it brings ("What about Bloomberg?")
        must = new_word(asked, self.corpus.doc_freq) if history else None
        answers = [self._answer(q, k, date_range, must) for q in readings]
        words = frozenset({must, *self.corpus.name_forms(must)}) if must else frozenset()
        best = choose(answers, named=[quotes_word(a, words) for a in answers] if words else ())
        answer, q = answers[best], readings[best]
        timings = dict(answer.timings_ms)
        timings["total_ms"] = (time.perf_counter() - t0) * 1e3
        return replace(
            answer,
            question=asked,
            timings_ms=timings,
            rewritten_question=q if q != asked else None,
        )

    def _readings(self, asked: str, history: Sequence[Turn]) -> list[str]:
        """The rewriter's standalone readings of a follow-up that fit the length limit (the first
        one is checked as the question: too long is a BadQuestionError). With the generative
        answerer only the first is answered: one LLM call per question."""
        candidates = self.rewriter.candidates(asked, history)
        first = self.check_question(candidates[0])
        rest = [
            c.strip()
            for c in candidates[1:]
            if c.strip() and len(c.strip()) <= self.settings.max_question_chars
        ]
        return [first] if self.answerer.mode != "extractive" else [first, *rest]

    def _answer(self, q: str, k: int, date_range: DateRange | None, must: str | None = None) -> Answer:
        """Retrieve, answer, verify and locate the answer span for one standalone question (from
        hits whose article has the word ``must``, when any has)."""
        t0 = time.perf_counter()
        digester = self.digester if self.digester is not None and is_broad(q) else None
        dr = date_range or DateRange()
        query = Query(topic_of(q), max(k, DIGEST_TOP_K), dr) if digester else Query(q, top_k=k, date_range=dr)
        found = self.retriever.search(query)
        hits = found.hits
        if must is not None:
            hits = mentioning(hits, must, self.corpus.article_tokens)
        if not hits and (empty := empty_range_notice(query.date_range, self.store)):
            return notice(q, empty, self.mode, t0)
        t1 = time.perf_counter()
        answer = (digester.digest if digester else self.answerer.answer)(q, hits, found.vector)
        t2 = time.perf_counter()
        verified = self.verifier.verify(answer)
        answer = label_sources(verified, self._infos(verified), self.corpus.article)
        answer = replace(answer, answer_span=answer_span(answer))
        t3 = time.perf_counter()
        timings = dict(found.timings_ms)
        timings.update(
            retrieve_ms=(t1 - t0) * 1e3,
            answer_ms=(t2 - t1) * 1e3,
            verify_ms=(t3 - t2) * 1e3,
            total_ms=(t3 - t0) * 1e3,
        )
        return replace(answer, timings_ms=timings, retrieved=tuple(h.chunk.chunk_id for h in hits))

    def _infos(self, answer: Answer) -> dict[str, ArticleInfo]:
        """What the store lists about each cited article (read on demand, not a whole listing)."""
        found = {a: self.corpus.info(a) for a in {c.article_id for c in answer.citations}}
        return {a: info for a, info in found.items() if info is not None}

    @property
    def writes(self) -> ArticleWriter:
        """The write side (``rag.writes``), holding this pipeline's writer lock."""
        return ArticleWriter(self.store, self.embedder, self.corpus, self.writer_lock, self.write_wait)

    def ingest(self, paths: list[Path], progress: bool = False, rebuild: bool = False) -> IngestReport:
        """Index files. ``rebuild`` drops the index first. An index built by another embedder,
        chunker or layout is rebuilt with this setup, its stored articles carried over."""
        return self.writes.ingest(paths, progress=progress, rebuild=rebuild)

    def add_articles(
        self, articles: Sequence[Article], on_article: Callable[[str, str], None] | None = None
    ) -> IngestReport:
        """Index already parsed articles exactly as ``rag ingest`` indexes files: a new id is
        added, a changed one replaced, an unchanged one skipped; a repeated id in ``articles`` is
        a failure naming it. All in one commit: a kill -9 mid-way leaves none or all of them."""
        return self.writes.add_articles(articles, on_article=on_article)

    def delete(self, article_ids: Sequence[str], missing_ok: bool = True) -> list[str]:
        """Delete articles (text and chunks); returns the ids that existed. Readers stop citing
        them at their next sync. ``missing_ok=False``: an unknown id is a NotFoundError naming
        it, and nothing is deleted."""
        return self.writes.delete(article_ids, missing_ok)

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
        self.writes.replay_journal()
        self.corpus.sync(force=True)
        self.embedder.embed_query("warm up")
        if self.answer_verifier is not None:
            self.answer_verifier.warm_up()


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
    extractive = FittedAnswerer.packaged(corpus, settings.max_quotes, settings.max_false_refusal)
    answerer: Answerer = extractive
    similar = EmbeddingSimilarity(emb.embed_query)  # which part of a question a follow-up's phrase replaces
    rewriter: QuestionRewriter = RuleRewriter(similar)
    if settings.llm_base_url:
        from rag.answer.generative import GenerativeAnswerer, OpenAICompatibleLLM
        from rag.answer.prompts import load_prompt
        from rag.answer.rewrite_llm import LLMRewriter

        if not settings.llm_model:
            raise ConfigError("RAG_LLM_BASE_URL is set but RAG_LLM_MODEL is not: name the model to use")
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        llm = OpenAICompatibleLLM(settings.llm_base_url, settings.llm_model, key, settings.llm_timeout)
        answerer = GenerativeAnswerer(
            llm, extractive, corpus, load_prompt(settings.prompts_dir / "answer.md")
        )
        rewriter = LLMRewriter(llm, similar)
    verifier = CitationVerifier(corpus.article)
    lock = WriterLock(settings.data_dir)  # the archive and lexical index are local in both modes
    return Pipeline(
        settings, store, emb, corpus, retriever, answerer, verifier, rewriter, writer_lock=lock,
        answer_verifier=extractive.verifier, digester=Digester(corpus, extractive.missing_names),
    )  # fmt: skip
