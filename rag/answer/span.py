"""The exact answer inside the quoted sentence: a number, date, duration or name (``answer_span``).

Sentences stay the unit of citation; for a question that asks for a number, a date, a
duration, a person, a place or an organisation, this module points at the words of the first
answer quote that answer it. It never changes which sentence is quoted.

How (pure, rule-based, no model): the question's answer kind (``analyse_question``'s ``kind``
plus a few head nouns: "what year", "which country") names a type; every typed candidate in
the sentence is found (numbers and quantities with their units, dates, bare years, centuries,
decades, durations, runs of capitalised words); candidates that only repeat the question are
dropped, SQuAD-style (the answer is what the question does not already say); the rest are
ranked by type preference, then by closeness to the question's own words in the sentence (the
answer usually sits next to what the question asks about). The trade-off: no NER, so "who"
cannot tell a person from a country; closeness and a preceding "in"/"at" stand in for it.

``best_span("When was it built?", "In 1273, the Mongols built it.")`` -> ``(3, 7)`` ("1273").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.question import _is_demonym, analyse_question, is_date_number
from rag.text import MONTH_RE, STOPWORDS, fold, tokenize
from rag.types import Answer, AnswerSpan

_M = rf"(?:{MONTH_RE})\.?"
_ORD = (
    r"(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    r"eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|"
    r"twentieth|twenty-first)"
)
_DATE = re.compile(
    rf"\b{_M}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"  # Aug. 18, 2025
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_M}(?:,?\s+\d{{4}})?\b"  # 18 August 2025
    rf"|\b{_M},?\s+\d{{4}}\b"  # August 2025
    r"|\b\d{4}-\d{2}-\d{2}\b"
    rf"|\b(?:(?:early|mid|late)[\s-])?{_ORD}[\s-]+(?:century|centuries|millennium)(?:\s+(?:BC|BCE|AD|CE))?"
    r"|\b(?:1\d|20)\d0s\b|\b(?:1\d{3}|20\d{2})(?:\s*(?:–|-|to)\s*(?:1\d{3}|20\d{2}|\d{2}))?\b"
    r"|\b\d{1,4}\s*(?:BC|BCE|AD|CE)\b"
    rf"|\b(?:{MONTH_RE})\b"  # a bare month (may: checked below)
    r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b",
    re.I,
)
_WORDNUM = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|dozen|dozens|hundreds|thousands|millions|billions"
)
_SCALE = r"(?:\s+(?:hundred|thousand|million|billion|trillion|crore|lakh))?"
_UNIT = (
    r"(?:\s?(?:%|°[CF]?)|\s+(?:percent|per\s+cent|percentage\s+points?|(?:square\s+|cubic\s+)?(?:"
    r"kilomet(?:er|re)s?|km2?|met(?:er|re)s?|miles?|mi|feet|ft|foot|inch(?:es)?|yards?|acres?|hectares?|"
    r"ha|(?:kilo)?grams?|kg|tons?|tonnes?|pounds|lb|lbs|litres?|liters?|gallons?|degrees?|dollars|"
    r"euros|yen|yuan|rupees|mph|km/h|MW|GW|kW|MHz|GHz))\b)?"
)
_NUMBER = re.compile(
    rf"(?:[$€£¥]\s?|\bUS\$\s?|\b(?:USD|EUR|GBP)\s?)?"
    rf"(?:\b\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th)?(?:-\w+)?|\b(?:{_WORDNUM})(?:[\s-](?:{_WORDNUM}))*\b)"
    rf"{_SCALE}{_UNIT}",
    re.I,
)
_DURATION = re.compile(
    rf"\b(?:\d[\d,.]*|a|an|(?:{_WORDNUM})(?:[\s-](?:{_WORDNUM}))*|several|many|a\s+few|few)\s+"
    r"(?:(?:and\s+a\s+half|more|full|long|consecutive|additional)\s+)?"
    r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries|generations?)\b",
    re.I,
)
_CAPRUN = re.compile(
    r"[A-ZÀ-Þ][\w’'.&-]*(?:(?:\s+(?:of|the|de|du|des|la|le|von|van|der|den|al|bin|y|and|for|on)){0,2}"
    r"\s+[A-ZÀ-Þ0-9][\w’'.&-]*)*"
)
_PLACE_LEAD = re.compile(
    r"\b(?:in|at|from|near|to|into|across|outside|inside|throughout)\s+(?:the\s+)?$", re.I
)
_HOW_LONG = re.compile(r"\bhow long\b", re.I)
_DATE_HEAD = re.compile(
    r"\b(?:what|which|in what|in which)\s+(?:year|century|decade|month|day|date|era|period)\b", re.I
)
_PLACE_HEAD = re.compile(
    r"\b(?:what|which)\s+(?:\w+\s+)?(?:country|countries|city|cities|state|nation|region|province|town|"
    r"place|river|continent|island|capital|county|district|location|area|mountain|sea|ocean)\b",
    re.I,
)
_ORG_HEAD = re.compile(
    r"\b(?:what|which)\s+(?:\w+\s+)?(?:company|companies|organi[sz]ations?|agency|agencies|party|group|"
    r"team|university|newspaper|body|institution|club|band|firm|network|court|bank|school|church|"
    r"ministry|department|committee|council|outlet|channel|league)\b",
    re.I,
)
_NUM_HEAD = re.compile(
    r"\bhow (?:old|tall|high|wide|deep|heavy|far|big|large)\b|\bwhat (?:percentage|share|proportion|number|amount)\b",
    re.I,
)
_NOT_NAMES = frozenset(
    fold(w)
    for w in """i he she it they we you his her its their our this that these those there here then
    however but and or yet so mr mrs ms dr sir lord president minister king queen prince officials
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)

