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

The words and slots it is cut into (names, noun phrases, dates, prepositional phrases) come
from ``rag.answer.slots``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.slots import (
    _CLAUSE_END,
    _FUNCTION,
    AUXILIARY,
    DETERMINERS,
    NEUTER,
    PARTICLES,
    PERSONAL,
    PLURAL,
    PREPOSITIONS,
    SPEECH_VERBS,
    WH,
    Slot,
    low,
    name_slots,
    strip_question,
    words,
)


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
        if low(w) in ("tell", "tells", "told") and j < len(ws):  # "tell CBS News / reporters (that) ..."
            addressee = next((n.end for n in names if n.start == ws[j][0]), None)
            if addressee is None:
                addressee = ws[j + 1][1] if low(ws[j][2]) in DETERMINERS and j + 1 < len(ws) else ws[j][1]
            while j < len(ws) and ws[j][0] < addressee:
                j += 1
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
