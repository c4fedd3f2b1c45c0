"""The sources panel's HTML: the cited article with the quoted span in ``<mark>``, every part
HTML-escaped (article text is data), the exact answer marked more strongly inside the quote."""

from __future__ import annotations

import html

from rag.serve.format import local_span
from rag.types import AnswerSpan, Article, Citation


def highlight_html(
    article: Article,
    citation: Citation | None,
    context_chars: int | None = None,
    span: AnswerSpan | None = None,
    headline: str = "",
) -> str:
    """The article as HTML with the cited span in ``<mark>``; offsets index ``article.text`` exactly.
    An answer ``span`` inside the citation gets a stronger ``<mark class='rag-span'>`` within it.
    The head shows the headline (when given), the date and, smaller, the article id."""
    text = article.text
    head = f"<div class='rag-article-head'>{article_head_html(article.article_id, article.published_iso, headline)}</div>"
    if citation is None or not (0 <= citation.start < citation.end <= len(text)):
        body = html.escape(text)
    else:
        a, b = citation.start, citation.end
        lo = 0 if context_chars is None else max(0, a - context_chars)
        hi = len(text) if context_chars is None else min(len(text), b + context_chars)
        body = (
            ("…" if lo > 0 else "")
            + html.escape(text[lo:a])
            + f"<mark id='rag-quote' data-start='{a}' data-end='{b}'>{_quote_html(text, citation, span)}</mark>"
            + html.escape(text[b:hi])
            + ("…" if hi < len(text) else "")
        )
    return f"{head}<div class='rag-article' style='white-space: pre-wrap'>{body}</div>"


def _quote_html(text: str, citation: Citation, span: AnswerSpan | None) -> str:
    a, b = citation.start, citation.end
    local = local_span(citation, span)
    if local is None:
        return html.escape(text[a:b])
    s, e = a + local[0], a + local[1]
    return (
        html.escape(text[a:s])
        + f"<mark class='rag-span' data-start='{s}' data-end='{e}'>{html.escape(text[s:e])}</mark>"
        + html.escape(text[e:b])
    )


def article_head_html(article_id: str, published: str, headline: str = "") -> str:
    """``<b>headline</b> · published DATE · <small>id</small>``, every part HTML-escaped."""
    title = f"<b class='rag-headline'>{html.escape(headline)}</b> · " if headline else ""
    return (
        f"{title}published {html.escape(published)} · "
        f"<small class='rag-article-id'>{html.escape(article_id)}</small>"
    )
