"""The words of a question and the parts of it a follow-up can replace, with their spans.

Closed word classes (auxiliaries, wh-words, determiners, prepositions, pronouns, verbs of
saying), a tokenizer that keeps offsets, and slots: names (capitalised word runs), lists of
names, dates, prepositional phrases and determiner-led noun phrases. Pure functions, no tagger
and no model: the trade-off is that a slot's extent is sometimes guessed wrong, which is why
the follow-up resolver proposes several rewrites (``rag.answer.followup``). How a question is
cut into wh-phrase, auxiliary, subject, verb and reported speech is ``rag.answer.clause``.

``name_slots("What did Giorgia Meloni say Italy would do?")`` -> slots "Giorgia Meloni" (9-23)
and "Italy" (28-33).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import MONTH_RE, fold

AUXILIARY = frozenset(
    "is are was were be been do does did will would can could should shall may might must has have had".split()
)
WH = frozenset("what who whom whose when where which why how".split())
DETERMINERS = frozenset(
    "the a an this that these those its their his her our my your some each every".split()
)
PREPOSITIONS = frozenset(
    """about above across after against along among around as at before behind below beside between beyond
    by despite during for from in inside into near of off on onto outside over past since through
    throughout to toward towards under until upon via with within without""".split()
)
PARTICLES = frozenset("out up off down away back over on in".split())
# Verbs of saying and thinking: the closed-ish class that opens a reported clause.
SPEECH_VERBS = frozenset(
    """say says said tell tells told announce announces announced state states stated declare declared
    claim claims claimed think thinks thought believe believes believed expect expects expected
    report reports reported warn warns warned write writes wrote argue argues argued insist insists
    insisted promise promised predict predicted suggest suggested explain explained add added stress
    stressed confirm confirmed indicate indicated""".split()
)
PERSONAL = frozenset("he she him his her hers himself herself".split())
PLURAL = frozenset("they them their theirs themselves".split())
NEUTER = frozenset("it its itself".split())
DEMONSTRATIVE = frozenset("this that these those".split())
POSSESSIVE = frozenset("his her hers its their theirs".split())

_TOKEN = re.compile(r"[$€£]?\d[\d,.:]*(?:%|st|nd|rd|th)?|[A-Za-zÀ-ÖØ-öø-ÿ](?:[\w’'.\-]*\w)?")
_NAME_RUN = re.compile(r"[A-ZÀ-Þ][\w’'.-]*(?:\s+(?:(?:of|the|von|der|de|van|al)\s+)*[A-ZÀ-Þ][\w’'.-]*)*")
_MONTH_WORD = re.compile(rf"^(?:{MONTH_RE})\.?$", re.I)
_YEAR = r"\b1[0-9]{3}\b|\b20[0-9]{2}\b"
_DAY_MONTH = rf"\b\d{{1,2}}\s+(?:{MONTH_RE})\b\.?(?:,?\s+\d{{4}})?"
_MONTH_DAY = rf"\b(?:{MONTH_RE})\.?\s+\d{{1,2}}(?:,?\s+\d{{4}})?\b"
_WEEKDAY = r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
TIME = re.compile(
    rf"(?:\b(?:on|in|by|since|until|before|after|during)\s+)?(?:{_WEEKDAY},?\s+)?"
    rf"(?:{_MONTH_DAY}|{_DAY_MONTH}|\b(?:{MONTH_RE})\b\.?(?:\s+\d{{4}})?|{_YEAR})",
    re.I,
)
_CLAUSE_END = re.compile(r"[,;:.!?()\"“”]")


@dataclass(frozen=True)
class Slot:
    """A replaceable part of a question: ``text[start:end]``, of kind name | np | date | pp."""

    start: int
    end: int
    text: str
    kind: str


def words(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, word)`` for each word or number: ``words("U.S. role?")`` -> ``[(0, 3, "U.S"), (5, 9, "role")]``."""
    return [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]


def low(word: str) -> str:
    return fold(word).strip(".’'")


def strip_question(text: str) -> str:
    return text.strip().rstrip("?").rstrip()


def is_month(word: str) -> bool:
    return bool(_MONTH_WORD.match(word))


def _runs(text: str) -> list[re.Match[str]]:
    """Capitalised runs, cut after an inner possessive: "Poland’s Prime Minister Donald Tusk" ->
    "Poland’s", "Prime Minister Donald Tusk"."""
    out = []
    for m in _NAME_RUN.finditer(text):
        pos = m.start()
        for p in re.finditer(r"[’']s\s+(?=[A-ZÀ-Þ])", m.group(0)):
            piece = _NAME_RUN.match(text, pos, m.start() + p.start() + 2)
            if piece:
                out.append(piece)
            pos = m.start() + p.end()
        last = _NAME_RUN.match(text, pos, m.end())
        if last:
            out.append(last)
    return out


def name_slots(text: str) -> list[Slot]:
    """Capitalised word runs, less leading function words and months, with their spans.

    ``name_slots("What did Giorgia Meloni say Italy would do?")`` -> slots "Giorgia Meloni" (9-23)
    and "Italy" (28-33). A run's "’s" stays outside the slot ("Italy’s role": the slot is "Italy").
    """
    out = []
    for m in _runs(text):
        run = m.group(0)
        toks = list(re.finditer(r"\S+", run))
        while toks and (low(toks[0].group(0)) in _FUNCTION or is_month(toks[0].group(0))):
            toks = toks[1:]
        while toks and (is_month(toks[-1].group(0)) or low(toks[-1].group(0)) in ("and", "of", "the")):
            toks = toks[:-1]
        if not toks:
            continue
        start, end = m.start() + toks[0].start(), m.start() + toks[-1].end()
        piece = text[start:end]
        poss = re.search(r"[’']s$", piece)
        if poss:
            end -= len(poss.group(0))
        piece = text[start:end]
        if piece.endswith(".") and piece.count(".") == 1:  # a sentence's full stop, not "U.S."
            piece = piece[:-1]
        end = start + len(piece)
        if m.start() == 0 and start == 0 and len(toks) == 1 and " " not in run:
            continue  # "Following, ..." starts a sentence: not a name
        if piece:
            out.append(Slot(start, end, piece, "name"))
    return out


