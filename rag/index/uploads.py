"""Articles sent to a running service (the API or the chat's upload) instead of read from a folder.

The same checks and words as ``rag ingest`` (``rag.index.loader``): not UTF-8, binary, no or
a bad ``date`` header, an empty body, over 5 MB, a bad id. A batch is checked whole before
anything is written (``check_batch``), so a bad article in a request writes nothing.

A headline given apart from the text (the API's JSON ``headline``) becomes the article's first
line, followed by a blank line, so the stored text is what a file with that headline would
hold and the headline rule (``rag.text.headline``) finds it again: there is no second place a
headline lives that could disagree with the text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from rag.errors import ArticleError
from rag.index.loader import MAX_FILE_BYTES
from rag.text.headline import HEADLINE_MAX, is_headline_line
from rag.types import Article

MAX_ARTICLES_PER_REQUEST = 100
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def check_id(article_id: object, what: str = "id") -> str:
    """``article_id`` if it is a usable article id, else an ArticleError naming it."""
    if not isinstance(article_id, str) or not _ID.match(article_id):
        raise ArticleError(
            f"{what} {article_id!r} must be 1-200 characters of letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return article_id


def article_from_fields(article_id: str, date: str, text: str, headline: str | None = None) -> Article:
    """An article from separate fields (the API's JSON). ``text`` is kept exactly as sent.

    ``article_from_fields("a1", "2025-09-04", "Body.", "Kyiv talks").text`` -> ``"Kyiv talks\\n\\nBody."``

    Raises:
        ArticleError: naming the field that is wrong and how to fix it.
    """
    check_id(article_id)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date or ""):
        raise ArticleError(
            f"date {date!r} of article {article_id!r} is not in YYYY-MM-DD form, e.g. 2025-09-04"
        )
    try:
        published = dt.date.fromisoformat(date)
    except ValueError:
        raise ArticleError(f"date {date!r} of article {article_id!r} is not a real date") from None
    if not text.strip():
        raise ArticleError(f"the text of article {article_id!r} is empty")
    if headline is not None:
        head = headline.strip()
        if "\n" in head or "\r" in head or not is_headline_line(head):
            raise ArticleError(
                f"headline {headline[:80]!r} of article {article_id!r} must be one non-empty line of at most "
                f"{HEADLINE_MAX} characters not ending in '.', ',', ';', ':' or '…': shorten it or drop the "
                "final punctuation"
            )
        text = f"{head}\n\n{text}"
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise ArticleError(
            f"article {article_id!r} is {size / 1e6:.1f} MB, over the {MAX_FILE_BYTES / 1e6:.1f} MB limit "
            "for one article"
        )
    return Article(article_id, published, text)


def check_batch(articles: Sequence[Article]) -> None:
    """Refuse a batch with a repeated id or more than ``MAX_ARTICLES_PER_REQUEST`` articles."""
    if len(articles) > MAX_ARTICLES_PER_REQUEST:
        raise ArticleError(
            f"{len(articles)} articles in one request, over the limit of {MAX_ARTICLES_PER_REQUEST}: "
            "send them in several requests"
        )
    seen: set[str] = set()
    for a in articles:
        if a.article_id in seen:
            raise ArticleError(f"duplicate article id {a.article_id!r} in one request: send each id once")
        seen.add(a.article_id)
