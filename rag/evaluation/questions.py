"""Run the labelled question set through a pipeline and score it.

Each question in ``eval/questions.jsonl`` is asked exactly as a user would; evidence quotes
are located in their articles so retrieval and citations can be judged by character spans.
Metric definitions live in ``summarize``'s docstring and in ``rag.evaluation.metrics``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import RagError
from rag.evaluation.metrics import facts_present, hit_at_k, mean, overlaps, percentile, reciprocal_rank
from rag.types import Answer, Article

REQUIRED = ("id", "question", "answerable", "expect", "sources", "evidence")


@dataclass(frozen=True)
class LabelledQuestion:
    qid: str
    question: str
    answerable: bool
    expect: tuple[tuple[str, ...], ...]
    sources: tuple[str, ...]
    evidence: tuple[str, ...]
    kind: str = ""
    conversation: str = ""  # questions sharing an id are one conversation, asked in file order
    turn: int = 0  # 1, 2, ... within its conversation; earlier turns are its history
    shape: str = ""  # a follow-up's shape ("pronoun", "subject_swap", "bare_why", ...), for the report
    split: str = ""  # "heldout": kept aside while the follow-up rewriter was developed, reported apart


def load_questions(path: Path) -> list[LabelledQuestion]:
    """Parse and validate a question file; errors name the line and the field."""
    out: list[LabelledQuestion] = []
    seen: set[str] = set()
    turns: dict[str, int] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as e:
            raise RagError(f"{path}:{n}: not JSON ({e.msg})") from None
        missing = [k for k in REQUIRED if k not in d]
        if missing:
            raise RagError(f"{path}:{n}: missing field(s) {', '.join(missing)}")
        if d["id"] in seen:
            raise RagError(f"{path}:{n}: duplicate id {d['id']!r}")
        seen.add(d["id"])
        conv, turn = str(d.get("conversation", "")), d.get("turn", 0)
        if conv and turn != turns.get(conv, 0) + 1:
            raise RagError(
                f"{path}:{n}: conversation {conv!r} turn {turn!r} should be {turns.get(conv, 0) + 1}: "
                "list a conversation's turns in order, numbered from 1"
            )
        turns[conv] = turn
        out.append(
            LabelledQuestion(
                str(d["id"]),
                str(d["question"]),
                bool(d["answerable"]),
                tuple(tuple(str(a) for a in alts) for alts in d["expect"]),
                tuple(d["sources"]),
                tuple(d["evidence"]),
                str(d.get("kind", "")),
                conv,
                int(turn) if conv else 0,
                str(d.get("shape", "")),
                str(d.get("split", "")),
            )
        )
    return out


def evidence_spans(q: LabelledQuestion, articles: dict[str, Article]) -> list[tuple[str, int, int]]:
    """Where each evidence quote sits: (article id, start, end), every occurrence in every source."""
    spans = []
    for quote in q.evidence:
        for aid in q.sources:
            art = articles.get(aid)
            if art is None:
                continue
            i = art.text.find(quote)
            while i != -1:
                spans.append((aid, i, i + len(quote)))
                i = art.text.find(quote, i + 1)
    return spans


def score_question(
    q: LabelledQuestion,
    a: Answer,
    articles: dict[str, Article],
    chunk_span: Callable[[str], tuple[str, int, int] | None],
    k: int = 5,
) -> dict[str, Any]:
    """Per-question record: correctness, abstention, retrieval rank, citation checks."""
    spans = evidence_spans(q, articles)

    def relevant(aid: str, s: int, e: int) -> bool:
        return any(aid == sa and overlaps((s, e), (ss, se)) for sa, ss, se in spans)

    ranks = []
    for cid in a.retrieved:
        loc = chunk_span(cid)
        ranks.append(loc is not None and relevant(*loc))
    verbatim = [
        (art := articles.get(c.article_id)) is not None and art.text[c.start : c.end] == c.quote
        for c in a.citations
    ]
    answer_cites = [c for c in a.citations if c.role == "answer"]
    precise = [
        relevant(c.article_id, c.start, c.end) or (facts_present(c.quote, q.expect[:1]) and bool(q.expect))
        for c in answer_cites
    ]
    correct = (not a.abstained and facts_present(a.answer, q.expect)) if q.answerable else a.abstained
    first = answer_cites[0] if answer_cites else None
    right_sentence = (
        (not a.abstained and first is not None and relevant(first.article_id, first.start, first.end))
        if q.answerable
        else a.abstained
    )
    return {
        "id": q.qid,
        "question": q.question,
        "kind": q.kind,
        "answerable": q.answerable,
        "correct": correct,
        "right_sentence": right_sentence,
        "abstained": a.abstained,
        "answer": a.answer,
        "citations": [c.to_json() for c in a.citations],
        "hit_at_k": hit_at_k(ranks, k) if q.answerable else None,
        "rr": reciprocal_rank(ranks) if q.answerable else None,
        "citation_verbatim": verbatim,
        "citation_precise": precise,
        "confidence": a.confidence,
        "latency_ms": a.timings_ms.get("total_ms", 0.0),
        "mode": a.mode,
        "unverified": list(a.unverified),
        "conversation": q.conversation,
        "turn": q.turn,
        "shape": q.shape,
        "split": q.split,
        "rewritten_question": a.rewritten_question,
    }


def summarize(records: Iterable[dict[str, Any]]) -> dict[str, float]:
    """Aggregate per-question records.

    - ``answer_correct``: share of answerable questions answered (not abstained) with every expected fact.
    - ``abstain_accuracy``: share of unanswerable questions abstained.
    - ``false_refusal_rate``: share of answerable questions abstained.
    - ``retrieval_hit_at_k``: share of answerable questions with a labelled-evidence chunk in the top k.
    - ``mrr``: mean reciprocal rank of the first evidence chunk (answerable questions).
    - ``citation_verbatim``: share of all citations whose quote is the article text at its offsets (must be 1.0).
    - ``citation_precision``: share of answer citations that overlap labelled evidence or contain the expected fact.
    - ``latency_p50_ms`` / ``latency_p95_ms``: end-to-end answer time.
    - ``followup_correct``: share of follow-up turns (turn 2+ of a conversation) scored correct
      (present only when the set has conversations).
    - ``followup_right_sentence``: share of follow-up turns answered from the right sentence (the
      first answer quote overlaps labelled evidence; an unanswerable one abstained);
      ``followup_right_sentence_heldout`` the same over the held-out follow-ups (``"split": "heldout"``).
    """
    rs = list(records)
    ans = [r for r in rs if r["answerable"]]
    una = [r for r in rs if not r["answerable"]]
    verbatim = [v for r in rs for v in r["citation_verbatim"]]
    precise = [p for r in ans for p in r["citation_precise"]]
    lat = [r["latency_ms"] for r in rs]
    follow = [r for r in rs if r.get("turn", 0) > 1]
    return {
        "questions": len(rs),
        "answer_correct": mean([1.0 if r["correct"] else 0.0 for r in ans]),
        "abstain_accuracy": mean([1.0 if r["abstained"] else 0.0 for r in una]),
        "false_refusal_rate": mean([1.0 if r["abstained"] else 0.0 for r in ans]),
        "retrieval_hit_at_k": mean([r["hit_at_k"] for r in ans]),
        "mrr": mean([r["rr"] for r in ans]),
        "citation_verbatim": mean([1.0 if v else 0.0 for v in verbatim]) if verbatim else 1.0,
        "citation_precision": mean([1.0 if p else 0.0 for p in precise]),
        "latency_p50_ms": percentile(lat, 50),
        "latency_p95_ms": percentile(lat, 95),
    } | (followup_summary(follow) if follow else {})


def followup_summary(follow: list[dict[str, Any]]) -> dict[str, float]:
    """The follow-up figures of ``summarize`` over follow-up records (see there)."""
    held = [r for r in follow if r.get("split") == "heldout"]
    out = {
        "followup_correct": mean([1.0 if r["correct"] else 0.0 for r in follow]),
        "followup_right_sentence": mean([1.0 if r.get("right_sentence") else 0.0 for r in follow]),
    }
    if held:
        out["followup_right_sentence_heldout"] = mean([1.0 if r.get("right_sentence") else 0.0 for r in held])
    return out
