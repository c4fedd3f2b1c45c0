"""What people read about a source: its headline and outlet, filled into each citation, and the
answer text's frame (``rag.answer.compose.answer_text``) written again with them.

The answerers cite chunks, which know their article's id and date but not its headline; the
pipeline fills headlines in after verification (``label_sources``), so the frame first names
other reports by date and is then rewritten to name them by headline. A text not in the frame
(an LLM's) is left as it is: it names no id either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from rag.answer.compose import answer_text
from rag.text.outlet import outlet
from rag.types import Answer, Article, ArticleInfo


def label_sources(
    answer: Answer, infos: Mapping[str, ArticleInfo], article: Callable[[str], Article | None]
) -> Answer:
    """``answer`` with each citation's ``headline`` (from ``infos``) and ``outlet`` (from the
    article's dateline) filled in, and its text re-framed with them when it was the frame."""
    outlets: dict[str, str] = {}
    for c in answer.citations:
        if c.article_id not in outlets:
            art = article(c.article_id)
            outlets[c.article_id] = outlet(art.text) if art is not None else ""
    cites = tuple(
        replace(c, headline=infos[c.article_id].headline, outlet=outlets[c.article_id])
        if c.article_id in infos
        else c
        for c in answer.citations
    )
    text = answer.answer
    if cites and not answer.abstained and text == answer_text(answer.citations):
        text = answer_text(cites)
    return replace(answer, answer=text, citations=cites)
