"""Presentation of answers: plain text (CLI), Markdown (chat, OpenAI content, copy and export),
HTML highlight (sources panel).

Pure functions over domain types. People read sources by headline and date, never by hash id
(the id stays in JSON and the CLI, where machines and operators need it). An abstention is
rendered as a statement, not as an error.

Sources appear once: an answer shows its quotes with ``[n]`` markers, then one *source card* per
article (its markers, headline, date, and the outlet when the article names one). Copy and export
add each quote to its numbered source, so the text stands on its own.

Article text is data: wherever a person or a client reads it, it is shown as its own characters.
Markdown renderings pass every article-derived string through ``escape_markdown``
(``rag.serve.escape``: only what would become markup, never plain punctuation), so the same text
reads cleanly raw (copy, export, logs, speech) and rendered (the chat, Markdown clients). HTML
renderings go through ``html.escape``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace

from rag.serve.escape import escape_markdown
from rag.types import Answer, AnswerSpan, Citation

_ROLE_LABEL = {
    "context": "context",
    "corroboration": "also reported",
    "other_report": "another report",
    "other_context": "another report, context",
    "conflicting_report": "conflicting report",
}
# what a source card says about its article's part in the answer (answer/context/digest: nothing)
_CARD_LABEL = {
    "corroboration": "also reported",
    "other_report": "another report",
    "other_context": "another report",
    "conflicting_report": "conflicting report",
}


def role_label(role: str) -> str:
    """How a citation's role reads beside it: ``"corroboration"`` -> ``"also reported"``."""
    return _ROLE_LABEL.get(role, role.replace("_", " "))


def format_text(ans: Answer) -> str:
    """Human-readable answer for the CLI: the answer, then numbered quotes with headline, date,
    article id and span (operators need the id for ``rag show``)."""
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


Marker = Callable[[int], str]


def plain_marker(n: int) -> str:
    """``[n]`` as it stands: without a link definition (``escape_markdown`` lets none through),
    Markdown shows it as typed."""
    return f"[{n}]"


def format_markdown(ans: Answer, marker: Marker | None = None) -> str:
    """The chat's Markdown: the answer (the exact answer in bold inside its quote), then
    **Sources**, one card per article (``source_cards``). ``marker(n)`` renders citation
    marker ``[n]`` wherever it appears (the chat's are clickable spans)."""
    mark = marker or plain_marker
    if ans.abstained:
        out = "\n\n".join(f"**{escape_markdown(line)}**" for line in ans.answer.split("\n") if line.strip())
    else:
        out = answer_body(ans, mark, bold_span=True)
    if ans.rewritten_question:  # a follow-up: say which standalone question was answered
        out = f"_Answering: {escape_markdown(ans.rewritten_question, line_start=False)}_\n\n{out}"
    if ans.citations:
        out += "\n\n**Sources**\n\n" + "\n".join(source_cards(ans, mark, bold=True))
    return out + _notes(ans)


def format_content(ans: Answer) -> str:
    """The OpenAI-compatible ``content``: plain prose with ``[n]`` markers and a **Sources**
    list of cards, readable raw (Slack, logs, speech) and safe to render as Markdown."""
    out = answer_body(ans, plain_marker, bold_span=False) if not ans.abstained else _plain_lines(ans.answer)
    if ans.rewritten_question:
        out = f"Answering: {escape_markdown(ans.rewritten_question, line_start=False)}\n\n{out}"
    if ans.citations:
        out += "\n\n**Sources**\n\n" + "\n".join(source_cards(ans, plain_marker, bold=False))
    return out + _notes(ans)


def format_copy(ans: Answer) -> str:
    """An answer as copied or exported: the answer with ``[n]`` markers, then its numbered
    sources with headline, date and quote (plain text that also renders as Markdown, no HTML)."""
    out = answer_body(ans, plain_marker, bold_span=False) if not ans.abstained else _plain_lines(ans.answer)
    if ans.rewritten_question:
        out = f"Answering: {escape_markdown(ans.rewritten_question, line_start=False)}\n\n{out}"
    if ans.citations:
        out += "\n\n**Sources**\n\n" + "\n".join(numbered_sources(ans))
    return out + _notes(ans)


def _plain_lines(text: str) -> str:
    return "\n\n".join(escape_markdown(line) for line in text.split("\n") if line.strip())


def _notes(ans: Answer) -> str:
    out = ""
    if ans.unverified:
        out += "\n\nRemoved because not verbatim in any cited article: " + "; ".join(
            f"“{escape_markdown(u, line_start=False)}”" for u in ans.unverified
        )
    if ans.llm_error:
        out += f"\n\nLLM unavailable; extractive answer shown ({escape_markdown(ans.llm_error, line_start=False)})."
    return out


def source_groups(citations: Sequence[Citation]) -> list[list[int]]:
    """Citation numbers grouped by article, in order of first appearance.

    ``source_groups([a1, a1, b1])`` -> ``[[1, 2], [3]]``: one card per article.
    """
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(citations, start=1):
        groups.setdefault(c.article_id, []).append(i)
    return list(groups.values())


def source_card_text(c: Citation, roles: Sequence[str] = ()) -> str:
    """A source as people read it: ``headline, date`` (the outlet when known), the role labels
    after it; the headline is the date alone when unknown (never the hash id). Not escaped."""
    parts = [c.headline] if c.headline else []
    parts.append(c.published.isoformat())
    if c.outlet:
        parts.append(c.outlet)
    labels = list(dict.fromkeys(_CARD_LABEL[r] for r in roles if r in _CARD_LABEL))
    return ", ".join(parts) + (f" ({'; '.join(labels)})" if labels else "")


