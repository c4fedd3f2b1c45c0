"""Follow-up questions made standalone without an LLM, by what the follow-up refers to.

A follow-up leans on the conversation in one of a few grammatical ways, and each is resolved
against the previous (already standalone) question, cut into parts by ``rag.answer.clause``,
and the sentences its answer quoted:

- a **pronoun** takes an antecedent that agrees with it ("he": a person the previous question or
  its answer named; "they": the names a who/which question was answered with, or a plural noun
  phrase; "it": a thing), the previous question's subject first;
- an **ellipsis** ("What about Poland?", "And by video link?", "And the Danish one?") puts its
  phrase in the place of the part of the previous question it is most like: a date replaces the
  date, a prepositional phrase the phrase with the same preposition, a name or noun phrase the
  slot it resembles most (by embedding similarity when an embedder is given). When the replaced
  part sat inside reported speech ("What did Meloni say Italy would do?") the speaker goes too:
  "What would Poland do?" — the speaker spoke for the old subject, the articles may report the
  new one through anyone;
- a **bare question** ("Why?", "In which year?", "How much?") borrows the previous question's
  predicate, its open slot filled from the answer ("Why did Trump rule out deploying American
  ground forces on Aug. 18?"), and an **elided noun** ("How many are occupied?") the previous
  question's noun;
- "instead" gains "of <what the previous answer said>".

An elliptical follow-up's answer must come from an article that names what it brings: the
pipeline answers it from hits whose article has its rarest word (``new_word``, ``mentioning``),
since its readings carry the old question's words, which would otherwise pull back the old
answer ("What about according to Bloomberg?" after Macron's figure).

Because a rule cannot always tell which reading is meant, ``candidates`` returns a few standalone
readings, most likely first; the pipeline answers each and keeps the one the answerer is most
confident in (``choose``). Every candidate keeps every name and number of the follow-up. A
question that does not lean on the conversation is returned unchanged; one that does, with no
conversation to lean on, gets a question back (``clarification``).

The parts: ``rag.answer.dependency`` (what a question leans on, the ask-back),
``rag.answer.antecedent`` (pronouns), ``rag.answer.ellipsis`` (slot substitution),
``rag.answer.carryover`` (bare questions, elided nouns, dates and topics carried over); this
module chooses among their readings and is the entry point callers import.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from rag.answer.antecedent import _pronoun_candidates
from rag.answer.carryover import (
    _bare_candidates,
    _finish,
    _noun_ellipsis_candidates,
    _with_date,
    _with_instead,
    _with_topic,
    answer_phrase,
)
from rag.answer.clause import split_wh
from rag.answer.dependency import _LEAD, clarification, dependency, leans_on_history, names
from rag.answer.ellipsis import Similarity, _ellipsis_candidates, _surface_similarity
from rag.text import fold, tokenize
from rag.types import Answer, Hit, Turn

__all__ = [
    "MAX_CANDIDATES",
    "PRIOR_MARGIN",
    "EmbeddingSimilarity",
    "RuleRewriter",
    "Similarity",
    "answer_phrase",
    "candidates",
    "choose",
    "clarification",
    "keeps_names",
    "leans_on_history",
    "mentioning",
    "names",
    "new_word",
    "quotes_word",
    "resolve_history",
    "rule_rewrite",
    "turn_of",
]

MAX_CANDIDATES = 4


def candidates(question: str, history: Sequence[Turn], similar: Similarity | None = None) -> list[str]:
    """Standalone readings of ``question`` after ``history`` (oldest first, already standalone),
    most likely first; ``[question]`` when it stands alone. At most ``MAX_CANDIDATES``, each
    keeping every name and number of the question.

    ``candidates("What about Poland?", [Turn("What role did Meloni say Italy would play?")])``
    -> ``["What role would Poland play?", "What role did Meloni say Poland would play?", ...]``.
    """
    q = question.strip()
    if not history:
        return [q]
    dep = dependency(q)
    if dep is None:
        return [q]
    prev = history[-1]
    sim = similar or _surface_similarity
    if dep.kind == "pronoun":
        out = _pronoun_candidates(q, dep.word, prev)
    elif dep.kind == "ellipsis":
        out = _ellipsis_candidates(dep.word, prev, sim)
    elif dep.kind == "bare_question":
        out = _bare_candidates(q, prev)
    elif dep.kind == "noun_ellipsis":
        out = _noun_ellipsis_candidates(q, prev)
    elif (
        dep.kind == "adverb"
        and split_wh(_LEAD.sub("", q))[0]
        and not split_wh(_LEAD.sub("", q))[1].strip(" ?").replace("else", "")
    ):
        out = _bare_candidates(q, prev)  # "Who else?"
    elif dep.kind == "adverb":
        out = [_with_date(_with_instead(_LEAD.sub("", q), prev), prev)]
        out += [t for t in (_with_topic(out[0], prev),) if t]
    else:  # a determiner ("in that coalition"): the question, then the question with the topic
        out = [q, *[t for t in (_with_topic(q, prev),) if t]]
    kept = [_finish(c) for c in dict.fromkeys(out) if c and keeps_names(q, c)]
    return list(dict.fromkeys(kept))[:MAX_CANDIDATES] or [q]


def rule_rewrite(question: str, history: Sequence[Turn], similar: Similarity | None = None) -> str:
    """The most likely standalone form of ``question`` given earlier turns (oldest first);
    unchanged if it stands alone. ``history`` turns hold standalone questions (see ``resolve_history``)."""
    return candidates(question, history, similar)[0]


def keeps_names(question: str, rewritten: str) -> bool:
    """Does ``rewritten`` keep every name and number of ``question``? (How a rewrite is checked.)

    ``keeps_names("What about Italy?", "What role did Meloni say Italy would play?")`` -> True.
    """
    lowr = fold(rewritten)
    needed = names(question) + re.findall(r"\d+", question)
    return all(fold(n) in lowr for n in needed) and not any(
        n not in rewritten for n in re.findall(r"\d+", question)
    )


def resolve_history(turns: Sequence[Turn], similar: Similarity | None = None) -> list[Turn]:
    """Each turn with its question made standalone against the turns before it (rules only)."""
    out: list[Turn] = []
    for t in turns:
        out.append(Turn(rule_rewrite(t.question, out, similar), t.answer, t.quotes))
    return out


def turn_of(answer: Answer) -> Turn:
    """The turn an answer adds to its conversation: the question it answered, its text, its quotes
    (answering ones first)."""
    cites = sorted(answer.citations, key=lambda c: c.role != "answer")
    return Turn(answer.rewritten_question or answer.question, answer.answer, tuple(c.quote for c in cites))


# How much surer the answerer must be to overrule the grammar's order of readings. 0.1 let a
# wrong reading answered with an unrelated sentence win ("Who would Ukraine consist of?" 0.73
# over "Who would the working group consist of?" 0.61); 0.15 keeps squad2-open's dev
# conversations as they were (0.2 loses one) and fixes that seed follow-up.
PRIOR_MARGIN = 0.15


def new_word(question: str, doc_freq: Callable[[str], int]) -> str | None:
    """The rarest indexed word an elliptical follow-up brings, which its answer must mention:
    after "How many countries did Macron say were ready?", ``new_word("What about according to
    Bloomberg?", df)`` -> ``"bloomberg"`` (the old predicate's words would otherwise pull back
    the old answer). None for other follow-ups, or when no word of the phrase is indexed."""
    dep = dependency(question)
    if dep is None or dep.kind != "ellipsis":
        return None
    known = [(n, t) for t in tokenize(dep.word) if (n := doc_freq(t)) > 0]
    return min(known)[1] if known else None


def mentioning(hits: Sequence[Hit], word: str, article_tokens: Callable[[str], frozenset[str]]) -> list[Hit]:
    """The hits from articles that have ``word`` (all of them if none has). The article, not the
    sentence: a report names Italy once and then says "Rome" or "the Italian premier"."""
    return [h for h in hits if word in article_tokens(h.chunk.article_id)] or list(hits)


def quotes_word(answer: Answer, words: frozenset[str]) -> bool:
    """Does the answer's first answering sentence hold one of ``words`` (BM25 tokens: what an
    elliptical follow-up brings and its adjective forms)? "What about Romania?" answered with
    "Romanian President Nicusor Dan indicated ...": yes; with Meloni on Rome's role: no."""
    first = next((c for c in answer.citations if c.role == "answer"), None)
    return first is not None and not words.isdisjoint(tokenize(first.quote))


