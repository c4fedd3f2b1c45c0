"""Case-insensitive regexes searched faster: Python's ``re`` matching with ``re.I`` runs two to
three times slower than a plain match, so ASCII text (nearly every sentence) is lower-cased
and matched by the pattern compiled without the flag; other text takes the ``re.I`` pattern.

The two agree when the pattern names no upper-case letter (checked at construction): for ASCII,
matching ignoring case is matching the lower-cased text. The answerer tests every candidate
sentence against several such patterns, a few dozen new sentences a question.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_UPPER = re.compile(r"(?<!\\)[A-Z]")  # an upper-case letter that is not an escape (\S, \W, \D, \B)


class Caseless:
    """``Caseless(r"\\bnot\\b").search("It did NOT pass")`` -> True (``re.I`` semantics)."""

    def __init__(self, pattern: str) -> None:
        if _UPPER.search(pattern):
            raise ValueError(f"a caseless pattern is written in lower case; got {pattern!r}")
        self.pattern = pattern
        self._any = re.compile(pattern, re.I)
        self._lower = re.compile(pattern)

    def search(self, text: str) -> bool:
        """Does the pattern match anywhere in ``text``, ignoring case?"""
        return bool(self._lower.search(text.lower()) if text.isascii() else self._any.search(text))

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The matches, ignoring case; their text is lower-cased when ``text`` is ASCII (callers
        that keep a match's words fold them anyway)."""
        return self._lower.finditer(text.lower()) if text.isascii() else self._any.finditer(text)
