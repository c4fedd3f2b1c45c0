"""Question analysis: what a question asks for and what it turns on, from its text alone.

Pure functions. ``analyse_question`` finds the kind of answer asked for (a number, a date, a
name...), the names the question turns on and the dates it names; ``type_fits`` tells whether
a sentence holds that kind of answer. The answerers weigh these; they decide nothing here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import MONTH_RE, STOPWORDS, dates_mentioned, fold, months_mentioned, tokenize

_QWORDS = frozenset(
    """mani much what who whom whose when where which why how did does do is are was were will would can
    could should has have had according tell told say said says describe explain name list
    give""".split()
)
_NUMBER = re.compile(
    r"\b\d[\d,.]*(?:st|nd|rd|th|%)?(?!\w)|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"dozens?|hundreds?|thousands?|millions?|billions?)\b",
    re.I,
)
_DURATION = re.compile(r"\b(?:days?|weeks?|months?|years?|hours?|minutes?)\b", re.I)
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{1,2}\s?(?:a\.m\.|p\.m\.|am|pm)\b", re.I)
_WEEKDAY = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|"
    r"tomorrow|weeks?|months?|years?)\b",
    re.I,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zà-ÿ]+(?:\s+[A-Z][a-zà-ÿ]+)*")
_CAPWORD = re.compile(r"\b[A-ZÀ-Þ][\w’'.-]*")
_SPEECH_Q = re.compile(
    r"\bwhat did .{1,60}\b(say|tell|announce|state|write|claim|declare|warn)\b|\b(said|told|announced|stated|wrote|declared)\b"
)
_SPEECH = re.compile(
    r"\b(said|says|say|told|tells|stated|states|announced|wrote|writes|declared|warned|added|noted|stressed|"
    r"insisted|explained|described|emphasi[sz]ed|argued|recalled|reiterated|confirmed|mentioned|"
    r"underscored|highlighted|indicated|reported|commented|dismissed|admitted|expressed|called|"
    r"saying|stating|telling|clarified|pledged|vowed|suggested|claimed|urged|predicted|promised|threatened|"
    r"asked|according to|announcing|warning|adding|noting|arguing|insisting|explaining|believed|thought)\b",
    re.I,
)
_ANAPHOR = re.compile(r"^(He|She|They|It|This|That|These|Those|His|Her|Their|Its|At that time|Then)\b")


@dataclass(frozen=True)
class QuestionInfo:
    """What the answerer needs to know about a question (pure, from its text alone)."""

    text: str
    tokens: tuple[str, ...]
    entities: tuple[tuple[str, ...], ...]  # tokens of each name/acronym the question turns on
    focus: tuple[str, ...]  # content tokens that are not names or dates
    dates: frozenset[tuple[int, int]]
    months: frozenset[int]
    kind: str  # how_many | how_much | when | who | where | why | what | yes_no | other
    speech: bool = False  # "what did X say/tell/announce ...": the answer reports speech
    # each name token with the corpus's adjective forms of it ("itali": "italian"), once looked up
    forms: tuple[tuple[str, frozenset[str]], ...] | None = None


def analyse_question(text: str) -> QuestionInfo:
    """``analyse_question("How many countries will send troops?").kind`` -> ``"how_many"``."""
    low = fold(text).strip()
    if re.match(r"how (many|much of)\b", low) or re.search(r"\bhow many\b|\bwhat (number|percentage)\b", low):
        kind = "how_many"
    elif re.search(r"\bhow (much|large|big|long|far)\b|\b(worth|value|cost|price|amount|size)\b", low):
        kind = "how_much"
    elif re.match(r"(when|what (time|day|date))\b", low) or re.search(
        r"\bwhat (time|day|date)\b|\bwhen\b", low
    ):
        kind = "when"
    elif re.match(r"(who|whom|whose)\b", low) or re.search(
        r"\bwho\b|\bwhich (\w+ )?(leaders?|officials?|presidents?|ministers?|person|people|outlets?|newspapers?|media|agency|diplomats?|lawmakers?)\b",
        low,
    ):
        kind = "who"
    elif re.match(r"where\b", low):
        kind = "where"
    elif re.match(r"why\b", low):
        kind = "why"
    elif re.match(r"(is|are|was|were|did|does|do|will|has|have|can|could)\b", low):
        kind = "yes_no"
    elif re.match(r"(what|which)\b", low):
        kind = "what"
    else:
        kind = "other"
    entities: list[tuple[str, ...]] = []
    group: list[str] = []
    last_end = -2
    for m in _CAPWORD.finditer(text):
        word = m.group(0)
        folded = fold(word).strip(".’'?!,")
        toks = [t for t in tokenize(word) if not t.isdigit() and t not in _MONTH_TOKENS]
        skip = not toks or folded in _QWORDS or folded in STOPWORDS or _is_demonym(folded)
        # "Ursula von der Leyen": lower-case particles inside a name keep the group open
        joined = m.start() - last_end <= 1 or re.fullmatch(
            r"\s+(?:(?:von|der|de|van|la|al|bin|of|the|for)\s+)+", text[last_end : m.start()] or "x"
        )
        if group and (skip or not joined):
            entities.append(tuple(group))
            group = []
        if not skip:
            group.extend(toks)
            last_end = m.end()
    if group:
        entities.append(tuple(group))
    entity_tokens = {t for e in entities for t in e}
    tokens = tuple(t for t in dict.fromkeys(tokenize(text)) if t not in _QWORDS)
    return QuestionInfo(
        text=text,
        tokens=tokens,
        entities=tuple(dict.fromkeys(entities)),
        focus=tuple(
            t for t in tokens if t not in entity_tokens and t not in _MONTH_TOKENS and not t.isdigit()
        ),
        dates=frozenset(dates_mentioned(text)),
        months=frozenset(months_mentioned(text)),
        kind=kind,
        speech=bool(_SPEECH_Q.search(low)),
    )


def type_fits(q: QuestionInfo, text: str) -> bool | None:
    """Does ``text`` hold the kind of thing the question asks for? None when the kind sets no test.

    A number for "how many"/"how much", a date or time for "when", a name not in the
    question for "who". ``type_fits(analyse_question("How many troops?"), "About 10 countries")`` -> True.
    """
    if q.kind in ("how_many", "how_much"):
        q_numbers = set(re.findall(r"\d+", q.text))
        nums = [
            m
            for m in _NUMBER.findall(text)
            if re.sub(r"\D", "", m) not in q_numbers and not is_date_number(text, m)
        ]
        return bool(nums) or (
            q.kind == "how_much" and bool(_DURATION.search(text)) and "long" in q.text.lower()
        )
    if q.kind == "when":
        return bool(
            dates_mentioned(text) - q.dates
            or _TIME.search(text)
            or months_mentioned(text) - q.months
            or _WEEKDAY.search(text)
        )
    if q.kind == "who":
        q_low = fold(q.text)
        return any(fold(n) not in q_low for n in _NAME.findall(text))
    return None


_ALIAS_NAMES = {
    "uk": ["United Kingdom", "Britain", "British"],
    "u.s": ["United States", "America", "American", "Washington"],
    "us": ["United States", "America", "American", "Washington"],
    "usa": ["United States", "America", "U.S."],
    "eu": ["European Union"],
    "un": ["United Nations"],
    "nato": ["North Atlantic Treaty Organization", "alliance"],
    "america": ["United States", "U.S."],
    "britain": ["United Kingdom", "UK", "British"],
    "kiev": ["Kyiv"],
}


def aliases(entity: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Other names of a one-word entity ("UK" -> "United Kingdom", "Britain"), as token tuples."""
    if len(entity) != 1 or entity[0] not in _ALIAS_NAMES:
        return []
    return [tuple(tokenize(name)) for name in _ALIAS_NAMES[entity[0]] if tokenize(name)]


