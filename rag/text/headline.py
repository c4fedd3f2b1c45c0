"""An article's headline: what a person reads instead of its hash id.

The rule, in order:

1. **The file gives one**: the body's first line (after the ``date YYYY-MM-DD`` header) is the
   headline when more text follows it, it has at most ``HEADLINE_MAX`` (120) characters, and it
   does not end like a sentence or clause (``.`` ``,`` ``;`` ``:`` or ``…``, closing quotes and
   brackets ignored). A headline may end with ``?`` or ``!``: news headlines do.
2. **Otherwise the first sentence**, cut to ``SENTENCE_MAX`` (100) characters at a word
   boundary with an ellipsis.

White space inside is folded to single spaces (a headline is one line). The headline is
derived from the text, never stored apart from it, so it cannot disagree with the article;
a headline sent through the API is written as the article's first line (the same rule then
finds it). Examples::

    headline("Kyiv talks stall\\nTalks in Kyiv stalled on Monday.")  -> "Kyiv talks stall"
    headline("Talks stalled on Monday. Both sides left.")           -> "Talks stalled on Monday."
"""

from __future__ import annotations

import re

from rag.text.sentences import sentence_spans

HEADLINE_MAX = 120
SENTENCE_MAX = 100
_CLOSERS = "\"'”’»)]"
_NOT_A_HEADLINE_END = ".,;:…"
_SPACE = re.compile(r"\s+")


def headline(text: str) -> str:
    """The article's headline by the module's rule ("" only for blank text)."""
    body = text.strip()
    if not body:
        return ""
    first, _, rest = body.partition("\n")
    first = _fold(first)
    if first and rest.strip() and is_headline_line(first):
        return first
    spans = sentence_spans(body)
    sentence = body[spans[0][0] : spans[0][1]] if spans else body
    return trim(_fold(sentence), SENTENCE_MAX)


def is_headline_line(line: str) -> bool:
    """Does a first line read as a headline? ``"Kyiv talks stall"`` yes; ``"Talks stalled."`` no."""
    line = line.strip()
    if not line or len(line) > HEADLINE_MAX:
        return False
    core = line.rstrip(_CLOSERS)
    return bool(core) and core[-1] not in _NOT_A_HEADLINE_END


def trim(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with ``…`` when cut.

    ``trim("one two three", 10)`` -> ``"one two…"``. A single word longer than the limit is cut
    inside the word.
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def _fold(text: str) -> str:
    return _SPACE.sub(" ", text).strip()
