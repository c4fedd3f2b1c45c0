"""An elliptical follow-up ("What about Poland?", "And by video link?", "And the Danish one?")
put in the place of the part of the previous question it is most like.

A date replaces the date, a prepositional phrase the phrase with the same preposition, a name
or noun phrase the slot it resembles most (by embedding similarity when one is given, else by
surface likeness). When the replaced part sat inside reported speech the speaker goes too, and
what went with the old part ("in Paris", "according to BFM TV") is offered dropped. Several
slots are tried, most alike first: the answerer's confidence chooses (``rag.answer.followup``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.answer.antecedent import _in_wh, _nps, antecedents
from rag.answer.carryover import _finish
from rag.answer.clause import Frame, frame, without_speaker
from rag.answer.dependency import _FUNCTION, _is_plural_noun, is_demonym
from rag.answer.slots import (
    PREPOSITIONS,
    SPEECH_VERBS,
    TIME,
    Slot,
    low,
    name_lists,
    name_slots,
    pp_slots,
    strip_question,
    time_slots,
    without_dates,
    without_source,
    words,
)
from rag.text import tokenize
from rag.types import Turn

Similarity = Callable[[str, str], float]


def _surface_similarity(a: str, b: str) -> float:
    """Without an embedder: shared stems, else the same shape (both names, both lower case)."""
    ta, tb = set(tokenize(a)), set(tokenize(b))
    if ta and tb and ta & tb:
        return 0.5 + 0.5 * len(ta & tb) / len(ta | tb)
    same_case = 0.2 if a[:1].isupper() == b[:1].isupper() else 0.0
    demonyms = 0.3 if is_demonym(low(a)) and is_demonym(low(b)) else 0.0
    return 0.1 + same_case + demonyms + (0.1 if len(a.split()) == len(b.split()) else 0.0)


def _replace(text: str, slot: Slot, phrase: str) -> str:
    """``text`` with ``slot`` replaced by ``phrase``. A determiner before the slot is dropped when
    the phrase brings its own ("the summit" + "the press conference") or the slot is a whole name
    the phrase stands in for ("the United Kingdom and France" + "Italy": "Italy and France", but
    "the Italian premier" + "Polish": "the Polish premier"). An abbreviation's full stop goes
    with it ("the U.S." + "Romania": "What could Romania provide?")."""
    start, end = slot.start, slot.end
    if "." in slot.text and text[end : end + 1] == ".":
        end += 1
    after = re.match(r"\s+(\w+)", text[end:])
    whole_name = slot.kind == "name" and (after is None or low(after.group(1)) in _FUNCTION)
    if whole_name or low(phrase.split()[0]) in ("the", "a", "an", "its", "their", "his", "her"):
        m = re.search(r"(?i)\b(?:the|a|an)\s+$", text[:start])
        if m:
            start = m.start()
    return text[:start] + phrase + text[end:]


def _subject_asked(f: Frame, x: str) -> str | None:
    """After a question whose wh-phrase is the subject ("Who will attend the summit
    physically?"), a name asks whether it did: "Will Witkoff attend the summit physically?"."""
    body = f.body.split(None, 1)
    if f.aux or not f.wh or len(body) < 2 or low(body[0]) not in _MODALS or not x[:1].isupper():
        return None
    return _finish(f"{body[0].capitalize()} {x} {body[1]}")


def _then(main: str, tail: str, drop: Callable[[str], str], prev: Turn, similar: Similarity) -> list[str]:
    """``main``'s readings less what ``drop`` removes (the old date or source), ``tail`` last."""
    readings = _ellipsis_candidates(main, prev, similar)
    return list(dict.fromkeys(_finish(drop(strip_question(r)) + tail) for r in readings))


def _names(text: str, f: Frame) -> list[Slot]:
    """The question's names outside its wh-phrase (which stays)."""
    return [s for s in name_slots(text) if not _in_wh(s, f)]


def _speaker_dropped(f: Frame, slot: Slot, new_text: str) -> str | None:
    """The speaker-less reading when ``slot`` lies inside the reported clause."""
    if f.speech is None or slot.start < f.speech.embedded_start:
        return None
    return without_speaker(f, new_text)


def _resolve_possessive(phrase: str, prev: Turn, similar: Similarity) -> tuple[str, str | None]:
    """ "its metropolitan area" -> ("Warsaw’s metropolitan area", "Warsaw"): the antecedent the
    phrase now names (the one most like what it owns), whose slot the phrase should take."""
    m = re.match(r"(?i)(his|her|its|their)\s+(.+)", phrase)
    if not m:
        return phrase, None
    ante = antecedents(m.group(1).lower(), prev)
    if not ante:
        return phrase, None
    owner = max(ante, key=lambda a: similar(m.group(2), a))
    return f"{owner}{'’' if owner.endswith('s') else '’s'} {m.group(2)}", owner


def _ellipsis_candidates(phrase: str, prev: Turn, similar: Similarity) -> list[str]:
    f = frame(prev.question)
    text = f.text
    x = phrase.strip().rstrip("?").strip()
    x = re.sub(r"(?i)^(?:what|how)\s+about\s+", "", x)
    xw = words(x)
    if not xw:
        return []
    first = low(xw[0][2])
    out: list[str] = []
    sourced = re.match(r"(?i)(.+?),?\s+(according to\s+.+)$", x)
    if sourced and first != "according":  # "And Romania, according to Dan?": the source goes last
        return _then(sourced.group(1), f", {sourced.group(2)}", without_source, prev, similar)
    dated = next((m for m in TIME.finditer(x) if m.end() == len(x) and m.start() > 0), None)
    if dated and first not in PREPOSITIONS:  # "What about Macron on Sept. 3?": the date goes last
        return _then(x[: dated.start()].rstrip(" ,"), f" {dated.group(0)}", without_dates, prev, similar)
    x = re.sub(r"(?<=\w)[’']s$", "", x) if x[:1].isupper() else x  # "And Poland's?" stands for Poland
    # a date, or a prepositional phrase
    if TIME.fullmatch(x) or (first in PREPOSITIONS and TIME.search(x)):
        for s in time_slots(text):
            new = _replace(text, s, x)
            bare = _without_adjuncts(new, f, (s.start, s.start + len(x)))
            if bare != new:  # "in Paris" went with the old date: "What did Macron say in August?"
                out.append(_finish(bare))
            out.append(_finish(new))
        if not out:
            out.append(_finish(f"{text} {x}"))
        return out
    if first in PREPOSITIONS or (first == "according" and len(xw) > 1):
        prep = "according" if first == "according" else first
        same = [s for s in pp_slots(text) if low(s.text.split()[0]) == prep]
        for s in same:
            out.append(_finish(_replace(text, s, x)))
        if prep == "according" and not same and f.speech is not None:
            dropped = without_speaker(f)
            if dropped:
                out.append(_finish(f"{strip_question(dropped)}, {x}"))
        if not same:
            out.append(_finish(f"{text} {x}"))
            plain = re.sub(r"\s+\b[a-z]+ly\b(?=\s)", "", text)  # "physically" gives way to "by video link"
            if plain != text:
                out.insert(len(out) - 1, _finish(f"{plain} {x}"))
            named = x.split(None, 1)[1] if len(xw) > 1 else ""
            if prep in ("for", "about", "regarding", "concerning") and named[:1].isupper():
                out += _ellipsis_candidates(named, prev, similar)  # "And for Romania?": as "And Romania?"
        return out
    x, owner = _resolve_possessive(x, prev, similar)
    asked = _subject_asked(f, x)
    if asked and not _names(text, f):
        return [asked]  # "Who will attend the summit?" + "What about Witkoff?": no other name to swap
    # "What did Meloni say about the guarantees?": the new speaker on the same topic comes first,
    # and what they said at all after it
    topical = f.verb is not None and re.match(r"\s+about\b", text[f.verb.end :], re.I)
    for rank, s in enumerate(_slots_for(text, f, x, owner, similar)[:3]):
        new = (
            text[: s.start] + x.split()[-2] + text[s.end :] if s.kind == "modifier" else _replace(text, s, x)
        )
        dropped = _speaker_dropped(f, s, new)
        if dropped:
            out.append(_finish(dropped))
        generic = _generic_predicate(f, s, x) if rank == 0 else None
        if generic and not topical:
            out.append(generic)
        bare = _without_adjuncts(new, f, (s.start, s.start + len(x))) if rank == 0 else new
        if bare != new:  # "according to BFM TV" went with the old subject
            out.append(_finish(_agree(bare, s, x)))
        out.append(_finish(_agree(new, s, x)))
        if generic and topical:
            out.append(generic)
    if asked:  # "Who can send troops to Ukraine?" + "What about Italy?": also "Can Italy send ...?"
        out.append(asked)
    if not out:  # nothing to put it in place of: ask about it beside the previous question
        out.append(_finish(f"{text}, and what about {x}"))
    return out


_MODALS = frozenset("will would can could should may might must shall".split())


def _generic_predicate(f: Frame, slot: Slot, x: str) -> str | None:
    """The old predicate was the old subject's own ("Italy's role would be"): a new subject asks
    what it does, said or will do. After "What did Meloni say Italy's role would be?", "What
    about Poland?" is also "What would Poland do?"; a new speaker, "What did Trump say?".

    Only for "what" questions whose replaced slot is a subject: the reported clause's (before its
    modal) or the speaker.
    """
    if low(f.wh.split()[0] if f.wh else "") != "what":
        return None
    sp = f.speech
    if sp is not None and slot.start >= sp.embedded_start:
        clause = f.text[sp.embedded_start :]
        m = re.search(r"\b(" + "|".join(sorted(_MODALS)) + r")\b", clause)
        if m and slot.start < sp.embedded_start + m.start():
            return _finish(f"What {m.group(1)} {x} do")
        return None
    if (
        sp is not None
        and sp.speaker.start <= slot.start < sp.speaker.end
        and low(f.aux) in ("did", "does", "do")
    ):
        return _finish(f"What {f.aux} {x} say")
    if (
        f.subject is not None
        and f.subject.start <= slot.start < f.subject.end
        and low(f.aux) in _MODALS | {"did", "does", "do"}
    ):
        said = f.verb is not None and low(f.verb.text) in SPEECH_VERBS
        verb = f.verb.text if said and f.verb else "do"
        return _finish(f"What {f.aux} {x} {'say' if low(verb) in ('tell', 'tells', 'told') else verb}")
    return None


def _without_adjuncts(text: str, f: Frame, keep: tuple[int, int]) -> str:
    """``text`` without its prepositional phrases after the wh-phrase (but "of" phrases, "about"
    topics and the part at ``keep``): what went with the replaced part ("in Paris", "according to
    BFM TV")."""
    out = text
    for p in sorted(pp_slots(text), key=lambda p: -p.start):
        if (
            p.start <= len(f.wh)
            or p.text.lower().startswith(("of ", "to ", "about "))
            or (p.start < keep[1] and keep[0] < p.end)
        ):
            continue
        obj = re.sub(r"(?i)^(?:according\s+to|\w+)\s+(?:(?:the|a|an)\s+)?", "", p.text)
        if not (obj[:1].isupper() or TIME.search(p.text)):
            continue  # only places, sources and dates: "in Paris", "according to BFM TV"
        out = out[: p.start].rstrip(" ,") + out[p.end :]
    return out


def _slots_for(text: str, f: Frame, x: str, owner: str | None, similar: Similarity) -> list[Slot]:
    """The parts of the previous question ``x`` may replace, most alike first.

    The owner of a possessive phrase first ("its metropolitan area" takes "Warsaw"); a slot
    with the same head noun next ("the 19th package" takes "its previous sanctions package");
    then names and noun phrases by similarity. "the Danish one" and a lone modifier
    ("neoclassical") replace a single word.
    """
    names_ = _names(text, f)
    if owner:
        hit = [s for s in names_ if s.text == owner] or [s for s in _nps(f) if s.text == owner]
        if hit:
            return hit[:1]
    xw = x.split()
    head = tokenize(xw[-1])
    if low(xw[-1]) == "one" and len(xw) >= 2:  # "the Danish one": its modifier replaces a modifier
        mod = xw[-2]
        singles = [
            Slot(s, e, w, "word")
            for s, e, w in words(text)
            if (_content(w) or w[:1].isupper()) and low(w) not in _FUNCTION
        ]
        ranked = sorted(singles, key=lambda s: -similar(mod, s.text))
        return [Slot(s.start, s.end, s.text, "modifier") for s in ranked[:3]]
    scored: list[tuple[bool, float, Slot]] = []
    x_name = bool(re.match(r"(?:(?:the|a|an)\s+)?[A-ZÀ-Þ]", x))
    for slot in [*names_, *name_lists(text), *_nps(f)]:
        same_head = bool(head) and tokenize(slot.text.split()[-1]) == head
        same_kind = x_name == bool(re.match(r"(?:(?:the|a|an)\s+)?[A-ZÀ-Þ]", slot.text))
        scored.append((same_kind or same_head, similar(x, slot.text) + (1.0 if same_head else 0.0), slot))
        tail = _same_shape_tail(text, slot, xw) if same_head else None
        if tail is not None:  # "rococo architecture" for "mannerist architecture", not the whole phrase
            scored.append((True, similar(x, tail.text) + 1.0, tail))
    if len(xw) == 1 and xw[0][:1].islower():  # a lone word: maybe a modifier ("neoclassical")
        for start, end, w in words(text):
            word = Slot(start, end, w, "word")
            if _content(w) and not _in_wh(word, f):
                scored.append((True, similar(x, w), word))
    # a name for a name, a noun phrase for a noun phrase, when there is one
    kept = [t for t in scored if t[0]] or scored
    kept.sort(key=lambda t: -t[1])
    out: list[Slot] = []
    for (
        _kind,
        _score,
        slot,
    ) in kept:  # one extent per place: the best-scored ("its previous sanctions package")
        if all(not (o.start < slot.end and slot.start < o.end) for o in out):
            out.append(slot)
    return out


def _same_shape_tail(text: str, slot: Slot, phrase: list[str]) -> Slot | None:
    """The last words of a longer noun phrase that a phrase of content words only, with the same
    head, stands parallel to: "mannerist architecture" in "the most interesting examples of
    mannerist architecture", for "rococo architecture" (a phrase with an article, "the 19th
    package", replaces the whole noun phrase instead)."""
    ws = words(slot.text)
    n = len(phrase)
    if len(ws) <= n or not all(_content(w) for w in phrase) or not all(_content(w) for _s, _e, w in ws[-n:]):
        return None
    start = slot.start + ws[-n][0]
    return Slot(start, slot.end, text[start : slot.end], "np")


def _content(word: str) -> bool:
    return low(word) not in _FUNCTION and not word[:1].isdigit() and len(word) > 2


def _agree(question: str, slot: Slot, phrase: str) -> str:
    """ "does the Scottish Parliament" + "committee meetings" -> "do committee meetings"."""
    plural = _is_plural_noun(phrase.split()[-1]) or " and " in phrase
    if not plural:
        return question
    before = question[: slot.start].rstrip()
    m = re.search(r"\b(does|is|was|has)$", before)
    if not m:
        return question
    swap = {"does": "do", "is": "are", "was": "were", "has": "have"}[m.group(1)]
    return before[: m.start()] + swap + " " + question[slot.start :]
