"""What the assistant says when it cannot answer for a reason other than the articles' silence.

"The articles don't say." is true only when the articles were searched and are silent. Two
other cases get their own words, the same in every front end (the pipeline returns them as an
abstained answer): a question not in English (``rag.text.language``), and a date filter that
leaves no article to search (``empty_range_message``).
"""

from __future__ import annotations

import datetime as dt
import time

from rag.protocols import ArticleStore
from rag.text.language import english_only_message, question_language
from rag.types import Answer, DateRange


def notice(asked: str, text: str, mode: str, t0: float, rewritten: str | None = None) -> Answer:
    """An abstention that says why no article was searched (``t0``: when answering began)."""
    took = {"total_ms": (time.perf_counter() - t0) * 1e3}
    return Answer(
        asked,
        text,
        True,
        mode=mode,
        timings_ms=took,
        rewritten_question=rewritten if rewritten != asked else None,
    )


def english_only_notice(question: str) -> str:
    """The English-only message for a question in another language ("" for English)."""
    language = question_language(question)
    return "" if language == "en" else english_only_message(language)


def range_words(dr: DateRange) -> str:
    """``"from 2030-01-01 to 2030-12-31"``, ``"from 2030-01-01 on"``, ``"up to 2020-12-31"``."""
    if dr.start is not None and dr.end is not None:
        return f"from {dr.start} to {dr.end}" if dr.start != dr.end else f"on {dr.start}"
    if dr.start is not None:
        return f"from {dr.start} on"
    return f"up to {dr.end}"


def empty_range_message(dr: DateRange, total: int, before: int, after: int) -> str:
    """The answer when no article was published within the date filter ``dr``: the range, how
    many articles lie outside it (``before`` its start, ``after`` its end, ``total`` in all), and
    what to do.

    ``empty_range_message(DateRange(date(2030, 1, 1), None), 3, 3, 0)`` ->
    ``"No article was published from 2030-01-01 on (the date filter). All 3 articles in the
    collection are outside it: 3 before 2030-01-01. Widen the range or clear the date filter."``
    """
    head = f"No article was published {range_words(dr)} (the date filter)."
    if total == 0:
        return f"{head} The collection is empty: add articles first."
    sides = []
    if dr.start is not None:
        sides.append(f"{before} before {dr.start}")
    if dr.end is not None:
        sides.append(f"{after} after {dr.end}")
    noun = "article" if total == 1 else "articles"
    where = f"All {total} {noun} in the collection are" if total > 1 else "The collection's one article is"
    return f"{head} {where} outside it: {', '.join(sides)}. Widen the range or clear the date filter."


def empty_range_notice(dr: DateRange, store: ArticleStore) -> str:
    """``empty_range_message`` when no article in ``store`` falls in the date filter ``dr``, with
    the counts outside it (``count_published``: ids only); "" when the filter is off or has some."""
    if dr.is_open or store.count_published(dr) > 0:
        return ""
    day = dt.timedelta(days=1)
    before = (
        store.count_published(DateRange(None, dr.start - day)) if dr.start and dr.start > dt.date.min else 0
    )
    after = store.count_published(DateRange(dr.end + day, None)) if dr.end and dr.end < dt.date.max else 0
    return empty_range_message(dr, store.counts()[0], before, after)
