"""A question cut into the parts a follow-up can replace: its wh-phrase, its auxiliary, the body
after it, a reported-speech frame (who said what about whom), and slots (names, noun phrases,
dates and prepositional phrases, each with its character span).

Pure functions, no parser and no model: only closed grammatical classes are listed
(auxiliaries, wh-words, determiners, prepositions, pronouns, verbs of saying), names are
capitalised word runs and dates are what the date patterns find. The trade-off: a slot's extent
or a verb's place is sometimes guessed wrong; the follow-up resolver therefore proposes several
rewrites and lets the answerer's confidence choose (``rag.answer.followup``).

``frame("What role did Giorgia Meloni say Italy would play?")`` ->
``Frame(wh="What role", aux="did", body="Giorgia Meloni say Italy would play", speech=Speech(
speaker="Giorgia Meloni", verb="say", embedded="Italy would play"))``.
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


@dataclass(frozen=True)
class Speech:
    """``<speaker> <verb> [that] <embedded>``: "Giorgia Meloni say Italy would play" (offsets into the question)."""

    speaker: Slot
    verb: str
    embedded_start: int  # where the reported clause starts (after "that")


@dataclass(frozen=True)
class Frame:
    """A question cut at its wh-phrase and auxiliary. ``aux`` is "" when the wh-phrase is the subject
    ("Who attended the talks?") or there is none ("Tell me about X")."""

    text: str  # the question, without its final "?"
    wh: str
    aux: str
    body: str  # what follows the auxiliary (or the wh-phrase when there is no auxiliary)
    body_start: int
    speech: Speech | None
    subject: Slot | None = None  # after an auxiliary: "the EU" in "When did the EU approve ..."
    verb: Slot | None = None  # its main verb, when one is found ("approve")


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
                    or _CLAUSE_END.search(text[end : ws[j][0]])
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
            boundary = (
                nxt is None
                or low(nxt[2]) in PREPOSITIONS | AUXILIARY | WH | DETERMINERS
                or bool(_CLAUSE_END.search(text[end : nxt[0]]))
                or bool(re.search(r"(?:ing|ed)$", nxt[2]))
            )
            ext.append((not boundary, Slot(s, end, text[s:end], "np")))
        out += [sl for _b, sl in sorted(ext, key=lambda t: t[0])]  # stable: boundary extents first
    return out


def split_wh(question: str) -> tuple[str, str]:
    """("What role", "did Giorgia Meloni say Italy would play") from a wh-question; ("", q) otherwise.

    A leading preposition belongs to the wh-phrase ("In which year", "On which country"); a
    which/what/how-many phrase runs to the auxiliary or verb of saying that follows it within five
    words ("Which Finnish leader will ..."), else it takes one word ("What tariff").
    """
    q = strip_question(question)
    m = re.match(
        r"(?i)((?:(?:in|on|at|for|from|to|by|since|until|with|about)\s+)?(?:(?P<det>what|which|whose|how many|how much)"
        r"|who|whom|when|where|why|how(?:\s+(?:long|far|often|old|large|big|soon))?))\b\s*(.*)$",
        q,
    )
    if not m:
        return "", q
    wh, rest = m.group(1), m.group(3) or ""
    if m.group("det") and rest:
        ws = words(rest)
        cut = None
        for i, (_s, _e, w) in enumerate(ws[:6]):
            lw = low(w)
            if lw in AUXILIARY or (lw in SPEECH_VERBS and i > 0):
                cut = i
                break
            if lw in PREPOSITIONS or lw in WH or _CLAUSE_END.search(rest[: ws[i][0]]):
                break
        if cut is None:
            cut = 1 if ws and low(ws[0][2]) not in PREPOSITIONS | PERSONAL | PLURAL | NEUTER else 0
        if cut:
            noun = rest[: ws[cut - 1][1]]
            wh, rest = f"{wh} {noun}", rest[ws[cut - 1][1] :].lstrip()
    return wh, rest


_BE = frozenset("is are was were be been".split())


def subject_and_verb(text: str, body_start: int, aux: str) -> tuple[Slot | None, Slot | None]:
    """The subject and main verb of the body that follows an auxiliary, guessed without a tagger.

    The subject runs from the body's start over names, nouns and "of" phrases; the verb is the
    first verb of saying in that run, else its last lower-case content word (after "is/was/..."
    only a participle: "was the summit planned", not "is the population of Warsaw").
    ``subject_and_verb("When did the EU approve its package", 5, "did")`` -> (the EU, approve).
    """
    ws = [w for w in words(text) if w[0] >= body_start]
    run: list[tuple[int, int, str]] = []
    verb = None
    for s, e, w in ws:
        lw = low(w)
        if run and _CLAUSE_END.search(text[run[-1][1] : s]):
            break
        if lw in SPEECH_VERBS and run:
            verb = (s, e, w)
            break
        stop = (lw in PREPOSITIONS and lw != "of") or lw in AUXILIARY or lw in WH or lw in PERSONAL | PLURAL
        if run and (stop or (lw in DETERMINERS and low(run[-1][2]) != "of")):
            break
        run.append((s, e, w))
    if verb is None:
        content = [
            t
            for t in run[1:]
            if t[2][:1].islower()
            and low(t[2]) not in _FUNCTION | PARTICLES | frozenset(["not", "also", "only", "still"])
            and not t[2].endswith("ly")
        ]
        if content and (low(aux) not in _BE or re.search(r"(?:ed|en|ing)$", content[-1][2])):
            verb = content[-1]
    if not run:
        return None, None
    subj_end = verb[0] if verb else run[-1][1]
    subject_text = text[run[0][0] : subj_end].rstrip()
    subject_text = re.sub(r"(?:\s+\b(?:[a-z]+ly|not))+$", "", subject_text)
    subject = Slot(run[0][0], run[0][0] + len(subject_text), subject_text, "np") if subject_text else None
    return subject, (Slot(verb[0], verb[1], verb[2], "verb") if verb else None)


def _wh_is_subject(wh: str, after_aux: str) -> bool:
    """ "Which leader will attend the summit", "How many MSPs are elected to ...": the auxiliary
    is the predicate's, not inverted before a subject. Told by the word after it (adverbs in
    "-ly" and "not" skipped): a lower-case word that is no determiner or pronoun and is followed
    by a determiner, a preposition, "to" or the end is the verb itself ("What must peace rest on"
    has a subject, "peace")."""
    if not wh or low(wh.split()[0]) in ("when", "where", "why") or low(wh) in ("how", "how far", "how long"):
        return False
    ws = [
        w for w in words(after_aux) if not (w[2].endswith("ly") and w[2][:1].islower()) and low(w[2]) != "not"
    ]
    if not ws:
        return True
    w = ws[0][2]
    if not w[:1].islower() or low(w) in DETERMINERS | PERSONAL | PLURAL | NEUTER | frozenset(["there"]):
        return False
    nxt = low(ws[1][2]) if len(ws) > 1 else ""
    return (
        not nxt
        or nxt in DETERMINERS | PREPOSITIONS
        or _CLAUSE_END.search(after_aux[ws[0][1] : ws[1][0]]) is not None
    )


def frame(question: str) -> Frame:
    """The question cut at its wh-phrase and auxiliary, with its subject, verb and reported-speech frame."""
    text = strip_question(question)
    wh, rest = split_wh(text)
    rest_start = len(text) - len(rest)
    first = rest.split(" ", 1)[0] if rest else ""
    if low(first) in AUXILIARY and not _wh_is_subject(wh, rest[len(first) :]):
        aux, body = first, rest[len(first) :].lstrip()
    else:
        aux, body = "", rest
    body_start = len(text) - len(body) if body else rest_start
    subject, verb = subject_and_verb(text, body_start, aux) if aux else (None, None)
    return Frame(text, wh, aux, body, body_start, _speech(text, body_start), subject, verb)


def _speech(text: str, body_start: int) -> Speech | None:
    """``<name or pronoun> <verb of saying> [that] <clause>`` in the body; the clause must not start
    with a preposition ("say about X" reports a topic, not a clause)."""
    ws = [w for w in words(text) if w[0] >= body_start]
    names = name_slots(text)
    for i, (_s, _e, w) in enumerate(ws):
        if low(w) not in SPEECH_VERBS or i == 0:
            continue
        speaker = next((n for n in names if n.end <= ws[i][0] and not text[n.end : ws[i][0]].strip()), None)
        if speaker is None or speaker.start < body_start:
            continue
        j = i + 1
        if j < len(ws) and low(ws[j][2]) == "that":
            j += 1
        if j >= len(ws) or low(ws[j][2]) in PREPOSITIONS or low(ws[j][2]) in PERSONAL | PLURAL:
            return None
        return Speech(speaker, w, ws[j][0])
    return None


def without_speaker(f: Frame, text: str | None = None) -> str | None:
    """The question asked of the reported clause itself, the speaker dropped:
    "What role did Giorgia Meloni say Italy would play" -> "What role would Italy play?".

    ``text``: the frame's text after a substitution that kept the offsets before the clause.
    The clause's own auxiliary moves before its subject; with none, a cleft keeps the verb's
    tense ("What was it that the talks focused on?"). None without a wh-phrase or a speech frame.
    """
    if f.speech is None or not f.wh:
        return None
    t = text if text is not None else f.text
    clause = t[f.speech.embedded_start :].strip()
    ws = words(clause)
    if not ws:
        return None
    if low(ws[0][2]) in AUXILIARY:  # the wh-phrase is the clause's subject: "How many countries were ready"
        return f"{f.wh} {clause}?"
    k = next((i for i, w in enumerate(ws) if low(w[2]) in AUXILIARY), None)
    if k is None or k == 0:
        return f"{f.wh} was it that {clause}?"
    subject, aux = clause[: ws[k][0]].strip(), ws[k][2]
    after = clause[ws[k][1] :].strip()
    neg = ""
    if after.split(" ", 1)[0].lower() == "not":
        neg, after = "not ", after[3:].strip()
    return f"{f.wh} {aux} {subject} {neg}{after}".rstrip() + "?"


def verb_end(body: str, aux: str = "did") -> int:
    """Where the object of the body's main verb would go: after the verb and its particle, else
    the end. ``verb_end("Trump rule out on Aug. 18")`` -> 14.

    The body is what follows the auxiliary; the verb is ``subject_and_verb``'s guess.
    """
    _subject, verb = subject_and_verb(body, 0, aux)
    if verb is None:
        return len(body)
    end = verb.end
    m = re.match(
        r"\s+("
        + "|".join(sorted(PARTICLES))
        + r")\b(?=\s+(?:"
        + "|".join(sorted(PREPOSITIONS))
        + r")\b|\s*$)",
        body[end:],
    )
    if m:
        end += m.end()
    return end
