import re

import pytest

from rag.text.caseless import Caseless

TEXTS = [
    "It did NOT pass on Aug. 18.",
    "it did not pass",
    "On MONDAY at 5 P.M. the Sixties ended",
    "Zelenskyy’s office didn’t say",
    "İstanbul: Bu NOT değil",  # not ASCII: the re.I pattern
    "ſtate of the art",  # long s: re.I matches it as "s"
    "",
]


@pytest.mark.parametrize(
    "pattern", [r"\bnot\b", r"\b(?:monday|sixties)\b", r"\d{1,2}\s?p\.m\.", r"\bstate\b", r"\S+\s"]
)
def test_caseless_search_agrees_with_re_ignorecase(pattern):
    rx = re.compile(pattern, re.I)
    assert [Caseless(pattern).search(t) for t in TEXTS] == [bool(rx.search(t)) for t in TEXTS]


def test_caseless_finditer_finds_the_same_matches_lower_cased_for_ascii():
    rx = re.compile(r"\b(aug|august)\.?\s+(\d+)", re.I)
    for t in ["AUG. 18 and August 20", "Aug 1", "İ Aug. 3"]:
        got = [(m.group(1).lower(), m.group(2), m.span()) for m in Caseless(rx.pattern).finditer(t)]
        assert got == [(m.group(1).lower(), m.group(2), m.span()) for m in rx.finditer(t)]


def test_caseless_refuses_a_pattern_with_upper_case_letters():
    with pytest.raises(ValueError, match="lower case"):
        Caseless(r"\bBC\b")
    Caseless(r"\S\W\D\B")  # escapes are not letters of the pattern