# Answer types a span is given for, and the question kinds they come from.
SPAN_TYPES = ("number", "duration", "date", "person", "place", "organisation")


@dataclass(frozen=True)
class _Cand:
    start: int
    end: int
    kind: str  # number | duration | date | name
    prior: float  # type preference and local evidence (higher is better)


def span_type(question: str) -> str | None:
    """The kind of exact answer a question asks for, or None (why, yes/no, open "what").

    ``span_type("How long is one term?")`` -> ``"duration"``; ``span_type("Who leads it?")`` -> ``"person"``;
    ``span_type("In what year did it open?")`` -> ``"date"``.
    """
    low = question.strip().lower()
    if re.match(r"(?:who|whom|whose)\b", low):  # the leading word decides: "Who reigned when ..."
        return "person"
    if re.match(r"where\b", low):
        return "place"
    kind = analyse_question(question).kind
    if _HOW_LONG.search(question):
        return "duration"
    if kind == "when" or _DATE_HEAD.search(question):
        return "date"
    if kind in ("how_many", "how_much") or _NUM_HEAD.search(question):
        return "number"
    if _PLACE_HEAD.search(question) or kind == "where":
        return "place"
    if _ORG_HEAD.search(question):
        return "organisation"
    if kind == "who":
        return "person"
    return None


def candidates(sentence: str, stype: str, weekday: bool = False) -> list[_Cand]:
    """Typed candidate spans in ``sentence`` for an answer type (offsets into ``sentence``);
    ``weekday``: the question asks which day of the week."""
    out: list[_Cand] = []
    if stype in ("date",):
        for m in _DATE.finditer(sentence):
            text = m.group(0)
            if text.lower() == "may" and not sentence[m.start() : m.start() + 1].isupper():
                continue  # "may" the verb
            full = bool(re.search(r"\d", text)) + bool(re.search(rf"{MONTH_RE}", text, re.I))
            if weekday and text.endswith("day"):
                full = 3
            out.append(_Cand(m.start(), m.end(), "date", 1.0 + 0.3 * full))
    if stype in ("duration", "date"):
        for m in _DURATION.finditer(sentence):
            out.append(_Cand(m.start(), m.end(), "duration", 1.6 if stype == "duration" else 0.3))
    if stype in ("number", "duration"):
        for m in _NUMBER.finditer(sentence):
            s, e = _trim(sentence, m.start(), m.end())
            if s >= e:
                continue
            text = sentence[s:e]
            prior = 1.0
            if re.fullmatch(r"(?:1\d{3}|20\d{2})", text) or is_date_number(sentence, text):
                prior = 0.2  # a year or a day of a month is rarely "how many"
            if stype == "duration":
                prior = 0.8 if re.search(r"[a-z%°$€£]", text[len(text.rstrip("%")) - 1 :], re.I) else 0.4
            out.append(_Cand(s, e, "number", prior))
    if stype in ("person", "place", "organisation"):
        out.extend(_name_runs(sentence, stype))
    return out


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    """Strip spaces and a trailing comma or full stop a match may end with."""
    while e > s and (text[e - 1].isspace() or text[e - 1] in ",."):
        e -= 1
    while s < e and text[s].isspace():
        s += 1
    return s, e