def source_cards(ans: Answer, marker: Marker, bold: bool) -> list[str]:
    """One Markdown list item per cited article: its markers, headline (bold in the chat), date,
    outlet and role labels. ``- [1][2] **Kyiv talks stall**, 2025-09-12``."""
    out = []
    for nums in source_groups(ans.citations):
        c = ans.citations[nums[0] - 1]
        roles = [ans.citations[n - 1].role for n in nums]
        head = escape_markdown(c.headline, line_start=False)
        rest = source_card_text(_no_headline(c), roles)
        if head:
            head = f"**{head}**" if bold else head
            line = f"{head}, {escape_markdown(rest, line_start=False)}"
        else:
            line = escape_markdown(rest, line_start=False)
        out.append(f"- {''.join(marker(n) for n in nums)} {line}")
    return out


def _no_headline(c: Citation) -> Citation:
    return replace(c, headline="")


def numbered_sources(ans: Answer) -> list[str]:
    """Each citation as ``n. headline, date (role): “quote”`` for copy and export."""
    out = []
    for i, c in enumerate(ans.citations, start=1):
        label = source_card_text(c)
        if c.role in _ROLE_LABEL:
            label += f" ({_ROLE_LABEL[c.role]})"
        out.append(
            f"{i}. {escape_markdown(label, line_start=False)}: “{escape_markdown(c.quote, line_start=False)}”"
        )
    return out


_MARKERS = re.compile(r"(?<= )((?:\[\d+\])+)(?=[\s.,;:!?)]|$)")


def local_span(c: Citation, sp: AnswerSpan | None) -> tuple[int, int] | None:
    """The answer span's offsets inside citation ``c``'s quote, when it lies there."""
    if sp is None or sp.article_id != c.article_id or not c.start <= sp.start < sp.end <= c.end:
        return None
    return sp.start - c.start, sp.end - c.start


def _is_punct(ch: str) -> bool:
    return bool(ch) and unicodedata.category(ch)[0] in "PS"


def _bold(before: str, mid: str, after: str) -> str:
    """``before**mid**after`` when CommonMark reads the ``**`` as strong emphasis (its
    left/right-flanking rules), else the three unchanged (no stray asterisks shown)."""
    p, f, la, n = before[-1:], mid[:1], mid[-1:], after[:1]
    opens = bool(f) and not f.isspace() and (not _is_punct(f) or not p or p.isspace() or _is_punct(p))
    closes = bool(la) and not la.isspace() and (not _is_punct(la) or not n or n.isspace() or _is_punct(n))
    return f"{before}**{mid}**{after}" if opens and closes and "\n" not in mid else before + mid + after


def _quote_ranges(text: str, citations: Sequence[Citation]) -> list[tuple[int, int]]:
    """Where each citation's quote stands in the answer text (left to right): a ``[n]`` inside a
    quote is the article's, not a marker."""
    out, pos = [], 0
    for c in citations:
        if not c.quote:
            continue
        at = text.find(c.quote, pos)
        if at < 0:
            at = text.find(c.quote)
        if at >= 0:
            out.append((at, at + len(c.quote)))
            pos = at + len(c.quote)
    return out


def answer_body(ans: Answer, marker: Marker, bold_span: bool) -> str:
    """The answer text as Markdown: escaped, each line its own paragraph (a digest's ``- ``
    lines a list), its citation markers through ``marker``, and, with ``bold_span``, the exact
    answer in bold where the first answer quote appears."""
    text = ans.answer
    inside = _quote_ranges(text, ans.citations)
    marks = [
        m
        for m in _MARKERS.finditer(text)
        if not any(a <= m.start() < b for a, b in inside)
        and all(1 <= int(n) <= len(ans.citations) for n in re.findall(r"\d+", m.group(1)))
    ]
    bold = None
    first = next((c for c in ans.citations if c.role == "answer"), None)
    local = local_span(first, ans.answer_span) if first and bold_span else None
    at = text.find(first.quote) if first and local else -1
    if local and at >= 0:
        bold = (at + local[0], at + local[1])
    digest = any(c.role == "digest" for c in ans.citations)
    blocks: list[tuple[bool, str]] = []  # (a list item?, its Markdown)
    pos = 0
    for line in text.split("\n"):
        lo, hi = pos, pos + len(line)
        pos = hi + 1
        if not line.strip():
            continue
        item = digest and line.startswith("- ")
        start = lo + 2 if item else lo
        blocks.append((item, ("- " if item else "") + _segment(text, start, hi, marks, marker, bold)))
    out = ""
    for i, (item, md) in enumerate(blocks):
        if i:
            out += "\n" if item and blocks[i - 1][0] else "\n\n"
        out += md
    return out


def _segment(
    text: str, lo: int, hi: int, marks: list[re.Match[str]], marker: Marker, bold: tuple[int, int] | None
) -> str:
    """``text[lo:hi]`` (one line) escaped, its markers rendered, the bold range in bold."""
    out: list[str] = []
    pos, line_start = lo, True
    for m in marks:
        if not lo <= m.start() < hi:
            continue
        out.append(_piece(text, pos, m.start(), bold, line_start))
        out.append("".join(marker(int(n)) for n in re.findall(r"\d+", m.group(1))))
        pos, line_start = m.end(), False
    out.append(_piece(text, pos, hi, bold, line_start))
    return "".join(out)


def _piece(text: str, lo: int, hi: int, bold: tuple[int, int] | None, line_start: bool) -> str:
    if bold is None or not (lo <= bold[0] < bold[1] <= hi):
        return escape_markdown(text[lo:hi], line_start=line_start)
    a, b = bold
    return _bold(
        escape_markdown(text[lo:a], line_start=line_start),
        escape_markdown(text[a:b], line_start=line_start and a == lo),
        escape_markdown(text[b:hi], line_start=False),
    )
