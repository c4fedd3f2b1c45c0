"""The extractive answerer: picks the article sentences that answer a question, no LLM.

Retrieval ranks chunks; this step re-scores candidate sentences (each retrieved chunk and its
neighbours) by meaning (cosine to the question), wording (idf-weighted coverage of the
question's terms, in the sentence and in the sentence before it) and fit (a number for "how
many", a date for "when", the date the question names). It abstains when a name the
question turns on appears in no article, or when no sentence is good enough. It never
writes text of its own beyond a fixed frame: the answer is the quoted sentences.
"""

from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np

from rag.answer.base import abstain, cite_chunk
from rag.answer.candidate import AnswererConfig, Candidate
from rag.answer.compose import Sources, answer_text, pick_answer, report_role, reserve_from_other_cluster
from rag.answer.conflict import SAME_CLAIM, contradicts
from rag.answer.diversity import NEAR_DUPLICATE, cap_per_cluster
from rag.answer.dupcache import NearDuplicateCache
from rag.answer.question import (
    QuestionInfo,
    aliases,
    analyse_question,
    is_speech,
    leans_back,
    same_particulars,
    type_fits,
    with_forms,
)
from rag.retrieval.bm25 import idf
from rag.retrieval.corpus import Corpus
from rag.text import dates_mentioned
from rag.types import Answer, Chunk, Hit

__all__ = ["AnswererConfig", "Candidate", "ExtractiveAnswerer"]