def _name_runs(sentence: str, stype: str) -> list[_Cand]:
    out = []
    for m in _CAPRUN.finditer(sentence):
        s, e = m.start(), m.end()
        words = list(re.finditer(r"\S+", sentence[s:e]))
        # drop a leading "The"/"In"/"He" and trailing particles or punctuation
        while words and fold(words[0].group(0)).strip(".,;:’'") in STOPWORDS | _NOT_NAMES:
            words.pop(0)
        while words and (
            fold(words[-1].group(0)).strip(".,;:’'") in STOPWORDS | _NOT_NAMES
            or not words[-1].group(0)[0].isupper()
        ):
            words.pop()
        if not words:
            continue
        s2, e2 = _trim(sentence, s + words[0].start(), s + words[-1].end())
        while e2 > s2 and sentence[e2 - 1] in "’'":
            e2 -= 1
        if e2 > s2 and sentence[e2 - 2 : e2] in ("’s", "'s"):
            e2 -= 2
        if s2 >= e2:
            continue
        prior = 1.0 + 0.1 * min(len(words), 3)
        at_start = s2 == 0 or bool(re.search(r"[.!?\n]\s*$", sentence[:s2]))
        if at_start and len(words) == 1:
            prior -= 0.5  # a capital at the start may be any word
        if len(words) == 1 and _is_demonym(fold(words[0].group(0)).strip(".,;:’'")):
            prior -= 0.6  # "Ukrainian", "Japanese" describe; they rarely answer who/where
        place_lead = bool(_PLACE_LEAD.search(sentence[max(0, s2 - 20) : s2]))
        if stype == "place":
            prior += 0.5 if place_lead else 0.0
        elif place_lead:
            prior -= 0.3
        out.append(_Cand(s2, e2, "name", prior))
    return out


def _words_of(question: str) -> tuple[set[str], set[str]]:
    """The question's BM25 tokens and its digit groups."""
    return set(tokenize(question)), {n.replace(",", "") for n in re.findall(r"\d[\d,]*", question)}


def _split_known(sentence: str, c: _Cand, q_toks: set[str]) -> list[_Cand]:
    """A name run minus the words the question already has: "European Commission President Ursula
    von der Leyen" for "Who is the president of the European Commission?" -> "Ursula von der Leyen"."""
    pieces: list[_Cand] = []
    cur: list[re.Match[str]] = []
    base = c.start
    words = list(re.finditer(r"\S+", sentence[c.start : c.end]))

    def flush() -> None:
        while cur and not cur[-1].group(0)[0].isupper():
            cur.pop()
        while cur and not cur[0].group(0)[0].isupper():
            cur.pop(0)
        if cur:
            s, e = _trim(sentence, base + cur[0].start(), base + cur[-1].end())
            pieces.append(
                _Cand(s, e, c.kind, c.prior - (0.1 if len(pieces) or len(cur) < len(words) else 0.0))
            )
        cur.clear()

    for w in words:
        toks = tokenize(w.group(0))
        if toks and all(t in q_toks for t in toks):
            flush()
        else:
            cur.append(w)
    flush()
    return pieces


def best_span(question: str, sentence: str) -> tuple[int, int] | None:
    """The offsets in ``sentence`` of the exact answer to ``question``, or None when the question
    asks for no typed answer or the sentence has no candidate the question does not already say.

    ``best_span("How long is one term?", "A president is elected for three years.")`` -> ``(29, 40)``.
    """
    stype = span_type(question)
    if stype is None:
        return None
    q_toks, q_nums = _words_of(question)
    cands: list[_Cand] = []
    weekday = bool(re.search(r"\bday of the week\b|\bwhat day\b|\bwhich day\b", question, re.I))
    for c in candidates(sentence, stype, weekday):
        text = sentence[c.start : c.end]
        nums = {n.replace(",", "") for n in re.findall(r"\d[\d,]*", text)}
        if nums and nums <= q_nums:
            continue
        toks = tokenize(text)
        if c.kind == "name":
            cands.extend(_split_known(sentence, c, q_toks))
        elif not nums and toks and all(t in q_toks for t in toks):
            continue
        else:
            cands.append(c)
    if not cands:
        return None
    anchors = [m.start() for m in re.finditer(r"[\w’'.-]+", sentence) if set(tokenize(m.group(0))) & q_toks]

    def score(c: _Cand) -> tuple[float, int]:
        if anchors:
            dist = min(abs(a - c.start) if a < c.start else abs(a - c.end) for a in anchors)
            near = 1.0 / (1.0 + dist / 25.0)
        else:
            near = 0.0
        return (c.prior + 0.6 * near, -c.start)

    # the longest of overlapping candidates of the same standing: "Aug. 18, 2025" over "2025"
    best = max(cands, key=score)
    for c in cands:
        longer = c.start <= best.start and c.end >= best.end and (c.end - c.start) > (best.end - best.start)
        if longer and score(c)[0] >= score(best)[0] - 0.35:
            best = c
    return best.start, best.end


def answer_span(ans: Answer) -> AnswerSpan | None:
    """The exact answer inside ``ans``'s first answer quote, with article offsets, or None.

    The text is the quote's own characters, so ``article.text[start:end] == span.text`` holds
    wherever the quote is verbatim.
    """
    if ans.abstained:
        return None
    cit = next((c for c in ans.citations if c.role == "answer"), None)
    if cit is None:
        return None
    found = best_span(ans.question, cit.quote)
    if found is None:
        return None
    s, e = found
    return AnswerSpan(cit.article_id, cit.start + s, cit.start + e, cit.quote[s:e])
