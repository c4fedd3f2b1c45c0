"""Markdown that reads as its own characters, raw and rendered: escape only what would become markup.

Article text is data. A person reads it in the chat (Gradio renders Markdown with raw HTML
sanitised and GFM autolinks), in a Markdown client, or raw (a copy, an export, a log, a
plain-text OpenAI client, speech). Blanket escaping of every punctuation mark kept it safe
rendered but left ``Aug\\. 18\\,`` in everything read raw; escaping nothing let an article
make links, images and HTML. ``escape_markdown`` escapes only the characters that would start
markup in CommonMark or GFM at their place, and shows bare URLs as code spans (a GFM renderer
links them by itself; like GFM, a bare domain without ``www.`` or a scheme is left as text).
``rag.serve.conversation.unescape_markdown`` reads it back.
"""

from __future__ import annotations

import re

# A bare URL, www. address or e-mail address: GFM renderers (Gradio's included) link these by
# themselves, so they become code spans (shown as typed, never linked).
_URLISH = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.\-]{0,30}://|www\.)\S+|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+",
    re.ASCII,
)
_ENTITY_REF = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_INDENT = re.compile(r" {0,3}")
_HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
_BULLET = re.compile(r"[-+*](?:[ \t]|$)")
_RULE = re.compile(r"([-*_=])(?:[ \t]*\1)*[ \t]*$")  # thematic break or setext underline
_ORDERED = re.compile(r"[0-9]{1,9}([.)])(?:[ \t]|$)")
_TABLE_RULE = re.compile(r"[ \t|:\-]+")


def escape_markdown(text: str, line_start: bool = True) -> str:
    """Text to show as its own characters in Markdown, escaping only what would become markup.

    Backslash-escaped: ``<`` before a letter, ``/``, ``!`` or ``?`` (a tag, comment or autolink),
    ``&`` that spells an entity, ``]`` before ``(``, ``[`` or ``:`` (a link, image or link
    definition), ``*`` and ``_`` where they could open or close emphasis (not ``a * b`` or
    ``snake_case``), every backtick and ``~``, a backslash before punctuation, and at the start
    of a line (``line_start``: the text's first line starts one in the output) a ``#`` heading,
    ``>`` quote, ``-``/``+``/``*`` bullet, ``1.`` number, rule or setext underline, and the
    pipes of a table's delimiter row; an indent of four columns (a code block) is dropped. Bare URLs and e-mail addresses become code spans (GFM
    renderers would link them). Plain punctuation stays as it is; newlines stay newlines.

    ``escape_markdown("Aug. 18, ![x](http://a.b) <b> **no**")`` ->
    ``"Aug. 18, ![x\\](`http://a.b)`" + " \\<b> \\*\\*no\\*\\*"``.
    """
    return "\n".join(_escape_line(line, line_start or i > 0) for i, line in enumerate(text.split("\n")))


def _escape_line(line: str, line_start: bool) -> str:
    forced: set[int] = set()
    if line_start:
        lead = len(line) - len(line.lstrip(" \t"))
        if lead and len(line[:lead].expandtabs(4)) >= 4:  # would be an indented code block:
            line = line[lead:]  # the indent goes (a rendering drops leading blanks anyway)
        i = _INDENT.match(line).end()  # type: ignore[union-attr]
        rest = line[i:]
        if _HEADING.match(rest) or rest.startswith(">") or _BULLET.match(rest) or _RULE.match(rest):
            forced.add(i)
        elif m := _ORDERED.match(rest):
            forced.add(i + m.start(1))
        if "|" in line and "-" in line and _TABLE_RULE.fullmatch(line):
            forced.update(j for j, ch in enumerate(line) if ch == "|")
    spans: list[list[int]] = []  # URL-ish runs; touching ones become one code span (two would merge)
    for u in _URLISH.finditer(line):
        if spans and spans[-1][1] == u.start():
            spans[-1][1] = u.end()
        else:
            spans.append([u.start(), u.end()])
    out: list[str] = []
    pos = 0
    for a, b in spans:
        out.append(_escape_inline(line, pos, a, forced))
        out.append(_code_span(line[a:b]))
        pos = b
    out.append(_escape_inline(line, pos, len(line), forced))
    return "".join(out)


def _code_span(s: str) -> str:
    """``s`` as a CommonMark code span: shown exactly as typed, never parsed or linked."""
    longest = max((len(r) for r in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _escape_inline(line: str, lo: int, hi: int, forced: set[int]) -> str:
    out: list[str] = []
    for j in range(lo, hi):
        ch = line[j]
        prev = line[j - 1] if j > lo else ""  # "" = not known (another piece, or a line start)
        nxt = line[j + 1] if j + 1 < hi else ""
        if j in forced or _needs_escape(ch, prev, nxt, line, j):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _needs_escape(ch: str, prev: str, nxt: str, line: str, j: int) -> bool:
    """Would ``ch`` (between ``prev`` and ``nxt``; "" when unknown) become markup?"""
    if ch in "`~":
        return True
    if ch == "\\":
        return nxt == "" or nxt in _ASCII_PUNCT
    if ch == "<":
        return nxt == "" or (nxt.isascii() and (nxt.isalpha() or nxt in "/!?"))
    if ch == "&":
        return _ENTITY_REF.match(line, j) is not None
    if ch == "]":
        return nxt == "" or nxt in "([:"
    if ch == "*":
        return not (prev.isspace() and nxt.isspace())
    if ch == "_":
        return not ((prev.isalnum() and nxt.isalnum()) or (prev.isspace() and nxt.isspace()))
    return False
