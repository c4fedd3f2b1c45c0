"""Pure signals of "does this sentence answer this question?", meant to carry over to unseen text.

Each function looks at the question and a candidate's text (or their token sets and idf
weights) and returns a number; none knows any title, topic or word list fitted to a data
set. The answer models (``rag/answer/model.py``) weigh them; the weights are fitted on data
(``python -m rag.evaluation.fit``), not set by hand.

Token arguments are BM25 tokens (``rag.text.tokenize``: folded, stemmed); ``weights`` maps a
question token to its idf over the current corpus.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from rag.text import dates_mentioned, fold, months_mentioned, tokenize
from rag.text.caseless import Caseless

_NEGATED = Caseless(r"\b(?:not|no|never|none|nothing|nobody|neither|nor|without|cannot)\b|n't\b")
_YEAR = re.compile(r"\b(?:1\d{3}|20\d{2})s?\b|\b\d{1,4}\s*(?:BC|BCE|AD|CE)\b")
_CENTURY = re.compile(
    r"\b(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    r"eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|"
    r"twentieth|twenty-first)[\s-]+(?:century|centuries|millennium)\b|\b(?:decade|century|era|period|"
    r"age|reign|dynasty)\b",
    re.I,
)
_DECADE = re.compile(
    r"\b(?:1\d|20)\d0s\b|\b'\d0s\b|\b(?:twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)\b",
    re.I,
)
_NUMBER = re.compile(
    r"\b\d[\d,.]*(?:st|nd|rd|th|%)?(?!\w)|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozens?|hundreds?|thousands?|"
    r"millions?|billions?|half|quarter|several|few|many|most)\b",
    re.I,
)
_LASTS = Caseless(  # a duration
    r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|several|many|few|a)\s+"
    r"(?:\w+\s+)?(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries)\b"
)
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{1,2}\s?(?:a\.m\.|p\.m\.|am|pm)\b", re.I)
_WEEKDAY = re.compile(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
# every time pattern that ignores case, as one (the year pattern's "BC"/"AD" keep theirs)
_ANY_TIME = Caseless("|".join(f"(?:{r.pattern})" for r in (_TIME, _WEEKDAY, _DECADE, _CENTURY)))
_CAP = re.compile(r"\b[A-ZÀ-Þ][\w’'-]*")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def idf_coverage(weights: Mapping[str, float], toks: AbstractSet[str]) -> float:
    """Share of the question's idf weight found in ``toks``.

    ``idf_coverage({"tax": 2.0, "vote": 1.0}, {"tax"})`` -> ``0.667``. 0.0 for no weights.
    """
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in toks) / total if total > 0 else 0.0


def rarest_coverage(weights: Mapping[str, float], toks: AbstractSet[str], k: int = 2) -> float:
    """Share of the ``k`` highest-idf question tokens found in ``toks`` (the words a question
    turns on are its rarest). ``rarest_coverage({"a": 1, "b": 3, "c": 2}, {"b"}, k=2)`` -> ``0.5``."""
    top = sorted(weights, key=lambda t: (-weights[t], t))[:k]
    return sum(1 for t in top if t in toks) / len(top) if top else 0.0


def missing_weight(weights: Mapping[str, float], toks: AbstractSet[str]) -> tuple[int, float]:
    """Count and largest idf of question tokens absent from ``toks`` (e.g. a whole article: a
    swapped name or term). ``missing_weight({"tax": 2.0, "vote": 1.0}, {"vote"})`` -> ``(1, 2.0)``."""
    absent = [w for t, w in weights.items() if t not in toks]
    return len(absent), max(absent, default=0.0)


def has_negation(text: str) -> bool:
    """``has_negation("It did not pass")`` -> True; ``has_negation("It passed")`` -> False."""
    return _NEGATED.search(text)


def numbers_in(text: str) -> frozenset[str]:
    """Digit groups, commas dropped: ``numbers_in("In 1998, 1,200 voted")`` -> ``{"1998", "1200"}``."""
    return frozenset(m.replace(",", "") for m in _DIGITS.findall(text))


def constraint_match(required: AbstractSet[str], present: AbstractSet[str]) -> float:
    """Share of ``required`` items found in ``present``; 1.0 when nothing is required. A number
    is also found as its ordinal's token (the question's "19th" is required as "19").

    ``constraint_match({"1998", "12"}, {"1998"})`` -> ``0.5``; ``constraint_match({"19"}, {"19th"})`` -> ``1.0``.
    """
    if not required:
        return 1.0
    found = sum(1 for r in required if r in present or (r.isdigit() and any(r + o in present for o in _ORD)))
    return found / len(required)


_ORD = ("st", "nd", "rd", "th")


def capitalised_words(text: str) -> list[str]:
    """Capitalised words not at a sentence start, folded: names, places, demonyms, first names.

    ``capitalised_words("Then Brian met the American envoy")`` -> ``["brian", "american"]``.
    """
    out = []
    for m in _CAP.finditer(text):
        if not _at_sentence_start(text, m.start()):
            out.append(fold(m.group(0)).strip("’'-"))
    return out


def _at_sentence_start(text: str, i: int) -> bool:
    """Does ``text[:i]`` end a sentence (empty, a newline, or ``.!?`` then whitespace)? Looks
    back over the whitespace only, not the whole prefix."""
    if i == 0 or text[i - 1] == "\n":
        return True
    k = i
    while k > 0 and text[k - 1].isspace():
        k -= 1
    return k < i and k > 0 and text[k - 1] in ".!?"


def is_time_expression(text: str) -> bool:
    """A date, year, century, decade, month, weekday or clock time.

    ``is_time_expression("built in 1273")`` -> True; ``is_time_expression("in the 10th century")`` -> True.
    """
    return bool(
        _YEAR.search(text) or _ANY_TIME.search(text) or months_mentioned(text) or dates_mentioned(text)
    )


def answer_type_present(kind: str, question: str, text: str) -> float:
    """1.0 if ``text`` holds the kind of answer the question asks for (beyond what the question
    itself states), 0.0 if not, 0.5 when the kind sets no test.

    how many / how much: a number not in the question ("how long": a duration); when: a time
    expression not in the question; who / where / which: a capitalised name not in the question.
    ``answer_type_present("when", "When was it built?", "It was built in 1273.")`` -> ``1.0``.
    """
    q_nums = numbers_in(question)
    if kind in ("how_many", "how_much"):
        if re.search(r"\bhow long\b", question, re.I):
            return 1.0 if _LASTS.search(text) or is_time_expression(text) else 0.0
        nums = [
            m for m in _NUMBER.findall(text) if re.sub(r"[^\d]", "", m) not in q_nums or not m[0].isdigit()
        ]
        return 1.0 if nums else 0.0
    if kind == "when":
        stripped = text
        for n in q_nums:
            stripped = stripped.replace(n, " ")
        return 1.0 if is_time_expression(stripped) else 0.0
    if kind in ("who", "where", "what_which"):
        q_low = fold(question)
        return 1.0 if any(w not in q_low for w in capitalised_words(text)) else 0.0
    return 0.5


def question_constraints(question: str) -> dict[str, frozenset[str]]:
    """What a sentence must also say to be about the same thing: the BM25 tokens of the
    question's capitalised words (names, first names, demonyms) and its numbers and years.

    ``question_constraints("What did Sean do in 1998?")`` -> names ``{"sean"}``, numbers ``{"1998"}``.
    """
    names = frozenset(t for w in capitalised_words(question) for t in tokenize(w) if not t.isdigit())
    return {"names": names, "numbers": frozenset(n for n in numbers_in(question) if "." not in n)}


def slot_swaps(
    q_seq: Sequence[str], s_seq: Sequence[str], weights: Mapping[str, float], max_idf: float
) -> tuple[float, float, float]:
    """Question words the sentence swapped for another word (SQuAD 2.0's unanswerable questions
    change one name, number or term of a sentence): for each question token the sentence lacks,
    is a question neighbour of it next to a word the question does not use ("loose"), or are
    both neighbours around exactly one such word ("strict")? Returns the strict count, the loose
    count and the largest idf of a loosely swapped token over ``max_idf``.

    ``slot_swaps(["appli", "american", "union", "law"], ["appli", "european", "union", "law"],
    {"american": 3.0}, 6.0)`` -> ``(1.0, 1.0, 0.5)``.
    """
    q_set, s_set = set(q_seq), set(s_seq)
    strict = loose = 0
    top = 0.0
    for i, t in enumerate(q_seq):
        if t in s_set:
            continue
        a = q_seq[i - 1] if i > 0 else None
        b = q_seq[i + 1] if i + 1 < len(q_seq) else None
        hit = both = False
        for j, x in enumerate(s_seq):
            if x == a and j + 1 < len(s_seq) and s_seq[j + 1] not in q_set:
                hit = True
                both = both or (j + 2 < len(s_seq) and s_seq[j + 2] == b)
            if x == b and j > 0 and s_seq[j - 1] not in q_set:
                hit = True
        strict += both
        loose += hit
        if hit:
            top = max(top, weights.get(t, 0.0) / max_idf)
    return float(strict), float(loose), top