_FUNCTION = (
    WH
    | AUXILIARY
    | DETERMINERS
    | PREPOSITIONS
    | PERSONAL
    | PLURAL
    | NEUTER
    | frozenset("tell name list give describe explain and but so also according i we you".split())
)


def name_lists(text: str) -> list[Slot]:
    """Names joined by "and" (commas allowed): "the U.S. and Europe", "Italy, Poland, and Romania"."""
    ns = name_slots(text)
    out = []
    i = 0
    while i < len(ns):
        j = i
        while j + 1 < len(ns) and re.fullmatch(r",?\s+(?:and\s+)?|,\s*", text[ns[j].end : ns[j + 1].start]):
            j += 1
        if j > i and re.search(r"\band\b", text[ns[i].end : ns[j].start]):
            out.append(Slot(ns[i].start, ns[j].end, text[ns[i].start : ns[j].end], "list"))
        i = j + 1
    return out


def time_slots(text: str) -> list[Slot]:
    """Dates, months, weekdays and years with their leading preposition: "on Aug. 18", "in 1995"."""
    return [Slot(m.start(), m.end(), m.group(0), "date") for m in TIME.finditer(text)]


def without_dates(text: str) -> str:
    """``text`` without its dates ("What did Trump tell CBS News on Sept. 3" -> "... CBS News")."""
    for t in sorted(time_slots(text), key=lambda t: -t.start):
        text = text[: t.start].rstrip(" ,") + text[t.end :]
    return text


def without_source(text: str) -> str:
    """``text`` without its "according to" source ("What will Italy do, according to Meloni")."""
    return re.sub(r"(?i),?\s+according to\s+[^,?]+", "", text)


def pp_slots(text: str) -> list[Slot]:
    """Prepositional phrases up to the next preposition, punctuation, auxiliary or wh-word:
    ``pp_slots("How far is Warsaw from the Baltic Sea?")`` -> ["from the Baltic Sea"]; "according
    to X" is one preposition."""
    ws = words(text)
    out = []
    i = 0
    while i < len(ws):
        s, _e, w = ws[i]
        lw = low(w)
        two = lw == "according" and i + 1 < len(ws) and low(ws[i + 1][2]) == "to"
        if lw in PREPOSITIONS or two:
            j = i + (2 if two else 1)
            end = ws[j - 1][1]
            k = j + (1 if j < len(ws) and low(ws[j][2]) in ("the", "a", "an") else 0)
            named = next((n for n in name_slots(text) if k < len(ws) and n.start == ws[k][0]), None)
            if named is not None:  # "from Germany supported ...": the phrase ends with the name
                out.append(Slot(s, named.end, text[s : named.end], "pp"))
                while j < len(ws) and ws[j][0] < named.end:
                    j += 1
                i = j
                continue
            while j < len(ws):
                lj = low(ws[j][2])
                if (
                    (lj in PREPOSITIONS and lj != "of")
                    or lj in AUXILIARY
                    or lj in WH
                    or (_CLAUSE_END.search(text[end : ws[j][0]]) and not _abbreviated(text, ws[j - 1], ws[j]))
                ):
                    break
                end = ws[j][1]
                j += 1
            if j > i + (2 if two else 1):
                out.append(Slot(s, end, text[s:end], "pp"))
            i = j
            continue
        i += 1
    return out


def _abbreviated(text: str, word: tuple[int, int, str], nxt: tuple[int, int, str]) -> bool:
    """Is the only mark between ``word`` and ``nxt`` an abbreviation's full stop ("Sept. 3")?"""
    return text[word[1] : nxt[0]].rstrip() == "." and is_month(word[2] + ".")


def np_slots(text: str) -> list[Slot]:
    """Determiner-led noun phrases of one to three words ("the summit", "its previous sanctions
    package"), cut at a preposition, an auxiliary, a wh-word or punctuation. Every length is
    offered, since without a tagger the noun's end is a guess."""
    ws = words(text)
    out = []
    for i, (s, _e, w) in enumerate(ws):
        if low(w) not in DETERMINERS or i + 1 >= len(ws):
            continue
        end = ws[i][1]
        ext = []
        for j in range(i + 1, min(i + 4, len(ws))):
            lj = low(ws[j][2])
            if lj in PREPOSITIONS or lj in AUXILIARY or lj in WH or _CLAUSE_END.search(text[end : ws[j][0]]):
                break
            end = ws[j][1]
            nxt = ws[j + 1] if j + 1 < len(ws) else None
            if (
                nxt is not None
                and ws[j][2][:1].isupper()
                and nxt[2][:1].isupper()
                and text[end : nxt[0]] == " "
            ):
                continue  # "the United" of "the United Kingdom": not an end inside a name
            boundary = (
                nxt is None
                or low(nxt[2]) in PREPOSITIONS | AUXILIARY | WH | DETERMINERS
                or bool(_CLAUSE_END.search(text[end : nxt[0]]))
                or bool(re.search(r"(?:ing|ed)$", nxt[2]))
            )
            ext.append((not boundary, Slot(s, end, text[s:end], "np")))
        out += [sl for _b, sl in sorted(ext, key=lambda t: t[0])]  # stable: boundary extents first
    return out
