"""Wiring: one plain function builds the steps from Settings; ``Pipeline.ask`` runs them.

question -> validate -> hybrid retrieval -> answerer -> citation verifier -> Answer
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rag.answer import AnswererConfig, ExtractiveAnswerer
from rag.config import Settings
from rag.corpus import Corpus
from rag.embed import ChildProcessEmbedder, Embedder, OnnxMiniLMEmbedder, make_embedder
from rag.errors import BadQuestionError, ConfigError
from rag.ingest import Indexer
from rag.retrieve import HybridRetriever
from rag.store import ChromaStore
from rag.types import Answer, DateRange, IngestReport, Query
from rag.verify import CitationVerifier


@dataclass
class Pipeline:
    settings: Settings
    store: ChromaStore
    embedder: Embedder
    corpus: Corpus
    retriever: HybridRetriever
    answerer: Any  # ExtractiveAnswerer | GenerativeAnswerer

    @property
    def mode(self) -> str:
        return "extractive" if isinstance(self.answerer, ExtractiveAnswerer) else "generative"

    verifier: CitationVerifier

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

    def ask(self, question: str, top_k: int | None = None, date_range: DateRange | None = None) -> Answer:
        """Answer one question with verified quotes (or abstain)."""
        t0 = time.perf_counter()
        q = self.check_question(question)
        k = top_k if top_k is not None else self.settings.top_k
        if not 1 <= k <= 200:
            raise BadQuestionError(f"top_k must be between 1 and 200, got {k}")
        self.corpus.sync()
        query = Query(q, top_k=k, date_range=date_range or DateRange())
        found = self.retriever.search(query)
        hits = found.hits
        t1 = time.perf_counter()
        answer = self.answerer.answer(q, hits, query_vector=found.vector)
        t2 = time.perf_counter()
        answer = self.verifier.verify(answer)
        t3 = time.perf_counter()
        timings = dict(found.timings_ms)
        timings.update(
            retrieve_ms=(t1 - t0) * 1e3,
            answer_ms=(t2 - t1) * 1e3,
            verify_ms=(t3 - t2) * 1e3,
            total_ms=(t3 - t0) * 1e3,
        )
        return replace(answer, timings_ms=timings, retrieved=tuple(h.chunk.chunk_id for h in hits))

    def ingest(self, paths: list[Path], progress: bool = False, rebuild: bool = False) -> IngestReport:
        """Index files. ``rebuild`` drops the index first. An index built by another embedder,
        chunker or layout is rebuilt with this setup, its stored articles carried over."""
        carry = []
        if self.store.format_mismatch() and not rebuild:
            carry = [art for _, art in self.store.iter_articles()]
            rebuild = True
        if rebuild:
            self.store.reset()
        background = None
        emb = self.embedder
        if isinstance(emb, OnnxMiniLMEmbedder):  # a child process rebuilds it from the same model file

            def background() -> ChildProcessEmbedder:
                return ChildProcessEmbedder(emb.model_dir)

        report = Indexer(self.store, self.embedder, background=background).ingest(
            paths, progress=progress, carry_over=carry
        )
        self.corpus.sync(force=True)
        return report

    def warm_up(self) -> None:
        """Load the model and the corpus view now rather than on the first question."""
        self.corpus.sync(force=True)
        self.embedder.embed_query("warm up")


def build_pipeline(settings: Settings, embedder: Embedder | None = None) -> Pipeline:
    """Assemble the default (extractive, hybrid) pipeline from settings."""
    emb = embedder or make_embedder(settings.embedder, settings.model_dir, settings.embed_batch_size)
    if settings.chroma_url:
        store = ChromaStore(url=settings.chroma_url, name=settings.collection, embedder_name=emb.name)
        cache_dir = None
    else:
        store = ChromaStore(data_dir=settings.data_dir, name=settings.collection, embedder_name=emb.name)
        cache_dir = settings.data_dir / "side"
    if settings.max_quotes < 1:
        raise ConfigError(f"RAG_MAX_QUOTES must be >= 1, got {settings.max_quotes}")
    corpus = Corpus(store, cache_dir=cache_dir)
    retriever = HybridRetriever(corpus, emb)
    extractive = ExtractiveAnswerer(corpus, AnswererConfig(), max_quotes=settings.max_quotes)
    answerer: Any = extractive
    if settings.llm_base_url:
        from rag.generate import GenerativeAnswerer, OpenAICompatibleLLM
        from rag.prompts import load_prompt

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
    return Pipeline(settings, store, emb, corpus, retriever, answerer, verifier)
