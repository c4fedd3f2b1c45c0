"""Presentation of answers: plain text (CLI), Markdown (chat), HTML highlight (sources panel).

Pure functions over domain types; every rendering shows each quote with its article id, date
and character span, and renders an abstention as a statement, not as an error.
"""

from __future__ import annotations

import html

from rag.types import Answer, Article, Citation

_ROLE_LABEL = {
    "context": "context",
    "corroboration": "also reported",
    "other_report": "another report",
    "other_context": "another report, context",
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
    """Markdown for chat clients: the answer, then a numbered **Sources** list with quotes."""
    out = f"**{ans.answer}**" if ans.abstained else ans.answer.replace("\n", "\n\n")
    if ans.citations:
        out += "\n\n**Sources**\n"
        for i, c in enumerate(ans.citations, start=1):
            role = f" _({_ROLE_LABEL[c.role]})_" if c.role in _ROLE_LABEL else ""
            out += f"\n{i}. “{_md_escape(c.quote)}” — `{c.article_id}`, {c.published.isoformat()}, chars {c.start}–{c.end}{role}"
    if ans.unverified:
        out += "\n\n_Removed because not verbatim in any cited article:_ " + "; ".join(
            f"“{_md_escape(u)}”" for u in ans.unverified
        )
    if ans.llm_error:
        out += f"\n\n_LLM unavailable; extractive answer shown ({_md_escape(ans.llm_error)})._"
    return out


def _md_escape(s: str) -> str:
    return s.replace("*", "\\*").replace("_", "\\_").replace("`", "\\`").replace("<", "&lt;")


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
