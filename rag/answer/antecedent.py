"""What a pronoun of a follow-up stands for, and the follow-up with it substituted.

"he" takes a person the previous question or its answer named, "they" the names a who/which
question was answered with or a plural noun phrase, "it" a thing, the previous question's
subject first (``antecedents``); every pronoun of that kind is then replaced, possessives with
"’s". Agreement is read off closed word classes and capitalisation, no model: the trade-off is
that a one-word name ("Warsaw") may be a person or a place, so it is offered last among things
and the answerer's confidence chooses (``rag.answer.followup``).
"""

from __future__ import annotations

import re

from rag.answer.carryover import _answer_names, _plural_phrases, _with_date, _with_instead, answer_phrase
from rag.answer.clause import Frame, frame
from rag.answer.dependency import _FUNCTION, _LEAD, _person_like, _unbound_pronoun
from rag.answer.slots import (
    DEMONSTRATIVE,
    NEUTER,
    PERSONAL,
    PLURAL,
    POSSESSIVE,
    SPEECH_VERBS,
    Slot,
    low,
    name_slots,
    np_slots,
)
from rag.types import Turn


def _asks_for_name(f: Frame) -> bool:
    return low(f.wh.split()[0] if f.wh else "") in ("who", "whom", "whose", "which") or (
        low(f.wh.split()[0] if f.wh else "") == "what" and len(f.wh.split()) == 2
    )


def antecedents(pronoun: str, prev: Turn) -> list[str]:
    """What ``pronoun`` may stand for after ``prev``, most likely first.

    ``antecedents("he", Turn("What did Trump rule out?"))`` -> ``["Trump"]``.
    """
    f = frame(prev.question)
    q_names = [s.text for s in name_slots(f.text)]
    body_names = [s.text for s in name_slots(f.text) if s.start >= f.body_start]
    ans = _answer_names(prev)
    asked = _asks_for_name(f)
    if pronoun in PERSONAL:
        order = [*(ans if asked else []), *body_names, *q_names, *ans]
        return [n for n in dict.fromkeys(order) if _person_like(n)]
    if pronoun in PLURAL:
        lists = [", ".join(ans[:-1]) + " and " + ans[-1]] if asked and len(ans) > 1 else []
        return list(dict.fromkeys([*lists, *_plural_phrases(f)]))
    pool: list[Slot] = []
    for s in sorted([*name_slots(f.text), *_np_things(f)], key=lambda s: (s.start < f.body_start, s.start)):
        if s.kind == "name" and _modifies(f, s):
            continue  # "the EU diplomat": "EU" describes, the diplomat is the thing
        if any(o.start < s.end and s.start < o.end for o in pool):
            continue  # one extent per place ("the 19th package", not also "the 19th")
        pool.append(s)
    thing_like = [s for s in pool if not _person_like(s.text) or s.kind == "np" or _has_article(f.text, s)]
    # a one-word name may be a place as well as a person ("Warsaw"): last
    things = [_with_article(f.text, s) for s in thing_like] + [
        s.text for s in pool if s not in thing_like and len(s.text.split()) == 1
    ]
    if pronoun in NEUTER:
        phrase = answer_phrase(prev.question, prev.quotes) if low(f.wh) in ("what", "which") else None
        lead = [ans[0]] if asked and ans and not _person_like(ans[0]) else []
        return list(
            dict.fromkeys([*lead, *things, *([phrase] if phrase else []), *(ans[:1] if asked else [])])
        )
    phrase = answer_phrase(prev.question, prev.quotes)
    return list(dict.fromkeys([*([phrase] if phrase else []), *reversed(things)]))


def _modifies(f: Frame, s: Slot) -> bool:
    """Is the name followed by a lower-case noun it describes ("the EU diplomat")? Not when
    that word is the question's verb ("the EU approve")."""
    m = re.match(r"\s+([a-z][\w-]*)", f.text[s.end :])
    if not m or (f.verb is not None and f.verb.start == s.end + m.start(1)):
        return False
    return low(m.group(1)) not in _FUNCTION | SPEECH_VERBS and not re.search(r"(?:ed|ing)$", m.group(1))


def _has_article(text: str, s: Slot) -> bool:
    """ "the Warsaw Uprising": a name after "the" is a thing, not a person."""
    return re.search(r"(?i)\bthe\s+$", text[: s.start]) is not None


def _with_article(text: str, s: Slot) -> str:
    return f"the {s.text}" if s.kind == "name" and _has_article(text, s) else s.text


def _np_things(f: Frame) -> list[Slot]:
    """Noun phrases not led by a possessive pronoun that neither hold a name nor cut through one."""
    names_ = name_slots(f.text)
    out = []
    for s in _nps(f):
        if low(s.text.split()[0]) in POSSESSIVE or any(n.start < s.end and s.start < n.end for n in names_):
            continue
        out.append(s)
    return out


def _substitute_pronouns(question: str, pronoun: str, antecedent: str) -> str:
    """Every pronoun of ``pronoun``'s kind replaced by ``antecedent`` (possessives with "’s")."""
    group = PERSONAL if pronoun in PERSONAL else PLURAL if pronoun in PLURAL else NEUTER | DEMONSTRATIVE
    out, last = [], 0
    for m in re.finditer(r"\b[A-Za-z]+\b", question):
        w = m.group(0).lower()
        if w not in group or (w in DEMONSTRATIVE and w != pronoun) or _bound_here(question, m.start(), w):
            continue
        possessive = w in POSSESSIVE - {"her"} or (
            w == "her" and re.match(r"\s+[a-z]", question[m.end() :]) is not None
        )
        rep = antecedent + ("’" if antecedent.endswith("s") else "’s") if possessive else antecedent
        if m.start() == 0:
            rep = rep[:1].upper() + rep[1:]
        out.append(question[last : m.start()] + rep)
        last = m.end()
    return "".join(out) + question[last:]


def _bound_here(question: str, at: int, pronoun: str) -> bool:
    """Is the pronoun at ``at`` bound inside the question (a later "he" after "Trump")?"""
    return _unbound_pronoun(question[:at] + pronoun) is None and bool(question[:at].strip())


def _nps(f: Frame) -> list[Slot]:
    """The question's determiner phrases that do not run over its main verb, and its subject."""
    out = [
        n for n in np_slots(f.text) if not (f.verb and n.start <= f.verb.start < n.end) and not _in_wh(n, f)
    ]
    if (
        f.subject
        and f.subject.text[:1].islower()
        and all((n.start, n.end) != (f.subject.start, f.subject.end) for n in out)
    ):
        out.append(f.subject)
    return out


def _in_wh(s: Slot, f: Frame) -> bool:
    """Is the slot inside the question's wh-phrase ("How many countries")? Those stay."""
    return bool(f.wh) and s.start < len(f.wh) and f.text.startswith(f.wh)


def _pronoun_candidates(question: str, pronoun: str, prev: Turn) -> list[str]:
    core = _LEAD.sub("", question).strip()
    out = []
    for ante in antecedents(pronoun, prev)[:3]:
        new = _substitute_pronouns(core, pronoun, ante)
        for _ in range(3):  # another kind of pronoun left ("When did she announce it?"): its first antecedent
            more = _unbound_pronoun(new)
            if not more or more[0] == pronoun:
                break
            rest = antecedents(more[0], prev)
            if not rest:
                break
            new = _substitute_pronouns(new, more[0], rest[0])
        out.append(_with_date(_with_instead(new, prev), prev))
    return out
