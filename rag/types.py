"""Domain types: plain frozen dataclasses shared by every step.

This module imports nothing from Chroma, llama-index, FastAPI or Gradio. Steps return new
values (``dataclasses.replace``) rather than mutating their inputs. Offsets are always
character offsets into ``Article.text`` (Python ``str`` indices), so the invariant
``article.text[c.start:c.end] == c.quote`` can be checked anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from rag.errors import BadQuestionError


def content_hash(*parts: str) -> str:
    """Stable short hash of text parts: ``content_hash("a", "b")`` -> 16 hex chars."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Article:
    """One news article: ``text`` is the body exactly as in the file after the date header."""

    article_id: str
    published: dt.date
    text: str

    @property
    def published_iso(self) -> str:
        return self.published.isoformat()

    @property
    def published_int(self) -> int:
        """``2025-09-04`` -> ``20250904`` (Chroma range filters take numbers only)."""
        return self.published.year * 10000 + self.published.month * 100 + self.published.day

    @property
    def digest(self) -> str:
        """Content hash of id, date and text: changes whenever the article does."""
        return content_hash(self.article_id, self.published_iso, self.text)


@dataclass(frozen=True)
class ArticleInfo:
    """What the store lists about an article without its text (``headline``: see ``rag.text.headline``)."""

    article_id: str
    published: dt.date
    headline: str
    chunks: int
    digest: str


@dataclass(frozen=True)
class Chunk:
    """A span of an article (one sentence, or a few very short ones) that is embedded and indexed."""

    article_id: str
    published: dt.date
    seq: int
    start: int
    end: int
    text: str
    article_digest: str

    @cached_property  # hashed once: the id is looked up many times per question
    def chunk_id(self) -> str:
        """Id from content: article id, span and text, so re-indexing is an idempotent upsert."""
        return f"{self.article_id}:{self.seq}:{content_hash(self.article_id, str(self.start), str(self.end), self.text)}"