def with_forms(toks: frozenset[str], forms: tuple[tuple[str, frozenset[str]], ...] | None) -> frozenset[str]:
    """``toks`` plus each name whose adjective form it holds (``{"italian"}`` -> ``{"italian", "itali"}``)."""
    extra = [name for name, fs in forms or () if name not in toks and not fs.isdisjoint(toks)]
    return toks | frozenset(extra) if extra else toks


def _is_demonym(word: str) -> bool:
    """Nationality adjectives ("Ukrainian", "French") describe; they are not what a question turns on.

    By suffix, with a stem of at least 4 letters before "-ian", "-ean" or "-can" ("Ukrain-ian",
    "Ameri-can") and 3 before "-ish" or "-ese" ("Pol-ish"), so first names that end the same way
    stay names: ``_is_demonym("brian")`` -> ``False`` (also Sean, Dean, Duncan, Julian).
    """
    return any(word.endswith(s) and len(word) - len(s) >= n for s, n in _SUFFIXES) or word in _DEMONYMS


_SUFFIXES = (("ian", 4), ("ean", 4), ("can", 4), ("ish", 3), ("ese", 3))

_DEMONYMS = frozenset("""french dutch swiss greek thai german czech welsh irish british scottish""".split())
_MONTH_TOKENS = frozenset(
    tokenize("January February March April June July August September October November December")
)


_MONTH_THEN = re.compile(rf"\b(?:{MONTH_RE})\.?\s+(?=\d)", re.I)
_THEN_MONTH = re.compile(rf"\s+(?:of\s+)?(?:{MONTH_RE})\b", re.I)


def is_date_number(text: str, num: str) -> bool:
    """Is ``num`` the day of a date in ``text`` ("Aug. 18", "18 August")?

    Two precompiled patterns and literal matching: building one regex per number (with the
    month alternation inside) cost ~1 ms a compile and thrashed ``re``'s cache.
    """

    def bounded(i: int) -> bool:  # ``num`` at i is a whole word
        j = i + len(num)
        return (i == 0 or (not text[i - 1].isalnum() and text[i - 1] != "_")) and (
            j == len(text) or not (text[j].isalnum() or text[j] == "_")
        )

    for m in _MONTH_THEN.finditer(text):
        if text.startswith(num, m.end()) and bounded(m.end()):
            return True
    i = text.find(num)
    while i >= 0:
        if bounded(i) and _THEN_MONTH.match(text, i + len(num)):
            return True
        i = text.find(num, i + 1)
    return False


def is_speech(text: str) -> bool:
    """Does ``text`` report speech? ``is_speech("Trump said on Tuesday")`` -> True."""
    return bool(_SPEECH.search(text))


def leans_back(text: str) -> bool:
    """Does a sentence open by pointing back ("He said...", "This...")? Then the one before is context."""
    return bool(_ANAPHOR.match(text))


def _particulars(text: str) -> set[str]:
    nums = {m.replace(",", "") for m in re.findall(r"\d[\d,.]*", text)}
    return nums | {f"{m}-{d}" for m, d in dates_mentioned(text)}


def same_particulars(a: str, b: str) -> bool:
    """Do two sentences state the same numbers and dates? ``("26 countries", "26 states")`` -> True."""
    pa, pb = _particulars(a), _particulars(b)
    return pa == pb or ((not pa or not pb) and not (pa ^ pb) - set())
