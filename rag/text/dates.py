"""Dates named in text: month/day pairs and bare months, as news copy writes them."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from rag.text.caseless import Caseless

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9,
    "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12,
    "december": 12,
}  # fmt: skip
# "Aug." and "August" index as one token; "may" is left alone (it is mostly a verb).
MONTH_CANON = {k: v for k, v in (
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("jun", "june"),
    ("jul", "july"), ("aug", "august"), ("sep", "september"), ("sept", "september"),
    ("oct", "october"), ("nov", "november"), ("dec", "december"),
)}  # fmt: skip
MONTH_CANON.update({v: v for v in list(MONTH_CANON.values())})
MONTH_RE = _MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH_DAY = Caseless(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?")
_DAY_MONTH = Caseless(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b\.?(?:,?\s+(\d{{4}}))?")
_MONTH = Caseless(rf"\b({_MONTH_RE})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def dates_mentioned(text: str) -> set[tuple[int, int]]:
    """Month/day pairs named in ``text``: ``dates_mentioned("on Aug. 18 and 20 May")`` -> ``{(8, 18), (5, 20)}``.

    Years are ignored on purpose: news copy names "Aug. 18" without one.
    """
    return set(_dates_mentioned(text))


@lru_cache(maxsize=16_384)  # the answerer asks it of the same candidate sentences question after question
def _dates_mentioned(text: str) -> frozenset[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    for m in _MONTH_DAY.finditer(text):
        _add_date(found, _MONTHS[m.group(1).lower()], int(m.group(2)))
    for m in _DAY_MONTH.finditer(text):
        _add_date(found, _MONTHS[m.group(2).lower()], int(m.group(1)))
    for m in _ISO.finditer(text):
        _add_date(found, int(m.group(2)), int(m.group(3)))
    return frozenset(found)


def _add_date(found: set[tuple[int, int]], month: int, day: int) -> None:
    try:
        dt.date(2000, month, day)  # leap year: accepts Feb 29
    except ValueError:
        return
    found.add((month, day))


def months_mentioned(text: str) -> set[int]:
    """Months named without a day: ``months_mentioned("in August")`` -> ``{8}``."""
    return {_MONTHS[m] for m in (m.group(1).lower() for m in _MONTH.finditer(text)) if m != "may"}
