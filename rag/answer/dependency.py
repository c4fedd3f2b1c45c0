"""Whether a question leans on the conversation, and how; and what to ask back when it does
with no conversation to lean on.

A question leans on an earlier turn through a pronoun with no antecedent in the question itself
("What did he offer instead?"), an ellipsis ("What about Poland?"), an anaphoric adverb
("instead", "else"), a bare wh-question ("Why?"), an elided noun ("How many are occupied?") or
a demonstrative determiner ("in that coalition"). Told from the question's words alone, with
closed word classes (``rag.answer.slots``) and no model; the trade-off is that a pronoun bound
inside a long question is sometimes taken as leaning back, so a weak dependency keeps the
question as asked among the readings (``rag.answer.followup``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.clause import split_wh
from rag.answer.question import _is_demonym as is_demonym
from rag.answer.slots import (
    AUXILIARY,
    DEMONSTRATIVE,
    DETERMINERS,
    NEUTER,
    PERSONAL,
    PLURAL,
    POSSESSIVE,
    PREPOSITIONS,
    WH,
    low,
    name_lists,
    name_slots,
    np_slots,
    strip_question,
    words,
)
from rag.text import STOPWORDS

_ANAPHORIC_ADVERB = re.compile(r"\b(instead|else)\b(?!\s+of\b)", re.I)
_LEAD = re.compile(r"^\s*(?:(?:and|but|so|also|then)\s*,?\s+)+", re.I)
_ABOUT = re.compile(
    r"^\s*(?:(?:and|but|so)\s+)?(?:(?:what|how)\s+about|(?:the\s+)?same(?:\s+(?:question|thing))?"
    r"\s+(?:for|about|with|regarding))\s+(?P<rest>.+?)\s*[?.!]?\s*$",
    re.I,
)  # "What about Poland?", "Same question for Poland."
_FUNCTION = STOPWORDS | WH | AUXILIARY | frozenset("tell name list give describe explain and but so".split())
_BARE_TAIL = frozenset("else not exactly then again instead".split())


def names(text: str) -> list[str]:
    """Capitalised word runs, less leading function words (wh-words, pronouns, "Tell") and months.

    ``names("What did Donald Trump tell CBS News on Sept. 3?")`` -> ``["Donald Trump", "CBS News"]``.
    """
    return list(dict.fromkeys(s.text for s in name_slots(text)))


@dataclass(frozen=True)
class Dependency:
    """How a question leans on the conversation.

    ``kind`` is pronoun | ellipsis | adverb | noun_ellipsis | bare_question | determiner, ``word``
    what it turns on ("he", "Poland", "instead"). ``strong``: nothing in the question itself can
    be what it refers to ("What did he offer instead?"); a weak one may be read inside the
    question ("What did Saudi Arabia do for its allies?": "its" is probably Saudi Arabia's), so
    the question as asked stays one of the readings, and alone it is answered as asked.
    """

    kind: str
    word: str
    strong: bool = True


_SELF = frozenset("himself herself itself themselves".split())
_INDEFINITE = frozenset(
    "everyone anyone someone everything anything something nothing nobody somewhere no".split()
)
_EXPLETIVE_VERBS = frozenset("take takes took cost costs seem seems seemed appear appears".split())


def dependency(question: str) -> Dependency | None:
    """How ``question`` leans on an earlier turn, or None if it stands alone.

    ``dependency("What did he offer instead?")`` -> ``Dependency("pronoun", "he")``;
    ``dependency("Which nations said they would not send troops?")`` -> None ("they" has its
    antecedent, "nations", in the question itself).
    """
    q = question.strip()
    ws = [low(w) for _s, _e, w in words(q)]
    if not ws:
        return None
    about = _ABOUT.match(q)
    if about:
        return Dependency("ellipsis", about.group("rest").strip())
    core = _LEAD.sub("", q).strip()
    cws = [low(w) for _s, _e, w in words(core)]
    led = core != q
    if cws and led and cws[0] not in WH and cws[0] not in AUXILIARY and not _has_verb_after_subject(cws):
        return Dependency("ellipsis", strip_question(core))  # "And the press conference?"
    if cws and not led and len(cws) <= 4 and not (set(cws) & (WH | AUXILIARY)) and q.rstrip().endswith("?"):
        if all(c in STOPWORDS for c in cws):
            return None
        return Dependency("ellipsis", strip_question(core), strong=False)  # "Poland?" (alone: a topic)
    pron = _unbound_pronoun(core)
    if pron:
        return Dependency("pronoun", *pron)
    adverb = _ANAPHORIC_ADVERB.search(core)
    if adverb and _anaphoric_adverb(core, adverb):
        contrast = re.search(r",|\b(?:but|though|although|rather|than)\b", core[: adverb.start()], re.I)
        return Dependency("adverb", adverb.group(1).lower(), strong=not contrast)
    wh, rest = split_wh(core)
    rws = words(rest)
    if (
        wh
        and low(wh.split()[-1]) in ("many", "much")
        and len(rws) >= 2
        and low(rws[0][2]) in AUXILIARY
        and rws[1][2][:1].islower()
        and low(rws[1][2]) not in DETERMINERS | PERSONAL | PLURAL | NEUTER | frozenset(["there"])
    ):
        return Dependency("noun_ellipsis", wh, strong=False)  # "How many are occupied by elected MSPs?"
    if wh and (not rws or all(low(w) in _BARE_TAIL for _s, _e, w in rws)) and not names(core):
        return Dependency("bare_question", strip_question(core))  # "Why?", "In which year?"
    det = re.search(
        r"(?:^|\b(?:[Ii]n|[Oo]n|[Aa]t|[Oo]f|[Ff]or|[Aa]bout|[Ww]ith|[Ff]rom|[Bb]y|[Tt]o|is|are|was|were|did|does|do)\s+)"
        r"([Tt]hat|[Tt]hose|[Tt]hese)\s+([a-z][\w-]+)",
        core,
    )
    if det and low(det.group(2)) not in AUXILIARY | PREPOSITIONS | STOPWORDS:
        return Dependency("determiner", f"{det.group(1)} {det.group(2)}", strong=False)  # "in that coalition"
    return None


def _anaphoric_adverb(question: str, m: re.Match[str]) -> bool:
    """ "Who else?", "What did he offer instead?": yes; "after everyone else": no."""
    before = [low(w) for _s, _e, w in words(question[: m.start()])]
    return not (m.group(1).lower() == "else" and before and before[-1] in _INDEFINITE | frozenset(["or"]))


def _has_verb_after_subject(ws: list[str]) -> bool:
    """ "And he said what?": a clause, not an elided phrase (a pronoun followed by a word)."""
    return len(ws) >= 2 and ws[0] in ("he", "she", "it", "they", "this", "that")


def _unbound_pronoun(question: str) -> tuple[str, bool] | None:
    """The first third-person pronoun with no agreeing antecedent earlier in the question itself,
    and whether nothing at all there could be one (``strong``); None if every pronoun is bound.

    Reflexives ("itself") and expletive "it" ("Is it true that", "How long does it take to")
    never lean back. "he"/"his" are bound by a person-like name before them, "they" by a plural
    noun or a list of names, "it" by a name or noun phrase that is not a person, and any of them
    by a wh-subject that can be a person or thing ("Who published its blueprint?": the answer).
    "that"/"this" stand for a noun when last, first, after a preposition, or after an auxiliary
    and not before a noun ("What does that mean?", not "would those troops be").
    """
    ws = words(question)
    lw = [low(w) for _s, _e, w in ws]
    wh, _rest = split_wh(question)
    binds = bool(wh) and (low(wh.split()[0]) in ("who", "whose", "whom") or len(wh.split()) >= 2)
    for i, w in enumerate(lw):
        before = question[: ws[i][0]]
        after_wh_aux = (
            bool(wh)
            and i >= 1
            and lw[i - 1] in AUXILIARY
            and len(before.strip()) <= len(wh) + len(lw[i - 1]) + 1
        )
        anything = bool(name_slots(before) or np_slots(before) or (binds and not after_wh_aux))
        if w in _SELF:
            continue
        if w in PERSONAL:
            if any(_person_like(n.text) for n in name_slots(before)):
                continue
        elif w in PLURAL:
            if _plural_before(before):
                continue
        elif w in NEUTER:
            if _expletive(lw, i):
                continue
            if any(not _person_like(n.text) for n in name_slots(before)) or np_slots(before):
                continue
        elif w in DEMONSTRATIVE:
            last = i == len(lw) - 1
            pronoun = (
                last
                or (i == 0 and lw[1:2] and lw[1] in AUXILIARY)
                or (i > 0 and lw[i - 1] in AUXILIARY and i + 2 == len(lw))
            )
            if not pronoun:
                continue  # "in this attack", "issues that are": a determiner or a relative pronoun
            return w, True
        else:
            continue
        if w in POSSESSIVE and anything:
            return w, False  # "What did Saudi Arabia do for its allies?": probably the owner named before
        return w, not anything
    return None


def _plural_before(text: str) -> bool:
    """Is there something "they" can stand for in ``text``: a plural noun or a list of names?"""
    if name_lists(text) or any(n.text.endswith("s") and n.text[-2:-1].isupper() for n in name_slots(text)):
        return True
    return any(_is_plural_noun(w) for _s, _e, w in words(text))


def _is_plural_noun(word: str) -> bool:
    """A lower-case word that reads as a plural noun: ``_is_plural_noun("nations")`` -> True;
    "was", "does", "his", "process", "status" -> False."""
    w = low(word)
    return (
        word[:1].islower()
        and len(w) > 3
        and w.endswith("s")
        and not w.endswith(("ss", "us", "is", "ous"))
        and w not in _FUNCTION
    )


def _expletive(words_: list[str], i: int) -> bool:
    """ "It is said that...", "Is it true that...", "Was it essential to...", "How long does it
    take to...": an "it" that points at nothing."""
    after = words_[i + 1] if i + 1 < len(words_) else ""
    later = words_[i + 2] if i + 2 < len(words_) else ""
    before = words_[i - 1] if i > 0 else ""
    return (
        (i == 0 and after in ("is", "was"))
        or (
            before in ("is", "was")
            and (
                after in ("true", "possible", "likely", "clear", "known", "said", "reported")
                or (later in ("to", "that", "for") and not re.search(r"(?:ed|en)$", after))
            )
        )
        or (after in _EXPLETIVE_VERBS and "to" in words_[i + 2 :])
        or (after == "comes" and later == "to")
    )


def leans_on_history(question: str) -> str | None:
    """Why ``question`` cannot be answered on its own, or None if it can.

    ``leans_on_history("What did he offer instead?")`` -> ``"pronoun 'he'"``;
    ``leans_on_history("What about Italy?")`` -> ``"ellipsis"``; ``leans_on_history("Who is Macron?")`` -> None.
    """
    dep = dependency(question)
    if dep is None:
        return None
    if dep.kind in ("pronoun", "adverb"):
        return f"{dep.kind} {dep.word!r}"
    return dep.kind.replace("_", " ")


def clarification(question: str) -> str | None:
    """What to ask back when ``question`` leans on an earlier turn and there is none, naming the
    word it turns on; None if the question stands alone (or only leans through a determiner such
    as "that coalition", which is answered as it is).

    ``clarification("What did he offer instead?")`` -> ``'Who is “he”? There is no earlier
    question in this conversation ...'``.
    """
    dep = dependency(question)
    if dep is None or not dep.strong:
        return None
    q = question.strip()
    if dep.kind == "pronoun":
        w = dep.word
        who = (
            f"Who is “{w}”?"
            if w in PERSONAL
            else f"Who or what are “{w}”?"
            if w in PLURAL
            else f"What does “{w}” refer to?"
        )
        fill = "[name]" if w in PERSONAL else "[names]" if w in PLURAL else "[what you mean]"
        example = re.sub(
            rf"(?i)\b{re.escape(w)}\b", fill + ("’s" if w in POSSESSIVE - {"her"} else ""), q, count=1
        )
        return (
            f"{who} There is no earlier question in this conversation for “{w}” to refer to. "
            f"Ask again with the {'name' if w in PERSONAL else 'names' if w in PLURAL else 'thing you mean'} "
            f"in place of “{w}”, e.g. “{example}”"
        )
    if dep.kind == "adverb":
        return (
            f"“{dep.word.capitalize()}” — {'instead of what' if dep.word == 'instead' else 'besides what'}? "
            "There is no earlier answer in this conversation for it to refer to. "
            f"Ask the whole question, saying what “{dep.word}” is about."
        )
    if dep.kind == "ellipsis":
        return (
            f"“{q}” continues an earlier question, and there is none in this conversation. "
            f"Ask the whole question, e.g. “What do the articles say about {dep.word}?”"
        )
    return (
        f"“{q}” about what? There is no earlier question in this conversation to follow. "
        "Ask the whole question, saying who or what it is about."
    )


def _person_like(name: str) -> bool:
    """Could "he"/"she" stand for this name? Not an acronym ("U.S", "WSJ"), not led by a demonym
    ("European Pravda"), not a list ("Italy and Poland"), not a capitalised plural ("MSPs")."""
    ws = name.split()
    return (
        not any(w.isupper() or "." in w for w in ws)
        and not is_demonym(low(ws[0]))
        and " and " not in name
        and not (len(ws) == 1 and ws[0].endswith("s") and ws[0][-2:-1].isupper())
    )
