"""What a follow-up takes from the previous turn besides a referent: the phrase its answer
completed the verb with, the names its answer gave, its wh-noun and plural phrases, its date,
its topic and what "instead" stands for; and the readings of a bare question ("Why?") and an
elided noun ("How many are occupied?") built from them.

Rules over the previous question's frame (``rag.answer.clause``) and its quotes, no model:
each reading is one guess, and the answerer's confidence chooses among them
(``rag.answer.followup``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.clause import Frame, frame, split_wh, verb_end
from rag.answer.dependency import _FUNCTION, _LEAD, _is_plural_noun, names
from rag.answer.slots import (
    AUXILIARY,
    PARTICLES,
    SPEECH_VERBS,
    TIME,
    WH,
    low,
    name_lists,
    np_slots,
    strip_question,
    time_slots,
    words,
)
from rag.text import fold, tokenize
from rag.types import Turn

_STOP_PHRASE = frozenset("and but or while as because which who that if when".split())
_PUNCT_END = re.compile(r"[,;:.!?()\"“”—]")


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


def _answer_names(prev: Turn) -> list[str]:
    return [n for n in names(" ".join(prev.quotes[:1])) if fold(n) not in fold(prev.question)]


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
