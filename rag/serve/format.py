"""Presentation of answers: plain text (CLI), Markdown (chat), HTML highlight (sources panel).

Pure functions over domain types; every rendering shows each quote with its article id, date
and character span, and renders an abstention as a statement, not as an error.

Article text is data: wherever a person or a client reads it, it is shown as its own characters.
Markdown renderings pass every article-derived string through ``escape_markdown`` (the chat and
the OpenAI-compatible ``content`` use the same function); HTML renderings through ``html.escape``.
The trade-off: Markdown clients see backslashes if they show the raw text instead of rendering it
(``citations[].quote`` in JSON stays the exact article text for them).
"""

from __future__ import annotations

import html

from rag.types import Answer, Article, Citation

_ROLE_LABEL = {
    "context": "context",
    "corroboration": "also reported",
    "other_report": "another report",
    "other_context": "another report, context",
    "conflicting_report": "conflicting report",
}


def format_text(ans: Answer) -> str:
    """Human-readable answer: the answer, then numbered quotes with article id, date and span."""
    lines = [f"Q: {ans.question}", ""]
    lines.append(("[no answer] " if ans.abstained else "") + ans.answer)
    if ans.citations:
        lines.append("")
        for i, c in enumerate(ans.citations, start=1):
            role = f" ({_ROLE_LABEL[c.role]})" if c.role in _ROLE_LABEL else ""
            lines.append(f"  [{i}] {c.article_id}, {c.published.isoformat()}, chars {c.start}-{c.end}{role}")
            lines.append(f"      “{c.quote}”")
    if ans.unverified:
        lines.append("")
        lines.append("  Removed (not verbatim in the articles): " + "; ".join(ans.unverified))
    if ans.llm_error:
        lines.append(f"  (LLM unavailable, extractive answer shown: {ans.llm_error})")
    return "\n".join(lines) + "\n"


def format_markdown(ans: Answer) -> str:
    """Markdown for chat clients: the answer, then a numbered **Sources** list with quotes.

    Every string that comes from an article, the answerer or the LLM goes through
    ``escape_markdown``; only the scaffolding around it (bold, list numbers) is Markdown.
    """
    if ans.abstained:
        out = f"**{escape_markdown(ans.answer)}**"
    else:
        out = "\n\n".join(escape_markdown(line) for line in ans.answer.split("\n"))
    if ans.citations:
        out += "\n\n**Sources**\n"
        for i, c in enumerate(ans.citations, start=1):
            role = f" _({_ROLE_LABEL[c.role]})_" if c.role in _ROLE_LABEL else ""
            out += (
                f"\n{i}. “{escape_markdown(c.quote)}” — {escape_markdown(c.article_id)}, "
                f"{c.published.isoformat()}, chars {c.start}–{c.end}{role}"
            )
    if ans.unverified:
        out += "\n\n_Removed because not verbatim in any cited article:_ " + "; ".join(
            f"“{escape_markdown(u)}”" for u in ans.unverified
        )
    if ans.llm_error:
        out += f"\n\n_LLM unavailable; extractive answer shown ({escape_markdown(ans.llm_error)})._"
    return out


# CommonMark 0.31, "Backslash escapes": any ASCII punctuation character may be backslash-escaped.
# "<", ">" and "&" become entities instead, so raw-HTML-aware renderers (Gradio's Chatbot keeps
# sanitised HTML) and plain HTML views both show them as characters.
_ASCII_PUNCT = frozenset("!\"#$%'()*+,-./:;=?@[\\]^_`{|}~")
_ENTITY = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape_markdown(text: str) -> str:
    """Text to show as its own characters in Markdown: no link, image, emphasis, HTML or autolink.

    Every ASCII punctuation character is backslash-escaped (CommonMark's backslash escapes),
    except ``<``, ``>`` and ``&``, which become the entities ``&lt;``, ``&gt;``, ``&amp;``. A
    newline becomes a hard line break (backslash + newline), so lines are kept and none can
    start a block (a heading, a list, a quote). Rendered, the result displays exactly ``text``
    (runs of spaces aside, which HTML collapses).

    ``escape_markdown("![x](http://a.b) <b>")`` -> ``"\\!\\[x\\]\\(http\\:\\/\\/a\\.b\\) &lt;b&gt;"``.
    """
    out = []
    for ch in text:
        if ch in _ENTITY:
            out.append(_ENTITY[ch])
        elif ch in _ASCII_PUNCT:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\\n")
        else:
            out.append(ch)
    return "".join(out)


def highlight_html(article: Article, citation: Citation | None, context_chars: int | None = None) -> str:
    """The article as HTML with the cited span in ``<mark>``; offsets index ``article.text`` exactly."""
    text = article.text
    head = (
        f"<div class='rag-article-head'><b>{html.escape(article.article_id)}</b> · published "
        f"{article.published.isoformat()}</div>"
    )
    if citation is None or not (0 <= citation.start < citation.end <= len(text)):
        body = html.escape(text)
    else:
        a, b = citation.start, citation.end
        lo = 0 if context_chars is None else max(0, a - context_chars)
        hi = len(text) if context_chars is None else min(len(text), b + context_chars)
        body = (
            ("…" if lo > 0 else "")
            + html.escape(text[lo:a])
            + f"<mark id='rag-quote' data-start='{a}' data-end='{b}'>{html.escape(text[a:b])}</mark>"
            + html.escape(text[b:hi])
            + ("…" if hi < len(text) else "")
        )
    return f"{head}<div class='rag-article' style='white-space: pre-wrap'>{body}</div>"
