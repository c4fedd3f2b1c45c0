"""Citation verification: the last step every answer passes through, whatever produced it.

A citation survives only if ``article.text[start:end] == quote`` for the article it names
(as currently committed). Anything else is dropped and its quote listed as unverified; an
answer left with no answer quote becomes an abstention. This is the product's core promise,
so it is deliberately small and has no knobs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from rag.answer.base import ABSTAIN_TEXT
from rag.types import Answer, Article


def verify_citation(article: Article | None, quote: str, start: int, end: int) -> bool:
    """True iff the quote is exactly the article's text at [start, end) and not empty."""
    return (
        article is not None
        and bool(quote.strip())
        and 0 <= start < end <= len(article.text)
        and article.text[start:end] == quote
    )


class CitationVerifier:
    """Drops every citation that is not verbatim at its offsets."""

    def __init__(self, get_article: Callable[[str], Article | None]) -> None:
        self.get_article = get_article

    def verify(self, answer: Answer) -> Answer:
        kept = []
        bad = list(answer.unverified)
        for c in answer.citations:
            if verify_citation(self.get_article(c.article_id), c.quote, c.start, c.end):
                kept.append(c)
            else:
                bad.append(c.quote)
        if len(kept) == len(answer.citations):
            return answer
        if not answer.abstained and not any(c.role == "answer" for c in kept):
            return replace(
                answer,
                answer=f"{ABSTAIN_TEXT} (A quote could not be verified against its article.)",
                abstained=True,
                citations=(),
                unverified=tuple(bad),
            )
        return replace(answer, citations=tuple(kept), unverified=tuple(bad))