class ExtractiveAnswerer:
    """Answers from the articles' own sentences; abstains when they don't say."""

    mode = "extractive"

    def __init__(self, corpus: Corpus, config: AnswererConfig | None = None, max_quotes: int = 3) -> None:
        if max_quotes < 1:
            raise ValueError(f"max_quotes must be >= 1, got {max_quotes}")
        self.corpus = corpus
        self.config = config or AnswererConfig()
        self.max_quotes = max_quotes
        self.near_duplicates = NearDuplicateCache()

    def describe(self) -> dict[str, object]:
        """What the eval fingerprint records of this answerer: its mode and every weight."""
        return {
            "mode": self.mode,
            **asdict(self.config),
            "near_duplicate": NEAR_DUPLICATE,
            "same_claim": SAME_CLAIM,
        }

    def answer(self, question: str, hits: list[Hit], query_vector: np.ndarray | None = None) -> Answer:
        q = analyse_question(question)
        missing = self.unknown_entities(q)
        if missing:
            names = ", ".join("“" + " ".join(e) + "”" for e in missing)
            return abstain(question, f"No article mentions {names}.")
        cands = self.rank(q, hits, query_vector)
        if not cands:
            return abstain(question, "No article matches the question.")
        if cands[0].score < self.config.abstain_below:
            return abstain(question, None, confidence=cands[0].score)
        return self._compose(q, cands)

    def unknown_entities(self, q: QuestionInfo) -> list[tuple[str, ...]]:
        """Names the question turns on that no article uses (under any alias or close spelling)."""
        return [e for e in q.entities if not any(all(self.known(t) for t in f) for f in (e, *aliases(e)))]

    def known(self, token: str) -> bool:
        return self.corpus.knows_term(token) or self.corpus.correct_term(token) is not None

    # -------------------------------------------------------------- scoring
    def rank(self, q: QuestionInfo, hits: list[Hit], qvec: np.ndarray | None) -> list[Candidate]:
        """Candidate sentences (retrieved chunks and the chunk after each), best first."""
        q = self.with_name_forms(q)
        cands: dict[str, Candidate] = {}
        for i, h in enumerate(hits[: self.config.candidates]):
            nxt = self.corpus.neighbour(h.chunk, 1)
            for chunk in (h.chunk, nxt):
                if chunk is not None and chunk.chunk_id not in cands:
                    own = chunk is h.chunk
                    cands[chunk.chunk_id] = Candidate(h if own else Hit(chunk, 0.0), rank=i if own else -1)
                elif chunk is h.chunk and cands[chunk.chunk_id].rank < 0:
                    cands[chunk.chunk_id].rank = i
        vecs = self.corpus.vectors(list(cands)) if qvec is not None else {}
        weights = self._idf_weights(q)
        # Words no article uses (the question paraphrases) cannot be matched, so they don't
        # count against a sentence; words the articles do use but this sentence lacks do.
        known = {
            t: w if self.corpus.doc_freq(t) > 0 else w * self.config.unknown_weight
            for t, w in weights.items()
        }
        for c in cands.values():
            c.vector = vecs.get(c.chunk.chunk_id)
            c.dense = (
                float(c.vector @ qvec) if c.vector is not None and qvec is not None else (c.hit.dense or 0.0)
            )
            self._score(q, c, known if self.config.lex_known_only else weights)
        return sorted(cands.values(), key=lambda c: -c.score)

    def _idf_weights(self, q: QuestionInfo) -> dict[str, float]:
        """BM25 idf of each question token over the current corpus (a misspelt token is weighed
        and matched as the vocabulary word it is closest to)."""
        n = max(len(self.corpus), 1)
        return {c: idf(n, self.corpus.doc_freq(c)) for c in map(self.corpus.canonical, q.tokens)}

    def with_name_forms(self, q: QuestionInfo) -> QuestionInfo:
        """``q`` with the indexed adjective forms of its names ("Italian" for Italy), which
        then count as the name in every token set the answerer matches (``with_forms``)."""
        if q.forms is not None:
            return q
        names = dict.fromkeys(t for e in q.entities for t in e)
        return replace(q, forms=tuple((t, f) for t in names if (f := self.corpus.name_forms(t))))

    def _article_tokens(self, article_id: str, q: QuestionInfo | None = None) -> frozenset[str]:
        return with_forms(self.corpus.article_tokens(article_id), q.forms if q else None)

    def _rarity(self, entity: tuple[str, ...]) -> float:
        """0..1: how rare an entity's rarest token is (1.0 = in one chunk), so "Ukraine" weighs little."""
        n = max(len(self.corpus), 2)
        best = max((idf(n, max(self.corpus.doc_freq(t), 1)) for t in entity), default=0.0)
        return min(1.0, best / idf(n, 1)) ** 2

    def _toks(self, chunk: Chunk | None, q: QuestionInfo | None = None) -> frozenset[str]:
        toks = self.corpus.tokens(chunk) if chunk is not None else frozenset()
        return with_forms(toks, q.forms if q else None)

    def _score(self, q: QuestionInfo, c: Candidate, weights: dict[str, float]) -> None:
        cfg = self.config
        total = sum(weights.values()) or 1.0
        c.toks = self._toks(c.chunk, q)
        prev = self.corpus.neighbour(c.chunk, -1)
        ctx = c.toks | self._toks(prev, q)
        c.lex = sum(w for t, w in weights.items() if t in c.toks) / total
        c.lex_ctx = sum(w for t, w in weights.items() if t in ctx) / total
        c.fit = self._fit(q, c.chunk, prev)
        absent = [e for e in q.entities if not any(t in ctx for form in (e, *aliases(e)) for t in form)]
        if absent:
            # A name stated earlier in the same article ("according to the WSJ" two sentences up)
            # costs half as much as one the article never mentions.
            art = self._article_tokens(c.chunk.article_id, q)
            c.penalty = min(
                cfg.entity_cap,
                sum(
                    cfg.entity_penalty * self._rarity(e) * (0.5 if any(t in art for t in e) else 1.0)
                    for e in absent
                ),
            )
        c.score = (
            cfg.w_dense * c.dense + cfg.w_lex * c.lex + cfg.w_ctx * (c.lex_ctx - c.lex) + c.fit - c.penalty
        )

    def _fit(self, q: QuestionInfo, chunk: Chunk, prev: Chunk | None) -> float:
        cfg = self.config
        text = chunk.text
        fit = 0.0
        if q.dates:
            here = dates_mentioned(text)
            published = (chunk.published.month, chunk.published.day)
            if here & q.dates:
                fit += cfg.date_bonus
            elif prev is not None and dates_mentioned(prev.text) & q.dates:
                fit += cfg.date_bonus / 2
            elif here:
                fit -= cfg.date_bonus / 3
            elif published in q.dates:
                fit += cfg.date_bonus / 3
        ok = type_fits(q, text)
        if ok is not None:
            fit += (
                cfg.fit_bonus
                if ok
                else -cfg.fit_penalty * (1.0 if q.kind in ("how_many", "how_much", "when") else 0.5)
            )
        if q.speech:
            fit += cfg.fit_bonus / 2 if is_speech(text) else -cfg.fit_penalty
        return fit

    # -------------------------------------------------------------- compose
    def _compose(self, q: QuestionInfo, cands: list[Candidate], max_quotes: int | None = None) -> Answer:
        """A short answer from ranked candidates: the sentence that answers, then further quotes
        only when each adds what the first lacks, at most ``max_quotes`` (default: this answerer's
        cap) in all:

        - a second answer sentence when it holds a fact the question asks for that the first
          does not (``adds_fact``) and ranks about as well;
        - a conflicting report when another source contradicts the answer (``pick_answer``);
        - one report from another source (near-duplicate clusters count once) on the same
          point: a corroboration when it states the same particulars (numbers, dates), else
          another report ("other_report"), so a reader sees where versions differ.

        Background sentences that do not answer (the one before, the one after) are not quoted:
        the source card opens the article at the quote. Which candidate leads, and which
        conflicting report is shown beside it: ``rag.answer.compose.pick_answer``."""
        cfg = self.config
        cap = max_quotes or self.max_quotes
        src = self.sources(cands)
        best, rival = pick_answer(q.text, cands, src, cfg.other_within)
        quotes: list[tuple[Chunk, str]] = [(best.chunk, "answer")]
        used = {best.chunk.chunk_id}

        def eligible(c: Candidate) -> bool:  # no text to the system (unless it leads), no rival again
            return (src.trusted(c) or not src.trusted(best)) and (rival is None or c.chunk is not rival.chunk)

        extra: list[tuple[Chunk, str]] = []
        if rival is not None:
            extra.append((rival.chunk, "conflicting_report"))
        room = cap - len(extra)
        # A second answer sentence: the best-ranked close candidate (the sentence after the lead
        # included) that adds a fact the question asks for.
        nxt = self.corpus.neighbour(best.chunk, 1)
        pool = [c for c in cands if c is not best and c.chunk.chunk_id not in used and eligible(c)]
        for c in pool:
            if len(quotes) >= room:
                break
            close = self._close(best, c) or (nxt is not None and c.chunk.chunk_id == nxt.chunk_id)
            if close and not self._similar(c, best, cfg.same_fact) and self.adds_fact(q, best, c.chunk):
                quotes.append((c.chunk, "answer"))
                used.add(c.chunk.chunk_id)
                break
        # A lead that only restates the question ("X also commented on reports that ...") is
        # answered by the sentence after it that points back to it ("He dismissed ..."); asked
        # what someone said, the lead (shown first) is its context: it only says they spoke.
        follows = nxt is not None and leans_back(nxt.text) and nxt.chunk_id not in used
        if nxt is not None and follows and len(quotes) == 1 < room and self.restates(q, best):
            said = is_speech(q.text) and type_fits(q, best.chunk.text) is not True
            quotes = [(best.chunk, "context" if said else "answer"), (nxt, "answer")]
            used.add(nxt.chunk_id)
        # One corroborating report from another source, when there is room.
        taken = {src.cluster_of(best)} | ({src.cluster_of(rival)} if rival is not None else set())
        if len(quotes) + len(extra) < cap:
            for c in pool:
                if c.chunk.chunk_id in used or src.cluster_of(c) in taken or not self._close(best, c):
                    continue
                if contradicts(best.chunk.text, c.chunk.text, q.text):
                    continue
                if self._similar(c, best, cfg.same_topic):
                    # the same particulars confirm; other numbers or dates are another version
                    same = same_particulars(best.chunk.text, c.chunk.text)
                    extra.append((c.chunk, "corroboration" if same else "other_report"))
                    break
        # The slot rule, as a guarantee: one cluster never fills every slot when another qualifies.
        reserve = reserve_from_other_cluster(
            cands, taken, lambda c: eligible(c) and self._close(best, c), src.cluster_of
        )
        slots = cap_per_cluster(
            quotes + extra,
            lambda s: src.cluster.get(s[0].article_id, s[0].article_id),
            report_role(q.text, best, reserve),
        )
        citations = tuple(cite_chunk(ch, role) for ch, role in slots)
        return Answer(
            question=q.text,
            answer=answer_text(citations),
            abstained=False,
            citations=citations,
            confidence=best.score,
        )

    def _close(self, best: Candidate, other: Candidate) -> bool:
        """Does ``other`` rank about as well as ``best``? By the verifier when it read both (its
        P at least half the lead's), else by the hand-set score (within ``other_within``)."""
        if best.ver is not None and other.ver is not None:
            return other.ver >= 0.5 * best.ver and other.ver >= 0.3
        return best.score - other.score <= self.config.other_within

    def restates(self, q: QuestionInfo, best: Candidate) -> bool:
        """Does the lead say little beyond the question's own words (at most a third of its
        content tokens are not the question's), so the answer is more likely in what follows?"""
        return 3 * len(best.toks - set(q.tokens)) <= len(best.toks)

    def adds_fact(self, q: QuestionInfo, best: Candidate, other: Chunk) -> bool:
        """Does ``other`` hold something the question asks for that the lead sentence lacks: a
        content word of the question (``q.focus``) or, when the lead lacks the kind of answer
        asked for (a number, a date, a name), that kind? For "What did Macron say and when will
        the U.S. role be decided?", a lead on what Macron said and a sentence holding "decided"
        and "coming weeks": yes; a sentence repeating the lead's words: no."""
        toks = self._toks(other, q)
        if any(t in toks and t not in best.toks for t in q.focus):
            return True
        return type_fits(q, best.chunk.text) is False and type_fits(q, other.text) is True

    def sources(self, cands: list[Candidate]) -> Sources:
        """Near-duplicate clusters of the candidates' articles, and which address the system."""
        gen = self.corpus.generation
        return Sources.of(cands, self.corpus.article, lambda texts: self.near_duplicates.clusters(texts, gen))

    @staticmethod
    def _similar(a: Candidate, b: Candidate, threshold: float) -> bool:
        return a.vector is not None and b.vector is not None and float(a.vector @ b.vector) >= threshold
