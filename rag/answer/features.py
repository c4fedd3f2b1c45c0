"""The fitted answerer's inputs: per-candidate and per-question signals, assembled cheaply.

Each number is one of the pure signals of ``rag/answer/signals.py`` (or the hand-set rule's
own scores); ``CANDIDATE_FEATURES`` and ``QUESTION_FEATURES`` name them in the order the
model file lists. What depends on a chunk's text alone (negation, time expressions,
capitalised words, numbers) is computed once per chunk and cached; what depends on an
article and the question (coverage of its words, names, numbers) once per article per
question. The values equal the plain signal functions' (``tests/unit/answer/test_features.py``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rag.answer.question import _ANAPHOR, _QWORDS, QuestionInfo
from rag.answer.signals import (
    _LASTS,
    _NUMBER,
    capitalised_words,
    constraint_match,
    has_negation,
    idf_coverage,
    is_time_expression,
    numbers_in,
    question_constraints,
)
from rag.text import fold, tokenize

_KINDS = ("how_many", "how_much", "when", "who", "where", "why", "what", "yes_no", "other")
_TOP = ("dense", "lex", "lex_ctx", "lex_art", "rare2_sent", "rare2_art", "miss_art_n", "miss_art_max",
        "names_ctx", "names_art", "nums_ctx", "nums_art", "neg_mismatch", "type_ok", "heur")  # fmt: skip
CANDIDATE_FEATURES = (
    "dense", "dense_gap", "dense_rank_recip", "fused_rank_recip", "is_neighbour", "lex", "lex_gap",
    "lex_ctx", "lex_art", "rare1_sent", "rare2_sent", "rare2_ctx", "rare2_art", "miss_art_n",
    "miss_art_max", "names_sent", "names_ctx", "names_art", "nums_ctx", "nums_art", "neg_mismatch",
    "neg_q_not_s", "type_ok", "type_fail", "time_expr", "heur", "heur_gap", "penalty", "fit", "log_len",
    "anaphor", "ctx_names_new",
)  # fmt: skip
QUESTION_FEATURES = (
    "p1", "p1_logit", "p_margin", "p_same_article", "q_unknown_words", "q_unknown_names", "q_tokens",
    "q_neg", "q_max_idf", "best_lex_art", *(f"kind_{k}" for k in _KINDS), *(f"top_{n}" for n in _TOP),
    "top_swap_strict", "top_swap_loose", "top_swap_max", *(f"v_{n}" for n in ("top", "max", "gap", "mean")),
)  # fmt: skip
# The rerank stage's inputs for each of the ranker's first ``verify_top`` candidates.
RERANK_FEATURES = ("s1_logit", "ver_logit", "s1_pos", "s1_gap", "ver_gap")
_HOW_LONG = re.compile(r"\bhow long\b", re.I)
_SENT_END = re.compile(r"[.!?]\s*$")
_LEAD_CAP = re.compile(r"[A-ZÀ-Þ][\w’'-]*")
_WORD = re.compile(r"[\w’'.-]+")


@dataclass(frozen=True)
class ChunkSignals:
    """What the signals need of one chunk's text, computed once."""

    neg: bool
    time: bool
    duration: bool
    caps: tuple[str, ...]  # capitalised words not at a sentence start, folded
    lead: str | None  # the capitalised word the text starts with, folded (None: none)
    ends_sentence: bool
    numbers: tuple[str, ...]  # _NUMBER matches
    anaphor: bool
    seq: tuple[str, ...] = ()  # the BM25 tokens in order (``signals.slot_swaps``)

    @classmethod
    def of(cls, text: str) -> ChunkSignals:
        lead = _LEAD_CAP.match(text)
        return cls(
            has_negation(text),
            is_time_expression(text),
            _LASTS.search(text),
            tuple(capitalised_words(text)),
            fold(lead.group(0)).strip("’'-") if lead else None,
            bool(_SENT_END.search(text)),
            tuple(_NUMBER.findall(text)),
            bool(_ANAPHOR.match(text)),
            tuple(tokenize(text)),
        )


