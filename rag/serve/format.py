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
import re
import unicodedata
from collections.abc import Callable

from rag.types import Answer, AnswerSpan, Article, Citation

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
            where = f"{c.published.isoformat()} ({c.article_id}, chars {c.start}-{c.end})"
            lines.append(f"  [{i}] {c.headline}, {where}{role}" if c.headline else f"  [{i}] {where}{role}")
            lines.append(f"      “{c.quote}”")
    if ans.answer_span is not None:
        sp = ans.answer_span
        lines.append("")
        lines.append(f"  Answer: “{sp.text}” ({sp.article_id}, chars {sp.start}-{sp.end})")
    if ans.unverified:
        lines.append("")
        lines.append("  Removed (not verbatim in the articles): " + "; ".join(ans.unverified))
    if ans.llm_error:
        lines.append(f"  (LLM unavailable, extractive answer shown: {ans.llm_error})")
    return "\n".join(lines) + "\n"


def format_markdown(ans: Answer, marker: Callable[[int], str] | None = None) -> str:
    """Markdown for chat clients: the answer, then a numbered **Sources** list with quotes.

    Every string that comes from an article, the answerer or the LLM goes through
    ``escape_markdown``; only the scaffolding around it (bold, list numbers) is Markdown. The
    answer span, when there is one, is bold inside its quote (escaped first, same characters).
    ``marker(n)`` renders the answer's citation marker ``[n]`` (default: the escaped text).
    """
    if ans.abstained:
        out = f"**{escape_markdown(ans.answer)}**"
    else:
        out = _body_markdown(ans, marker or (lambda n: escape_markdown(f"[{n}]")))
    if ans.rewritten_question:  # a follow-up: say which standalone question was answered
        out = f"_Answering: {escape_markdown(ans.rewritten_question)}_\n\n{out}"
    first = next((c for c in ans.citations if c.role == "answer"), None)
    if ans.citations:
        out += "\n\n**Sources**\n"
        for i, c in enumerate(ans.citations, start=1):
            role = f" _({_ROLE_LABEL[c.role]})_" if c.role in _ROLE_LABEL else ""
            local = _local_span(c, ans.answer_span) if c is first else None
            quote = _escape_bold(c.quote, *local) if local else escape_markdown(c.quote)
            head = f"**{escape_markdown(c.headline)}**, " if c.headline else ""
            out += (
                f"\n{i}. “{quote}” — {head}{c.published.isoformat()} "
                f"({escape_markdown(c.article_id)}, chars {c.start}–{c.end}){role}"
            )
    if ans.unverified:
        out += "\n\n_Removed because not verbatim in any cited article:_ " + "; ".join(
            f"“{escape_markdown(u)}”" for u in ans.unverified
        )
    if ans.llm_error:
        out += f"\n\n_LLM unavailable; extractive answer shown ({escape_markdown(ans.llm_error)})._"
    return out


_MARKERS = re.compile(r"(?<= )((?:\[\d+\])+)(?=\s|$)")


def _local_span(c: Citation, sp: AnswerSpan | None) -> tuple[int, int] | None:
    """The answer span's offsets inside citation ``c``'s quote, when it lies there."""
    if sp is None or sp.article_id != c.article_id or not c.start <= sp.start < sp.end <= c.end:
        return None
    return sp.start - c.start, sp.end - c.start


def _paragraphs(text: str) -> str:
    return "\n\n".join(escape_markdown(line) for line in text.split("\n"))


def _is_punct(ch: str) -> bool:
    return bool(ch) and unicodedata.category(ch)[0] in "PS"


def _bold(before: str, mid: str, after: str) -> str:
    """``before**mid**after`` when CommonMark reads the ``**`` as strong emphasis (its
    left/right-flanking rules), else the three unchanged (no stray asterisks shown)."""
    p, f, la, n = before[-1:], mid[:1], mid[-1:], after[:1]
    opens = bool(f) and not f.isspace() and (not _is_punct(f) or not p or p.isspace() or _is_punct(p))
    closes = bool(la) and not la.isspace() and (not _is_punct(la) or not n or n.isspace() or _is_punct(n))
    return f"{before}**{mid}**{after}" if opens and closes and "\n" not in mid else before + mid + after


def _escape_bold(text: str, lo: int, hi: int) -> str:
    """``escape_markdown(text)`` with ``text[lo:hi]`` in bold."""
    return _bold(escape_markdown(text[:lo]), escape_markdown(text[lo:hi]), escape_markdown(text[hi:]))


def _body_markdown(ans: Answer, marker: Callable[[int], str]) -> str:
    """The answer text, escaped (one paragraph a line), its citation markers through ``marker``
    and the answer span in bold where the first answer quote appears in it."""
    text = ans.answer
    marks = [m for m in _MARKERS.finditer(text)]
    first = next((c for c in ans.citations if c.role == "answer"), None)
    local = _local_span(first, ans.answer_span) if first else None
    at = text.find(first.quote) if first and local else -1
    bold = (at + local[0], at + local[1]) if local and at >= 0 else None
    out: list[str] = []
    pos = 0
    for m in marks:
        nums = [int(n) for n in re.findall(r"\d+", m.group(1))]
        if not all(1 <= n <= len(ans.citations) for n in nums):
            continue
        out.append(_text_part(text, pos, m.start(), bold))
        out.append("".join(marker(n) for n in nums))
        pos = m.end()
    out.append(_text_part(text, pos, len(text), bold))
    return "".join(out)


def _text_part(text: str, lo: int, hi: int, bold: tuple[int, int] | None) -> str:
    if bold is None or not (lo <= bold[0] < bold[1] <= hi):
        return _paragraphs(text[lo:hi])
    a, b = bold
    return _bold(_paragraphs(text[lo:a]), escape_markdown(text[a:b]), _paragraphs(text[b:hi]))


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
    local = _local_span(citation, span)
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