def choose(answers: Sequence[Answer], margin: float = PRIOR_MARGIN, named: Sequence[bool] = ()) -> int:
    """Which of the answers to a follow-up's readings (most likely reading first) to keep.

    The first answered reading, unless a later one is answered with a confidence more than
    ``margin`` higher: the order carries what grammar says (a pronoun takes the previous
    subject first), the answerer's confidence overrules it only when clearly surer. All
    abstained: the first. ``choose([abstained, answered(0.4), answered(0.7)])`` -> 2;
    ``choose([answered(0.6), answered(0.65)])`` -> 0. ``named`` (per answer: does its answer
    sentence name what an elliptical follow-up brings, ``quotes_word``): when some answered
    ones do, the choice is among those only.
    """
    answered = [i for i, a in enumerate(answers) if not a.abstained]
    if not answered:
        return 0
    if any(named[i] for i in answered if i < len(named)):
        answered = [i for i in answered if i < len(named) and named[i]]
    best = answered[0]
    for i in answered[1:]:
        if answers[i].confidence > answers[best].confidence + margin:
            best = i
    return best


class EmbeddingSimilarity:
    """``Similarity`` from an embedder: the cosine of two short phrases' vectors (cached).

    "Poland" is nearer "Italy" than "Giorgia Meloni", "the press conference" nearer "the summit"
    than "BFM TV": which part of the previous question an elliptical phrase replaces.
    """

    def __init__(self, embed: Callable[[str], np.ndarray]) -> None:
        self._embed = lru_cache(maxsize=4096)(embed)

    def __call__(self, a: str, b: str) -> float:
        return float(np.dot(self._embed(a), self._embed(b)))


class RuleRewriter:
    """``QuestionRewriter`` without a model: ``candidates`` over the resolved history."""

    name = "rules"

    def __init__(self, similar: Similarity | None = None) -> None:
        self.similar = similar

    def candidates(self, question: str, history: Sequence[Turn]) -> list[str]:
        return candidates(question, resolve_history(history, self.similar), self.similar)

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        return self.candidates(question, history)[0]