@dataclass(frozen=True)
class QuestionSignals:
    """What the signals need of the question, computed once per question."""

    kind: str  # the answer-type test: the question's kind, "which ..." testing like "who"
    q_low: str
    q_nums: frozenset[str]
    how_long: bool
    neg: bool
    names: frozenset[str]
    numbers: frozenset[str]

    @classmethod
    def of(cls, q: QuestionInfo, canonical: Callable[[str], str]) -> QuestionSignals:
        cons = question_constraints(q.text)
        which = q.kind == "what" and q.text.lstrip().lower().startswith("which")
        return cls("who" if which else q.kind, fold(q.text), numbers_in(q.text),
                   bool(_HOW_LONG.search(q.text)), has_negation(q.text),
                   frozenset(canonical(t) for t in cons["names"]), cons["numbers"])  # fmt: skip

    def type_ok(self, s: ChunkSignals, text: str) -> float:
        """``signals.answer_type_present(kind, question, text)`` from the chunk's cached parts."""
        if self.kind in ("how_many", "how_much"):
            if self.how_long:
                return 1.0 if s.duration or s.time else 0.0
            ok = any(re.sub(r"[^\d]", "", m) not in self.q_nums or not m[0].isdigit() for m in s.numbers)
            return 1.0 if ok else 0.0
        if self.kind == "when":
            if not self.q_nums:
                return 1.0 if s.time else 0.0
            for n in self.q_nums:
                text = text.replace(n, " ")
            return 1.0 if is_time_expression(text) else 0.0
        if self.kind in ("who", "where"):
            return 1.0 if any(w not in self.q_low for w in s.caps) else 0.0
        return 0.5

    def ctx_names_new(self, s: ChunkSignals, prev: ChunkSignals | None) -> bool:
        """A capitalised word the question lacks in the sentence or the one before it."""
        if any(w not in self.q_low for w in s.caps):
            return True
        if prev is None:
            return False
        if not prev.ends_sentence and s.lead is not None and s.lead not in self.q_low:
            return True
        return any(w not in self.q_low for w in prev.caps)


def rarest(weights: Mapping[str, float], k: int) -> list[str]:
    """The ``k`` highest-idf question tokens (ties by token), as ``signals.rarest_coverage`` picks."""
    return sorted(weights, key=lambda t: (-weights[t], t))[:k]


def share(tokens: list[str], present: frozenset[str]) -> float:
    return sum(1 for t in tokens if t in present) / len(tokens) if tokens else 0.0


def article_features(
    weights: Mapping[str, float], top2: list[str], qs: QuestionSignals, art: frozenset[str], max_idf: float
) -> dict[str, float]:
    """The features of a candidate's whole article (the same for all its sentences)."""
    absent = [w for t, w in weights.items() if t not in art]
    return {
        "lex_art": idf_coverage(weights, art),
        "rare2_art": share(top2, art),
        "miss_art_n": float(len(absent)),
        "miss_art_max": max(absent, default=0.0) / max_idf,
        "names_art": constraint_match(qs.names, art),
        "nums_art": constraint_match(qs.numbers, art),
    }


def question_words(text: str) -> list[tuple[str, list[str]]]:
    """The question's words as written, each with its BM25 tokens (question words and stop
    words have none): ``question_words("Did Xi go?")`` -> ``[("Did", []), ("Xi", ["xi"]), ("go", ["go"])]``."""
    out = []
    for m in _WORD.finditer(text):
        w = m.group(0).strip(".’'-")
        if w:
            out.append((w, [t for t in tokenize(w) if t not in _QWORDS]))
    return out


def logit(p: float) -> float:
    return math.log(max(p, 1e-6) / max(1 - p, 1e-6))
