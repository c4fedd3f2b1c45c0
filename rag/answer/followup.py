"""Follow-up questions made standalone without an LLM, by what the follow-up refers to.

A follow-up leans on the conversation in one of a few grammatical ways, and each is resolved
against the previous (already standalone) question, cut into parts by ``rag.answer.clause``,
and the sentences its answer quoted:

- a **pronoun** takes an antecedent that agrees with it ("he": a person the previous question or
  its answer named; "they": the names a who/which question was answered with, or a plural noun
  phrase; "it": a thing), the previous question's subject first;
- an **ellipsis** ("What about Poland?", "And by video link?", "And the Danish one?") puts its
  phrase in the place of the part of the previous question it is most like: a date replaces the
  date, a prepositional phrase the phrase with the same preposition, a name or noun phrase the
  slot it resembles most (by embedding similarity when an embedder is given). When the replaced
  part sat inside reported speech ("What did Meloni say Italy would do?") the speaker goes too:
  "What would Poland do?" — the speaker spoke for the old subject, the articles may report the
  new one through anyone;
- a **bare question** ("Why?", "In which year?", "How much?") borrows the previous question's
  predicate, its open slot filled from the answer ("Why did Trump rule out deploying American
  ground forces on Aug. 18?"), and an **elided noun** ("How many are occupied?") the previous
  question's noun;
- "instead" gains "of <what the previous answer said>".

Because a rule cannot always tell which reading is meant, ``candidates`` returns a few standalone
readings, most likely first; the pipeline answers each and keeps the one the answerer is most
confident in (``choose``). Every candidate keeps every name and number of the follow-up. A
question that does not lean on the conversation is returned unchanged; one that does, with no
conversation to lean on, gets a question back (``clarification``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rag.answer.clause import (
    AUXILIARY,
    DEMONSTRATIVE,
    DETERMINERS,
    NEUTER,
    PARTICLES,
    PERSONAL,
    PLURAL,
    POSSESSIVE,
    PREPOSITIONS,
    SPEECH_VERBS,
    TIME,
    WH,
    Frame,
    Slot,
    frame,
    low,
    name_lists,
    name_slots,
    np_slots,
    pp_slots,
    split_wh,
    strip_question,
    time_slots,
    verb_end,
    without_speaker,
    words,
)
from rag.answer.question import _is_demonym as is_demonym
from rag.text import STOPWORDS, fold, tokenize
from rag.types import Answer, Turn

Similarity = Callable[[str, str], float]

MAX_CANDIDATES = 4
_ANAPHORIC_ADVERB = re.compile(r"\b(instead|else)\b(?!\s+of\b)", re.I)
_LEAD = re.compile(r"^\s*(?:(?:and|but|so|also|then)\s*,?\s+)+", re.I)
_ABOUT = re.compile(r"^\s*(?:(?:and|but|so)\s+)?(?:what|how)\s+about\s+(?P<rest>.+?)\s*\??\s*$", re.I)
_STOP_PHRASE = frozenset("and but or while as because which who that if when".split())
_FUNCTION = STOPWORDS | WH | AUXILIARY | frozenset("tell name list give describe explain and but so".split())
_PUNCT_END = re.compile(r"[,;:.!?()\"“”—]")
_BARE_TAIL = frozenset("else not exactly then again instead".split())


def names(text: str) -> list[str]:
    """Capitalised word runs, less leading function words (wh-words, pronouns, "Tell") and months.

    ``names("What did Donald Trump tell CBS News on Sept. 3?")`` -> ``["Donald Trump", "CBS News"]``.
    """
    return list(dict.fromkeys(s.text for s in name_slots(text)))


# ---------------------------------------------------------------- what a follow-up leans on


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


# ---------------------------------------------------------------- rewriting


def answer_phrase(question: str, quotes: Sequence[str]) -> str | None:
    """The words of the first quote that complete the question's main verb ("what did X rule out").

    The verb is the last word before the question's first preposition (its particle kept aside),
    or its last word; None when that is a name or a function word, or no quote uses it.

    ``answer_phrase("What did Trump rule out?", ["Trump said ... but ruled out deploying
    American ground forces."])`` -> ``"deploying American ground forces"``.
    """
    if not quotes:
        return None
    f = frame(question)
    body = TIME.sub(" ", f.body) if f.body else ""
    ws = [w for _s, _e, w in words(body[: verb_end(body)])]
    while ws and low(ws[-1]) in PARTICLES:
        ws.pop()
    if not ws or ws[-1][0].isupper() or low(ws[-1]) in _FUNCTION:
        return None
    wanted = tokenize(ws[-1])
    if not wanted:
        return None
    for quote in quotes:
        phrase = _phrase_after(quote, wanted)
        if phrase:
            return phrase
    return None


def _phrase_after(quote: str, wanted: list[str]) -> str | None:
    """The words after the last wanted word found in ``quote`` (particles skipped), up to a clause break."""
    spans = [(e, w) for _s, e, w in words(quote)]
    for target in reversed(wanted):
        for i, (_end, word) in enumerate(spans):
            if tokenize(word) != [target]:
                continue
            j = i + 1
            while j < len(spans) and low(spans[j][1]) in PARTICLES:
                j += 1
            picked: list[str] = []
            pos = spans[j - 1][0]
            for e, w in spans[j:]:
                if _PUNCT_END.search(quote[pos : e - len(w)]) or low(w) in _STOP_PHRASE or len(picked) >= 8:
                    break
                picked.append(w)
                pos = e
            if picked:
                return " ".join(picked).rstrip(".")
    return None


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


def _answer_names(prev: Turn) -> list[str]:
    return [n for n in names(" ".join(prev.quotes[:1])) if fold(n) not in fold(prev.question)]


def _asks_for_name(f: Frame) -> bool:
    return low(f.wh.split()[0] if f.wh else "") in ("who", "whom", "whose", "which") or (
        low(f.wh.split()[0] if f.wh else "") == "what" and len(f.wh.split()) == 2
    )


def _wh_noun(f: Frame) -> str | None:
    """The noun of "How many seats", "Which nations", "What role": its last word, if not a wh-word."""
    ws = f.wh.split()
    if len(ws) >= 2 and low(ws[-1]) not in WH | frozenset(["many", "much"]):
        return ws[-1]
    return None


def _plural_phrases(f: Frame) -> list[str]:
    """Plural noun phrases of a question: determiner phrases ending in a plural, bare plurals with
    the word before them ("security guarantees"), name lists, and the wh-noun ("the members")."""
    out = []
    noun = _wh_noun(f)
    if noun and (_is_plural_noun(noun) or noun.endswith("s")):
        if not f.aux and f.body and low(f.body.split()[0]) in AUXILIARY:
            out.append(f"the {noun} that {f.body}")  # "the MSPs that are elected to represent ..."
        elif f.subject is not None and (f.verb is None or low(f.verb.text) == "have"):
            out.append(f"the {noun} of {f.subject.text}")  # "How many members does the Council have"
        out.append(f"the {noun}")
    for s in np_slots(f.text):
        last = s.text.split()[-1]
        if _is_plural_noun(last):
            out.append(s.text)
    ws = words(f.text)
    for i, (_s, _e, w) in enumerate(ws):
        if _is_plural_noun(w) and not (noun and w == noun):
            j = (
                i - 1
                if i > 0
                and ws[i - 1][2][:1].islower()
                and low(ws[i - 1][2]) not in _FUNCTION | SPEECH_VERBS
                and not (i > 1 and low(ws[i - 2][2]) == "to")
                and not (f.verb is not None and f.verb.start == ws[i - 1][0])
                else i
            )
            out.append(f.text[ws[j][0] : ws[i][1]])
    out += [n.text for n in name_lists(f.text)]
    return list(dict.fromkeys(out))


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


def _with_instead(question: str, prev: Turn) -> str:
    """ "What did Trump offer instead?" -> "... instead of <what the previous answer said>?"."""
    if not re.search(r"\binstead\b(?!\s+of\b)", question, re.I):
        return question
    phrase = answer_phrase(prev.question, prev.quotes)
    if not phrase:
        return question
    return re.sub(r"\binstead\b(?!\s+of\b)", f"instead of {phrase}", question, count=1, flags=re.I)


def _with_date(question: str, prev: Turn) -> str:
    """The previous question's date carried over when the follow-up names none."""
    if time_slots(question):
        return question
    dates = [s for s in time_slots(strip_question(prev.question)) if re.search(r"\d", s.text)]
    if not dates:
        return question
    return strip_question(question) + " " + dates[0].text.strip() + "?"


def _with_topic(question: str, prev: Turn) -> str | None:
    """The previous question's names appended when the rewrite kept none of them."""
    if any(fold(n) in fold(question) for n in names(prev.question)):
        return None
    missing = names(prev.question)
    if not missing:
        return None
    return f"{strip_question(question)}, regarding {', '.join(missing[:2])}?"


def _finish(q: str) -> str:
    q = re.sub(r"\s+", " ", q).strip()
    q = re.sub(r"\s+([,?])", r"\1", q)
    q = q.rstrip("?").rstrip(" ,") + "?"
    return q[:1].upper() + q[1:]


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


# ------------------------------------------------------------------ ellipsis


def _surface_similarity(a: str, b: str) -> float:
    """Without an embedder: shared stems, else the same shape (both names, both lower case)."""
    ta, tb = set(tokenize(a)), set(tokenize(b))
    if ta and tb and ta & tb:
        return 0.5 + 0.5 * len(ta & tb) / len(ta | tb)
    same_case = 0.2 if a[:1].isupper() == b[:1].isupper() else 0.0
    demonyms = 0.3 if is_demonym(low(a)) and is_demonym(low(b)) else 0.0
    return 0.1 + same_case + demonyms + (0.1 if len(a.split()) == len(b.split()) else 0.0)


def _replace(text: str, slot: Slot, phrase: str) -> str:
    """``text`` with ``slot`` replaced by ``phrase``; a determiner before the slot is dropped when
    the phrase brings its own ("the summit" + "the press conference")."""
    start = slot.start
    if low(phrase.split()[0]) in ("the", "a", "an", "its", "their", "his", "her"):
        m = re.search(r"(?i)\b(?:the|a|an)\s+$", text[:start])
        if m:
            start = m.start()
    return text[:start] + phrase + text[slot.end :]


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
        return out
    x, owner = _resolve_possessive(x, prev, similar)
    slots = _slots_for(text, f, x, owner, similar)
    for rank, s in enumerate(slots[:3]):
        new = (
            text[: s.start] + x.split()[-2] + text[s.end :] if s.kind == "modifier" else _replace(text, s, x)
        )
        dropped = _speaker_dropped(f, s, new)
        if dropped:
            out.append(_finish(dropped))
        generic = _generic_predicate(f, s, x) if rank == 0 else None
        if generic:
            out.append(generic)
        bare = _without_adjuncts(new, f, (s.start, s.start + len(x))) if rank == 0 else new
        if bare != new:  # "according to BFM TV" went with the old subject
            out.append(_finish(_agree(bare, s, x)))
        out.append(_finish(_agree(new, s, x)))
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
        return _finish(f"What {f.aux} {x} {f.verb.text if said and f.verb else 'do'}")
    return None


def _without_adjuncts(text: str, f: Frame, keep: tuple[int, int]) -> str:
    """``text`` without its prepositional phrases after the wh-phrase (but "of" phrases and the
    part at ``keep``): what went with the replaced part ("in Paris", "according to BFM TV")."""
    out = text
    for p in sorted(pp_slots(text), key=lambda p: -p.start):
        if (
            p.start <= len(f.wh)
            or p.text.lower().startswith(("of ", "to "))
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
    names_ = [s for s in name_slots(text) if not _in_wh(s, f)]
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


def _content(word: str) -> bool:
    return low(word) not in _FUNCTION and not word[:1].isdigit() and len(word) > 2


def _in_wh(s: Slot, f: Frame) -> bool:
    """Is the slot inside the question's wh-phrase ("How many countries")? Those stay."""
    return bool(f.wh) and s.start < len(f.wh) and f.text.startswith(f.wh)


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


# ------------------------------------------------------------------ bare questions


def _bare_candidates(question: str, prev: Turn) -> list[str]:
    """ "Why?" after "What did Trump rule out on Aug. 18?" -> "Why did Trump rule out deploying
    American ground forces on Aug. 18?"; after a wh-subject question ("Who defeated Montcalm?")
    a cleft keeps the verb's tense: "In which year was it that James Wolfe defeated Montcalm?"."""
    core = strip_question(_LEAD.sub("", question))
    new_wh, tail = split_wh(core)
    if not new_wh:
        return []
    f = frame(prev.question)
    tail_words = f"{tail} " if tail else ""
    if not f.wh:
        return [_finish(f"{new_wh} {tail_words}{f.text}")]
    if not f.aux:  # "Who defeated Montcalm at Quebec?"
        ans = _answer_names(prev)
        out = []
        if low(new_wh) in ("who else", "what else") or low(tail) == "else":
            out.append(_finish(f"{new_wh} {tail_words}{f.body}"))
        if ans:
            out.append(_finish(f"{new_wh} was it that {ans[0]} {f.body}"))
        out.append(_finish(f"{new_wh} {tail_words}{f.body}"))
        return out
    body = f.body
    noun = _wh_noun(f)
    fills = []
    if noun:
        fills.append(f"the {noun}")
    phrase = answer_phrase(prev.question, prev.quotes) if low(f.wh) in ("what", "which") or noun else None
    if phrase:
        fills.insert(0, phrase)
    out = []
    cut = verb_end(body, f.aux)
    for fill in fills:
        after = body[cut:] if fold(body[cut:].strip()) not in fold(fill) else ""
        out.append(_finish(f"{new_wh} {tail_words}{f.aux} {body[:cut]} {fill} {after}"))
    out.append(_finish(f"{new_wh} {tail_words}{f.aux} {body}"))
    return out


def _noun_ellipsis_candidates(question: str, prev: Turn) -> list[str]:
    """ "How many are occupied by elected MSPs?" after "How many seats ..." -> "How many seats are ..."."""
    core = strip_question(_LEAD.sub("", question))
    wh, rest = split_wh(core)
    f = frame(prev.question)
    nouns = [n for n in [_wh_noun(f), *[p.split()[-1] for p in _plural_phrases(f)]] if n]
    out = []
    for n in list(dict.fromkeys(nouns))[:2]:
        new = _finish(f"{wh} {n} {rest}")
        out.append(new)
        topic = _with_topic(new, prev)
        if topic:
            out.append(topic)
    return out


# ------------------------------------------------------------------ public


def candidates(question: str, history: Sequence[Turn], similar: Similarity | None = None) -> list[str]:
    """Standalone readings of ``question`` after ``history`` (oldest first, already standalone),
    most likely first; ``[question]`` when it stands alone. At most ``MAX_CANDIDATES``, each
    keeping every name and number of the question.

    ``candidates("What about Poland?", [Turn("What role did Meloni say Italy would play?")])``
    -> ``["What role would Poland play?", "What role did Meloni say Poland would play?", ...]``.
    """
    q = question.strip()
    if not history:
        return [q]
    dep = dependency(q)
    if dep is None:
        return [q]
    prev = history[-1]
    sim = similar or _surface_similarity
    if dep.kind == "pronoun":
        out = _pronoun_candidates(q, dep.word, prev)
    elif dep.kind == "ellipsis":
        out = _ellipsis_candidates(dep.word, prev, sim)
    elif dep.kind == "bare_question":
        out = _bare_candidates(q, prev)
    elif dep.kind == "noun_ellipsis":
        out = _noun_ellipsis_candidates(q, prev)
    elif (
        dep.kind == "adverb"
        and split_wh(_LEAD.sub("", q))[0]
        and not split_wh(_LEAD.sub("", q))[1].strip(" ?").replace("else", "")
    ):
        out = _bare_candidates(q, prev)  # "Who else?"
    elif dep.kind == "adverb":
        out = [_with_date(_with_instead(_LEAD.sub("", q), prev), prev)]
        out += [t for t in (_with_topic(out[0], prev),) if t]
    else:  # a determiner ("in that coalition"): the question, then the question with the topic
        out = [q, *[t for t in (_with_topic(q, prev),) if t]]
    kept = [_finish(c) for c in dict.fromkeys(out) if c and keeps_names(q, c)]
    return list(dict.fromkeys(kept))[:MAX_CANDIDATES] or [q]


def rule_rewrite(question: str, history: Sequence[Turn], similar: Similarity | None = None) -> str:
    """The most likely standalone form of ``question`` given earlier turns (oldest first);
    unchanged if it stands alone. ``history`` turns hold standalone questions (see ``resolve_history``)."""
    return candidates(question, history, similar)[0]


def keeps_names(question: str, rewritten: str) -> bool:
    """Does ``rewritten`` keep every name and number of ``question``? (How a rewrite is checked.)

    ``keeps_names("What about Italy?", "What role did Meloni say Italy would play?")`` -> True.
    """
    lowr = fold(rewritten)
    needed = names(question) + re.findall(r"\d+", question)
    return all(fold(n) in lowr for n in needed) and not any(
        n not in rewritten for n in re.findall(r"\d+", question)
    )


def resolve_history(turns: Sequence[Turn], similar: Similarity | None = None) -> list[Turn]:
    """Each turn with its question made standalone against the turns before it (rules only)."""
    out: list[Turn] = []
    for t in turns:
        out.append(Turn(rule_rewrite(t.question, out, similar), t.answer, t.quotes))
    return out


def turn_of(answer: Answer) -> Turn:
    """The turn an answer adds to its conversation: the question it answered, its text, its quotes
    (answering ones first)."""
    cites = sorted(answer.citations, key=lambda c: c.role != "answer")
    return Turn(answer.rewritten_question or answer.question, answer.answer, tuple(c.quote for c in cites))


PRIOR_MARGIN = 0.1


def choose(answers: Sequence[Answer], margin: float = PRIOR_MARGIN) -> int:
    """Which of the answers to a follow-up's readings (most likely reading first) to keep.

    The first answered reading, unless a later one is answered with a confidence more than
    ``margin`` higher: the order carries what grammar says (a pronoun takes the previous
    subject first), the answerer's confidence overrules it only when clearly surer. All
    abstained: the first. ``choose([abstained, answered(0.4), answered(0.7)])`` -> 2;
    ``choose([answered(0.6), answered(0.65)])`` -> 0.
    """
    answered = [i for i, a in enumerate(answers) if not a.abstained]
    if not answered:
        return 0
    best = answered[0]
    for i in answered[1:]:
        if answers[i].confidence > answers[best].confidence + margin:
            best = i
    return best


class EmbeddingSimilarity:
    """``Similarity`` from an embedder: the cosine of two short phrases' vectors (cached).

    "Poland" is nearer "Italy" than "Giorgia Meloni", "the press conference" nearer "the summit"
    than "BFM TV": which part of the previous question an elliptical phrase replaces.
    """

    def __init__(self, embed: Callable[[str], np.ndarray]) -> None:
        self._embed = lru_cache(maxsize=4096)(embed)

    def __call__(self, a: str, b: str) -> float:
        return float(np.dot(self._embed(a), self._embed(b)))


class RuleRewriter:
    """``QuestionRewriter`` without a model: ``candidates`` over the resolved history."""

    name = "rules"

    def __init__(self, similar: Similarity | None = None) -> None:
        self.similar = similar

    def candidates(self, question: str, history: Sequence[Turn]) -> list[str]:
        return candidates(question, resolve_history(history, self.similar), self.similar)

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        return self.candidates(question, history)[0]
