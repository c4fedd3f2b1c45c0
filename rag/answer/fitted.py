"""The extractive answerer with fitted models deciding the order and whether to answer.

``FittedAnswerer`` keeps the hand-set answerer's candidates, scores and composition
(``rag/answer/extractive.py``) and adds, for every candidate, the signals of
``rag/answer/features.py``; the model file (``rag/answer/model.py``) turns them into
P(this sentence holds the answer), which orders the candidates, and P(the articles answer
the question), which decides abstention. Where that probability is unsure (between the
model's ``threshold`` and ``confident``), the hand-set rule must agree too.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rag.answer.base import abstain
from rag.answer.candidate import Candidate
from rag.answer.extractive import AnswererConfig, ExtractiveAnswerer
from rag.answer.features import (
    _KINDS,
    _TOP,
    CANDIDATE_FEATURES,
    QUESTION_FEATURES,
    RERANK_FEATURES,
    ChunkSignals,
    QuestionSignals,
    article_features,
    logit,
    question_words,
    rarest,
    share,
)
from rag.answer.model import AnswerModel, load_answer_model
from rag.answer.question import QuestionInfo, analyse_question
from rag.answer.signals import constraint_match, has_negation, slot_swaps
from rag.answer.verifier import Verifier, answer_verifier
from rag.retrieval.bm25 import idf
from rag.retrieval.corpus import Corpus
from rag.text import tokenize
from rag.types import Answer, Chunk, Hit

_CACHE_MAX = 50_000


class FittedAnswerer(ExtractiveAnswerer):
    """Answers like ``ExtractiveAnswerer``, ranking and abstaining by a fitted model."""

    def __init__(
        self,
        corpus: Corpus,
        model: AnswerModel | None,
        config: AnswererConfig | None = None,
        max_quotes: int = 3,
        verifier: Verifier | None = None,
    ) -> None:
        """``model`` None: the hand-set rule decides (and the signals are still computed: what
        ``rag.evaluation.fit`` fits the model from). ``verifier``: needed when the model reads
        its first candidates with one (``model.verify_top``)."""
        super().__init__(corpus, config, max_quotes)
        self.model = model
        self.verifier = verifier
        self._signals: dict[str, ChunkSignals] = {}
        self._generation: str | None = None

    @classmethod
    def packaged(
        cls, corpus: Corpus, max_quotes: int = 3, max_false_refusal: float | None = None
    ) -> FittedAnswerer:
        """The answerer with the model file shipped in the package (at the levels fitted for
        ``max_false_refusal``, None: its default) and the verifier it was fitted with."""
        model = load_answer_model(
            known=CANDIDATE_FEATURES + QUESTION_FEATURES + RERANK_FEATURES,
            max_false_refusal=max_false_refusal,
        )
        return cls(corpus, model, AnswererConfig(), max_quotes=max_quotes, verifier=answer_verifier(model))

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "model": self.model.describe() if self.model else None}

    def answer(self, question: str, hits: list[Hit], query_vector: np.ndarray | None = None) -> Answer:
        if self.model is None:
            return super().answer(question, hits, query_vector)
        q = analyse_question(question)
        if self.unknown_entities(q):  # a name the question turns on is in no article
            return abstain(question, self.missing_reason(q) or "No article matches the question.")
        cands = self.rank(q, hits, query_vector)
        if not cands:
            return abstain(question, self.missing_reason(q) or "No article matches the question.")
        p = self.model.abstain.prob(self.question_features(q, cands))
        rule_ok = max(c.score for c in cands) >= self.config.abstain_below
        if p < self.model.threshold or (p < self.model.confident and not rule_ok):
            return abstain(question, self.missing_reason(q, cands[0]), confidence=p)
        if not rule_ok:  # the model overrules the rule's refusal: quote only what it vouches for
            return replace(self._compose(q, cands, max_quotes=1), confidence=p)
        return replace(self._compose(q, cands), confidence=p)

    def rank(self, q: QuestionInfo, hits: list[Hit], qvec: np.ndarray | None) -> list[Candidate]:
        """The hand-set answerer's candidates with their signals, by P(holds the answer)."""
        q = self.with_name_forms(q)
        out = self.rank_by_rule(q, hits, qvec)
        if not out:
            return out
        self.add_features(q, out)
        if self.model is None:
            return out
        for c, pr in zip(out, self.model.ranker.probs([c.feats for c in out]), strict=True):
            c.prob = float(pr)
        out.sort(key=lambda c: (-c.prob, -c.score))
        if self.model.verify_top and self.verifier is not None:
            top = out[: self.model.verify_top]
            self.read_with_verifier(q, top)
            out[: len(top)] = self.rerank(top)
        return out

    def read_with_verifier(self, q: QuestionInfo, top: list[Candidate]) -> None:
        """Set ``c.ver`` for the given candidates: one batch through the answer verifier."""
        if self.verifier is None:
            return
        pairs = []
        for c in top:
            prev = self.corpus.neighbour(c.chunk, -1)
            pairs.append((c.chunk.text, prev.text if prev is not None else ""))
        for c, v in zip(top, self.verifier.scores(q.text, pairs), strict=True):
            c.ver = float(v)

    def rerank(self, top: list[Candidate]) -> list[Candidate]:
        """The verified candidates in the rerank model's order (its P becomes ``c.prob``)."""
        if self.model is None or self.model.rerank is None or not top:
            return top
        rows = rerank_features(top)
        for c, f, p in zip(top, rows, self.model.rerank.probs(rows), strict=True):
            c.feats.update(f)
            c.prob = float(p)
        return sorted(top, key=lambda c: (-c.prob, -c.score))

    def rank_by_rule(self, q: QuestionInfo, hits: list[Hit], qvec: np.ndarray | None) -> list[Candidate]:
        return super().rank(q, hits, qvec)

    # ------------------------------------------------------------- signals
    def chunk_signals(self, chunk: Chunk) -> ChunkSignals:
        """The chunk's text signals, cached per chunk for the corpus generation."""
        if self._generation != self.corpus.generation or len(self._signals) > _CACHE_MAX:
            self._signals = {}
            self._generation = self.corpus.generation
        s = self._signals.get(chunk.chunk_id)
        if s is None:
            s = self._signals[chunk.chunk_id] = ChunkSignals.of(chunk.text)
        return s

    def add_features(self, q: QuestionInfo, cands: list[Candidate]) -> None:
        """Fill ``c.feats`` (every name in ``CANDIDATE_FEATURES``) for every candidate."""
        weights = self._idf_weights(q)
        max_idf = idf(max(len(self.corpus), 2), 1) or 1.0
        qs = QuestionSignals.of(q, self.corpus.canonical)
        top1, top2 = rarest(weights, 1), rarest(weights, 2)
        dense_rank = {id(c): i for i, c in enumerate(sorted(cands, key=lambda c: -c.dense))}
        best_score = max(c.score for c in cands)
        best_lex = max(c.lex for c in cands)
        best_dense = max(c.dense for c in cands)
        arts: dict[str, dict[str, float]] = {}
        for c in cands:
            prev = self.corpus.neighbour(c.chunk, -1)
            ctx = c.toks | self._toks(prev, q)
            aid = c.chunk.article_id
            if aid not in arts:
                arts[aid] = article_features(weights, top2, qs, self._article_tokens(aid, q), max_idf)
            s = self.chunk_signals(c.chunk)
            ps = self.chunk_signals(prev) if prev is not None else None
            ctx_neg = s.neg or (ps is not None and ps.neg)
            type_ok = qs.type_ok(s, c.chunk.text)
            c.feats = {
                **arts[aid],
                "dense": c.dense,
                "dense_gap": best_dense - c.dense,
                "dense_rank_recip": 1.0 / (1 + dense_rank[id(c)]),
                "fused_rank_recip": 1.0 / (1 + c.rank) if c.rank >= 0 else 0.0,
                "is_neighbour": 1.0 if c.rank < 0 else 0.0,
                "lex": c.lex,
                "lex_gap": best_lex - c.lex,
                "lex_ctx": c.lex_ctx,
                "rare1_sent": share(top1, c.toks),
                "rare2_sent": share(top2, c.toks),
                "rare2_ctx": share(top2, ctx),
                "names_sent": constraint_match(qs.names, c.toks),
                "names_ctx": constraint_match(qs.names, ctx),
                "nums_ctx": constraint_match(qs.numbers, ctx),
                "neg_mismatch": 1.0 if qs.neg != ctx_neg else 0.0,
                "neg_q_not_s": 1.0 if qs.neg and not ctx_neg else 0.0,
                "type_ok": 1.0 if type_ok == 1.0 else 0.0,
                "type_fail": 1.0 if type_ok == 0.0 else 0.0,
                "time_expr": 1.0 if s.time else 0.0,
                "heur": c.score,
                "heur_gap": best_score - c.score,
                "penalty": c.penalty,
                "fit": c.fit,
                "log_len": float(np.log1p(len(c.toks))),
                "anaphor": 1.0 if s.anaphor else 0.0,
                "ctx_names_new": 1.0 if qs.ctx_names_new(s, ps) else 0.0,
            }

    def question_features(self, q: QuestionInfo, cands: list[Candidate]) -> dict[str, float]:
        """Features of the question and its best candidates (names in ``QUESTION_FEATURES``)."""
        top = cands[0]
        p2 = next((c.prob for c in cands[1:] if c.chunk.chunk_id != top.chunk.chunk_id), 0.0)
        unknown = [w for w, toks in question_words(q.text) if toks and not all(map(self.known, toks))]
        weights = self._idf_weights(q)
        max_idf = idf(max(len(self.corpus), 2), 1) or 1.0
        f = {
            "p1": top.prob,
            "p1_logit": logit(top.prob),
            "p_margin": top.prob - p2,
            "p_same_article": sum(c.prob for c in cands[:5] if c.chunk.article_id == top.chunk.article_id),
            "q_unknown_words": float(len(unknown)),
            "q_unknown_names": float(sum(1 for w in unknown if w[:1].isupper())),
            "q_tokens": float(len(q.tokens)),
            "q_neg": 1.0 if has_negation(q.text) else 0.0,
            "q_max_idf": max(weights.values(), default=0.0) / max_idf,
            "best_lex_art": max(c.feats["lex_art"] for c in cands[:5]),
        }
        f.update({f"kind_{k}": 1.0 if q.kind == k else 0.0 for k in _KINDS})
        f.update({f"top_{n}": top.feats[n] for n in _TOP})
        q_seq = [self.corpus.canonical(t) for t in tokenize(q.text)]
        swaps = slot_swaps(q_seq, self.chunk_signals(top.chunk).seq, weights, max_idf)
        f.update(zip(("top_swap_strict", "top_swap_loose", "top_swap_max"), swaps, strict=True))
        f.update(verifier_features(cands))
        return f

    def missing_names(self, question: str) -> str | None:
        """Why no article can answer: the names the question turns on that no article uses, in
        the asker's words ("No article mentions “Berlin”."), or None."""
        q = analyse_question(question)
        return (
            (self.missing_reason(q) or "No article matches the question.")
            if self.unknown_entities(q)
            else None
        )

    def missing_reason(self, q: QuestionInfo, best: Candidate | None = None) -> str | None:
        """Name, in the asker's own words, the names and numbers the articles lack: those no
        article uses, else (given the best candidate) those its article does not use."""
        words = [
            (w, toks)
            for i, (w, toks) in enumerate(question_words(q.text))
            if toks and (w[:1].isdigit() or (w[:1].isupper() and i > 0))
        ]
        gone = [w for w, toks in words if not all(map(self.known, toks))]
        if gone:
            return "No article mentions " + ", ".join(f"“{w}”" for w in gone[:4]) + "."
        if best is not None:
            art = self._article_tokens(best.chunk.article_id)
            absent = [w for w, toks in words if any(self.corpus.canonical(t) not in art for t in toks)]
            if absent:
                return "The closest article does not mention " + ", ".join(f"“{w}”" for w in absent[:3]) + "."
        return None


def rerank_features(top: list[Candidate]) -> list[dict[str, float]]:
    """``RERANK_FEATURES`` of the verified candidates, in the ranker's order (``c.prob`` is the
    ranker's P, ``c.ver`` the verifier's)."""
    best_s1 = max(c.prob for c in top)
    vs = [c.ver if c.ver is not None else 0.0 for c in top]
    best_v = max(vs)
    return [
        dict(
            zip(
                RERANK_FEATURES,
                (logit(c.prob), logit(v), float(i), best_s1 - c.prob, best_v - v),
                strict=True,
            )
        )
        for i, (c, v) in enumerate(zip(top, vs, strict=True))
    ]


def verifier_features(cands: list[Candidate]) -> dict[str, float]:
    """The verifier's view of the question: its P for the first candidate, the best P among
    those it read, how far the first is below that, and their mean (all 0 without a verifier)."""
    vs = [c.ver for c in cands if c.ver is not None]
    if not vs:
        return {"v_top": 0.0, "v_max": 0.0, "v_gap": 0.0, "v_mean": 0.0}
    top = cands[0].ver if cands[0].ver is not None else 0.0
    return {"v_top": top, "v_max": max(vs), "v_gap": max(vs) - top, "v_mean": float(np.mean(vs))}