@dataclass(frozen=True)
class DateRange:
    """Inclusive publication-date filter; either end may be open. A reversed range is refused.

    ``DateRange.parse("2025-09-01", "")`` -> ``DateRange(date(2025, 9, 1), None)``: the one parser
    every front end (CLI, API, chat) uses, so each refuses the same input with the same words.
    """

    start: dt.date | None = None
    end: dt.date | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise BadQuestionError(
                f"the range's start {self.start} is after its end {self.end}: swap the two dates"
            )

    @classmethod
    def parse(
        cls, start: str | dt.date | None, end: str | dt.date | None, labels: tuple[str, str] = ("from", "to")
    ) -> DateRange:
        """Loose input (``None``, ``""``, ``"YYYY-MM-DD"`` or a date) to a checked range.

        Raises:
            BadQuestionError: naming the label and the value that is not a date, or a reversed range.
        """

        def one(value: str | dt.date | None, label: str) -> dt.date | None:
            if value is None or isinstance(value, dt.date):
                return value
            if not value.strip():
                return None
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise BadQuestionError(
                    f"{label} {value!r} is not a date: use YYYY-MM-DD, e.g. 2025-09-04"
                ) from None

        lo, hi = one(start, labels[0]), one(end, labels[1])
        if lo is not None and hi is not None and lo > hi:
            raise BadQuestionError(f"{labels[0]} {lo} is after {labels[1]} {hi}: swap the two dates")
        return cls(lo, hi)

    def contains(self, day: dt.date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    @property
    def is_open(self) -> bool:
        return self.start is None and self.end is None


TOP_K_MAX = 200  # the one bound on chunks retrieved per question (settings, API, CLI)


def check_top_k(k: int) -> int:
    """``k`` if it is a usable number of chunks to retrieve, else a BadQuestionError naming it."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= TOP_K_MAX:
        raise BadQuestionError(f"top_k must be a whole number from 1 to {TOP_K_MAX}, got {k!r}")
    return k


@dataclass(frozen=True)
class Query:
    """What a retriever receives: the question, how many hits, an optional date filter."""

    text: str
    top_k: int = 20
    date_range: DateRange = field(default_factory=DateRange)

    def __post_init__(self) -> None:
        check_top_k(self.top_k)


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its score from one retriever (or the fused score)."""

    chunk: Chunk
    score: float
    dense: float | None = None  # cosine similarity to the question, when known


@dataclass(frozen=True)
class Retrieval:
    """What a retriever returns for one query: hits best first, the question's vector, step timings."""

    hits: list[Hit]
    vector: np.ndarray
    timings_ms: dict[str, float]


@dataclass(frozen=True)
class Citation:
    """A verbatim quote: ``article.text[start:end] == quote`` once verified."""

    article_id: str
    published: dt.date
    quote: str
    start: int
    end: int
    role: str = (
        "answer"  # "answer" | "context" | "corroboration" | "other_*" | "conflicting_report" | "digest"
    )
    headline: str = ""  # the article's headline, for people (filled in by the pipeline)
    outlet: str = ""  # the outlet the article names in its dateline, when it does (rag.text.outlet)

    def to_json(self) -> dict[str, object]:
        return {
            "article_id": self.article_id,
            "published": self.published.isoformat(),
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "role": self.role,
            "headline": self.headline,
            "outlet": self.outlet,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Citation:
        """The citation back from ``to_json`` (``headline`` and ``outlet`` may be missing)."""
        return cls(
            str(d["article_id"]),
            dt.date.fromisoformat(str(d["published"])),
            str(d["quote"]),
            int(d["start"]),
            int(d["end"]),
            str(d.get("role") or "answer"),
            str(d.get("headline") or ""),
            str(d.get("outlet") or ""),
        )


@dataclass(frozen=True)
class AnswerSpan:
    """The exact answer inside the first answer quote: ``article.text[start:end] == text``."""

    article_id: str
    start: int
    end: int
    text: str

    def to_json(self) -> dict[str, object]:
        return {"article_id": self.article_id, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class Answer:
    """The result of one question."""

    question: str
    answer: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    mode: str = "extractive"
    confidence: float = 0.0
    unverified: tuple[str, ...] = ()
    llm_error: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    retrieved: tuple[str, ...] = ()  # chunk ids in rank order, for evaluation
    answer_span: AnswerSpan | None = None  # the exact answer inside the first answer quote
    rewritten_question: str | None = None  # the standalone question answered, when a follow-up was rewritten

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "mode": self.mode,
            "confidence": round(self.confidence, 4),
            "unverified": list(self.unverified),
            "llm_error": self.llm_error,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "answer_span": self.answer_span.to_json() if self.answer_span else None,
            "rewritten_question": self.rewritten_question,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Answer:
        """The answer back from ``to_json`` (what the chat keeps per answer)."""
        sp = d.get("answer_span")
        return cls(
            str(d["question"]),
            str(d["answer"]),
            bool(d["abstained"]),
            tuple(Citation.from_json(c) for c in d.get("citations") or ()),
            mode=str(d.get("mode") or "extractive"),
            confidence=float(d.get("confidence") or 0.0),
            unverified=tuple(str(u) for u in d.get("unverified") or ()),
            llm_error=d.get("llm_error"),
            answer_span=AnswerSpan(str(sp["article_id"]), int(sp["start"]), int(sp["end"]), str(sp["text"]))
            if sp
            else None,
            rewritten_question=d.get("rewritten_question"),
        )


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation: the question, the answer text, the quotes it cited."""

    question: str
    answer: str = ""
    quotes: tuple[str, ...] = ()  # the answer's quotes, answering ones first


@dataclass(frozen=True)
class FileFailure:
    """A file that could not be indexed, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class IngestReport:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    failed: tuple[FileFailure, ...] = ()
    chunks_written: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "failed": [{"path": f.path, "reason": f.reason} for f in self.failed],
            "chunks_written": self.chunks_written,
        }
