"""Conversation history from each front end, as ``Turn``s: one shape for the chat, the answer API
and the OpenAI-compatible endpoint, so all three resolve follow-ups the same way.

- The chat keeps every answer's JSON: its (rewritten) question, answer text and quotes.
- ``/v1/answer`` takes ``history``: ``[{"question": ..., "answer": ...}]``, oldest first.
- ``/v1/chat/completions`` takes the whole ``messages`` list: each user message and the
  assistant message after it are one turn; the assistant's Markdown (ours, with its escapes and
  **Sources** list, or any client's) is turned back into plain text and quotes.

Only the last ``MAX_TURNS`` turns are used (a follow-up leans on the last few, not the first).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rag.types import Turn

MAX_TURNS = 20
_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&"}
_ENTITY = re.compile(r"(?<!\\)&(?:lt|gt|amp);")
_SOURCE_LINE = re.compile(r"^\d+\.\s+“(?P<quote>.*)”\s+—", re.M)
_MARKER = re.compile(r"\s*\[\d+\]\s*")
_ANSWERING = re.compile(r"\A\s*_?Answering: [^\n]*\n\n")  # rag.serve.format's line for a follow-up


def unescape_markdown(text: str) -> str:
    """The inverse of ``rag.serve.escape.escape_markdown``: ``"[x\\\\](`http://a)` \\\\<b>"`` ->
    ``"[x](http://a) <b>"``. Read left to right: a backslash escape gives its character, a code
    span (how bare URLs are shown) its content, ``&lt;`` ``&gt;`` ``&amp;`` (older replies) their
    character; a hard line break (backslash, newline) a newline."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and (text[i + 1] in _PUNCT or text[i + 1] == "\n"):
            out.append(text[i + 1])
            i += 2
        elif ch == "`":
            run = len(text) - len(text[i:].lstrip("`")) - i
            fence = "`" * run
            end = _closing_fence(text, i + run, fence)
            if end < 0:
                out.append(fence)
                i += run
                continue
            body = text[i + run : end]
            if len(body) > 1 and body.startswith(" ") and body.endswith(" ") and body.strip(" "):
                body = body[1:-1]
            out.append(body)
            i = end + run
        elif ch == "&" and (m := _ENTITY.match(text, i)):
            out.append(_ENTITIES[m.group(0)])
            i = m.end()
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _closing_fence(text: str, start: int, fence: str) -> int:
    """Where the backtick run equal to ``fence`` that closes a code span begins (-1: none)."""
    j = text.find(fence, start)
    while j >= 0:
        if text[j + len(fence) : j + len(fence) + 1] != "`" and text[j - 1 : j] != "`":
            return j
        j = text.find(fence, j + 1)
    return -1


def split_quotes(answer: str) -> tuple[str, ...]:
    """An extractive answer's quotes, cut at its ``[n]`` markers: ``"A. [1] B. [2]"`` -> ``("A.", "B.")``."""
    return tuple(p.strip() for p in _MARKER.split(answer) if p.strip())


def turn_from_markdown(question: str, content: str) -> Turn:
    """A turn from an assistant message: the text before **Sources** (our "Answering: …" line
    aside), and the quotes listed there or, when the sources name articles only, cut from it."""
    body, _, sources = content.partition("**Sources**")
    body = _ANSWERING.sub("", body, count=1)
    quotes = tuple(unescape_markdown(m.group("quote")) for m in _SOURCE_LINE.finditer(sources))
    answer = unescape_markdown(body.replace("**", "")).strip()
    return Turn(question, answer, quotes or split_quotes(answer))


def turns_from_answers(answers: Iterable[Mapping[str, Any]]) -> list[Turn]:
    """Turns from answers' JSON (``Answer.to_json``): the question answered, its answer, its quotes
    (answering ones first)."""
    out = []
    for a in answers:
        cites = list(a.get("citations") or [])
        cites.sort(key=lambda c: c.get("role") != "answer")
        question = a.get("rewritten_question") or a.get("question") or ""
        out.append(Turn(str(question), str(a.get("answer", "")), tuple(str(c["quote"]) for c in cites)))
    return out[-MAX_TURNS:]


def turns_from_pairs(pairs: Sequence[tuple[str, str]]) -> list[Turn]:
    """Turns from (question, answer text) pairs, the ``/v1/answer`` ``history``."""
    return [Turn(q, a, split_quotes(a)) for q, a in pairs][-MAX_TURNS:]


def turns_from_messages(messages: Sequence[tuple[str, str]]) -> tuple[str, list[Turn]]:
    """(the question, the turns before it) from OpenAI-style (role, text) messages.

    The question is the last user message; each earlier user message and the assistant reply after
    it form a turn. System and developer messages are not conversation turns and are skipped here
    (the endpoint decides what to do with them).
    """
    users = [i for i, (role, _) in enumerate(messages) if role == "user"]
    if not users:
        return "", []
    last = users[-1]
    turns: list[Turn] = []
    question: str | None = None
    for role, text in messages[:last]:
        if role == "user":
            if question is not None:
                turns.append(Turn(question))
            question = text
        elif role == "assistant" and question is not None:
            turns.append(turn_from_markdown(question, text))
            question = None
    if question is not None:
        turns.append(Turn(question))
    return messages[last][1], turns[-MAX_TURNS:]
