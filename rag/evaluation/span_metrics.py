"""How well ``answer_span`` finds the exact answer, scored against SQuAD gold answers (pure).

Scored only where the sentence is already right: answered questions whose first answer quote
holds a gold answer, and that ask for a typed answer (``span_type``). Over those:

- ``answer_span_given``: share that got a span at all;
- ``answer_span_exact``: share of spans equal to a gold answer after SQuAD's normalisation
  (lower case, no punctuation, no articles, single spaces; Rajpurkar et al. 2016, the official
  ``evaluate-v2.0.py``);
- ``answer_span_overlap``: share of spans sharing characters with a gold answer's place in the quote;
- ``answer_span_f1``: mean best token F1 against the gold answers (the same script's F1).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rag.answer.span import span_type
from rag.types import Answer

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = frozenset(string.punctuation)


def squad_normalize(text: str) -> str:
    """SQuAD's answer normalisation: ``squad_normalize("The 10th Century.")`` -> ``"10th century"``."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(pred: str, gold: str) -> float:
    """SQuAD token F1: ``token_f1("three years", "for three years")`` -> ``0.8``."""
    p, g = squad_normalize(pred).split(), squad_normalize(gold).split()
    common = sum((Counter(p) & Counter(g)).values())
    if not p or not g or common == 0:
        return 0.0
    prec, rec = common / len(p), common / len(g)
    return 2 * prec * rec / (prec + rec)


def span_in_quote(a: Answer) -> list[Any] | None:
    """``[start, end, text]`` of the answer span relative to the first answer quote, or None."""
    cit = next((c for c in a.citations if c.role == "answer"), None)
    sp = a.answer_span
    if cit is None or sp is None:
        return None
    return [sp.start - cit.start, sp.end - cit.start, sp.text]


def gold_places(quote: str, answers: Sequence[str]) -> list[tuple[int, int]]:
    """Every place a gold answer occurs in ``quote`` (case-insensitive)."""
    low = quote.lower()
    out = []
    for a in answers:
        g = a.strip().lower()
        i = low.find(g) if g else -1
        while i != -1:
            out.append((i, i + len(g)))
            i = low.find(g, i + 1)
    return out


def span_scores(records: Sequence[dict[str, Any]]) -> dict[str, float]:
    """The span figures over records with ``question``, ``answerable``, ``correct``,
    ``first_quote``, ``gold`` and ``span`` (``span_in_quote``); see the module docstring."""
    typed = [
        r
        for r in records
        if r["answerable"] and r["correct"] and r.get("first_quote") and span_type(r["question"])
    ]
    given = [r for r in typed if r.get("span")]
    exact = overlap = 0
    f1 = 0.0
    for r in given:
        s, e, text = r["span"]
        golds = r.get("gold", [])
        exact += any(squad_normalize(text) == squad_normalize(g) for g in golds)
        overlap += any(s < ge and gs < e for gs, ge in gold_places(r["first_quote"], golds))
        f1 += max((token_f1(text, g) for g in golds), default=0.0)
    n = max(len(given), 1)
    return {
        "answer_span_typed": len(typed),
        "answer_span_given": round(len(given) / max(len(typed), 1), 4),
        "answer_span_exact": round(exact / n, 4),
        "answer_span_overlap": round(overlap / n, 4),
        "answer_span_f1": round(f1 / n, 4),
    }
