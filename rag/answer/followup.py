"""Follow-up questions made standalone, without an LLM: "What did he offer instead?" after
"What did Trump rule out on Aug. 18?" becomes "What did Trump offer instead of deploying
American ground forces on Aug. 18?".

Pure functions over the words of the question, the previous (already standalone) question and
the sentences its answer quoted. Only closed grammatical classes are listed (personal and
demonstrative pronouns, auxiliaries, wh-words, the anaphoric adverbs "instead" and "else"); names
are capitalised word runs, dates are what ``rag.text`` finds. The trade-off: no parser, so a
rewrite can read awkwardly, but it keeps every word of the question and adds only words taken
from the conversation, which is what retrieval and the answerer need. A question that does not
lean on the conversation is returned unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text import MONTH_RE, STOPWORDS, dates_mentioned, fold, tokenize
from rag.types import Answer, Turn

PERSONAL = frozenset("he she him his her hers himself herself".split())
PLURAL = frozenset("they them their theirs themselves".split())
NEUTER = frozenset("it its itself".split())
DEMONSTRATIVE = frozenset("this that these those".split())
AUXILIARY = frozenset(
    "is are was were be been do does did will would can could should shall may might must has have had".split()
)
WH = frozenset("what who whom whose when where which why how".split())
_ANAPHORIC_ADVERB = re.compile(r"\b(instead|else)\b", re.I)
_ELLIPSIS = re.compile(r"^\s*(?:and\s+|but\s+)?(?:what|how)\s+about\s+(?P<rest>.+?)\s*\??\s*$", re.I)
_BARE_AND = re.compile(r"^\s*(?:and|but)\s+(?P<rest>[^?]+?)\s*\??\s*$", re.I)
_WORD = re.compile(r"[A-Za-zÀ-ÿ][\w’'.-]*[\w]|[A-Za-zÀ-ÿ]")
_NAME_RUN = re.compile(r"[A-ZÀ-Þ][\w’'.-]*(?:\s+(?:(?:of|the|von|der|de|van|al)\s+)*[A-ZÀ-Þ][\w’'.-]*)*")
_DATE = re.compile(
    rf"(?:\b(?:on|in|by|since|until|before|after)\s+)?(?:\b(?:{MONTH_RE})\.?\s+\d{{1,2}}(?:,?\s+\d{{4}})?"
    rf"|\b\d{{1,2}}\s+(?:{MONTH_RE})\b\.?)",
    re.I,
)
_MONTH_WORD = re.compile(rf"^(?:{MONTH_RE})\.?$", re.I)
_PARTICLE = frozenset("out up off down away back over on in".split())
_STOP_PHRASE = frozenset("and but or while as because which who that if when".split())
_FUNCTION = STOPWORDS | WH | AUXILIARY | frozenset("tell name list give describe explain and but so".split())
_PUNCT_END = re.compile(r"[,;:.!?()\"“”]")


def _words(text: str) -> list[str]:
    return [fold(w).strip(".’'") for w in _WORD.findall(text)]


def names(text: str) -> list[str]:
    """Capitalised word runs, less leading function words (wh-words, pronouns, "Tell") and months.

    ``names("What did Donald Trump tell CBS News on Sept. 3?")`` -> ``["Donald Trump", "CBS News"]``.
    """
    out = []
    for m in _NAME_RUN.finditer(text):
        words = m.group(0).split()
        while words and (fold(words[0]).strip(".’'") in _FUNCTION or _MONTH_WORD.match(words[0])):
            words = words[1:]
        while words and _MONTH_WORD.match(words[-1]):
            words = words[:-1]
        if words and not (
            m.start() == 0 and len(m.group(0).split()) == 1
        ):  # "Following, ..." starts a sentence
            out.append(" ".join(words).rstrip(".’'"))
    return [n for n in dict.fromkeys(out) if n]


def leans_on_history(question: str) -> str | None:
    """Why ``question`` cannot be answered on its own, or None if it can.

    A third-person pronoun ("he", "their", "it"), a demonstrative standing for a noun ("that" at
    the end or before a verb), an anaphoric adverb ("instead", "else"), an ellipsis ("what about
    Italy?", "and Poland?") or a bare wh-question ("When?", "Why not?"). ``leans_on_history(
    "What did he offer instead?")`` -> ``"pronoun 'he'"``; ``leans_on_history("Who is Macron?")`` -> None.
    """
    words = _words(question)
    if not words:
        return None
    if _ELLIPSIS.match(question) or (_BARE_AND.match(question) and words[1:2] and words[1] not in WH):
        return "ellipsis"
    for i, w in enumerate(words):
        if w in PERSONAL or w in PLURAL:
            return f"pronoun {w!r}"
        if w in NEUTER and not _expletive(words, i):
            return f"pronoun {w!r}"
        if w in DEMONSTRATIVE and (
            i == len(words) - 1 or words[i + 1] in AUXILIARY or words[i - 1] in AUXILIARY
        ):
            return f"pronoun {w!r}"
    adverb = _ANAPHORIC_ADVERB.search(question)
    if adverb:
        return f"adverb {adverb.group(1).lower()!r}"
    if words[0] in WH and len(words) <= 2 and not names(question):
        return "bare question"
    return None


def _expletive(words: list[str], i: int) -> bool:
    """ "It is said that...", "Is it true that...": an "it" that points at nothing."""
    after = words[i + 1] if i + 1 < len(words) else ""
    before = words[i - 1] if i > 0 else ""
    return (i == 0 and after in ("is", "was")) or (
        before in ("is", "was")
        and after in ("true", "possible", "likely", "clear", "known", "said", "reported")
    )


def answer_phrase(question: str, quotes: Sequence[str]) -> str | None:
    """The words of the first quote that completes the question's last verb ("what did X rule out").

    Only when the question ends on that verb (a particle and a date aside); None otherwise.

    ``answer_phrase("What did Trump rule out?", ["Trump said ... but ruled out deploying
    American ground forces."])`` -> ``"deploying American ground forces"``.
    """
    if not quotes:
        return None
    words = _WORD.findall(_DATE.sub(" ", question))
    while words and fold(words[-1]) in _PARTICLE:
        words.pop()
    if not words or words[-1][0].isupper() or fold(words[-1]) in _FUNCTION:
        return None  # the question does not end on its verb ("... about Putin's invitation to Moscow")
    wanted = tokenize(words[-1])
    if not wanted:
        return None
    for quote in quotes:
        phrase = _phrase_after(quote, wanted)
        if phrase:
            return phrase
    return None


def _phrase_after(quote: str, wanted: list[str]) -> str | None:
    """The words after the last wanted word found in ``quote`` (particles skipped), up to a clause break."""
    spans = [(m.end(), m.group(0)) for m in _WORD.finditer(quote)]
    for target in reversed(wanted):
        for i, (_end, word) in enumerate(spans):
            if tokenize(word) != [target]:
                continue
            j = i + 1
            while j < len(spans) and fold(spans[j][1]) in _PARTICLE:
                j += 1
            picked: list[str] = []
            pos = spans[j - 1][0]
            for e, w in spans[j:]:
                if _PUNCT_END.search(quote[pos : e - len(w)]) or fold(w) in _STOP_PHRASE or len(picked) >= 8:
                    break
                picked.append(w)
                pos = e
            if picked:
                return " ".join(picked).rstrip(".")
    return None


def _split_wh(question: str) -> tuple[str, str]:
    """("What role", "did Giorgia Meloni say Italy would play") from a wh-question; ("", q) otherwise."""
    q = question.strip().rstrip("?").strip()
    m = re.match(
        r"(?i)((?:what|which|whose|how many|how much)(?:\s+[a-z]+)?|who|whom|when|where|why|how)\s+(.*)", q
    )
    if not m:
        return "", q
    wh, rest = m.group(1), m.group(2)
    if " " in wh and fold(wh.split()[-1]) in AUXILIARY:  # "What did" -> wh "What", rest "did ..."
        wh, rest = wh.rsplit(" ", 1)[0], wh.rsplit(" ", 1)[1] + " " + rest
    return wh, rest


def _antecedent(kind: str, prev: Turn) -> str | None:
    """Who "he"/"they"/"it" stands for: the previous question's subject name, or what its answer named."""
    q_names = names(prev.question)
    wh, rest = _split_wh(prev.question)
    asked_for_name = fold(wh).startswith(("who", "which"))
    answer_names = [n for n in names(" ".join(prev.quotes[:1])) if fold(n) not in fold(prev.question)]
    if kind == "neuter":
        if fold(wh) in ("what", "which") and rest.split()[:1] and fold(rest.split()[0]) in AUXILIARY:
            return answer_phrase(prev.question, prev.quotes)
        return None
    if kind == "plural":  # "they": the several names a who/which question was answered with
        if asked_for_name and len(answer_names) > 1:
            return ", ".join(answer_names[:-1]) + " and " + answer_names[-1]
        return None
    first = answer_names if asked_for_name else []
    people = [n for n in [*first, *q_names, *answer_names] if _person_like(n)]
    return people[0] if people else None


def _person_like(name: str) -> bool:
    """Could "he"/"she" stand for this name? Not an acronym ("U.S", "WSJ") nor led by a demonym ("European Pravda")."""
    words = name.split()
    return not any(w.isupper() or "." in w for w in words) and not fold(words[0]).endswith(
        ("ean", "ian", "ish", "ese")
    )


def _replace_pronouns(question: str, prev: Turn) -> str:
    out, last = [], 0
    for m in re.finditer(r"\b[A-Za-z]+\b", question):
        w = fold(m.group(0))
        kind = "personal" if w in PERSONAL else "plural" if w in PLURAL else "neuter" if w in NEUTER else ""
        if not kind:
            continue
        ante = _antecedent(kind, prev)
        if not ante:
            continue
        possessive = w in ("his", "their", "its", "hers", "theirs") or (
            w == "her" and re.match(r"\s+[a-z]", question[m.end() :]) is not None
        )
        out.append(question[last : m.start()] + (ante + "’s" if possessive else ante))
        last = m.end()
    return "".join(out) + question[last:]


def rule_rewrite(question: str, history: Sequence[Turn]) -> str:
    """The standalone form of ``question`` given earlier turns (oldest first); unchanged if it stands alone.

    ``history`` turns hold standalone questions (see ``resolve_history``); only the last is used.
    """
    q = question.strip()
    if not history or leans_on_history(q) is None:
        return q
    prev = history[-1]
    wh, rest = _split_wh(prev.question)
    asked_for_name = fold(wh).startswith(("who", "which"))
    core = re.sub(r"(?i)^\s*(?:and|but)\s+", "", q)
    core_words = _words(core)
    ellipsis = _ELLIPSIS.match(q) or _BARE_AND.match(q)
    if ellipsis and not (core_words[:1] and core_words[0] in WH and not _ELLIPSIS.match(q)):
        topic = ellipsis.group("rest").strip()
        prev_names = names(prev.question)
        if prev_names and not asked_for_name and topic[:1].isupper():  # "What about Poland?": the last name
            return prev.question.replace(prev_names[-1], topic, 1)
        noun = re.search(r"\b(?:the|a|an)\s+[a-z]+\b", prev.question)
        if noun and re.match(r"(?i)(?:the|a|an)\s", topic):  # "And the press conference?": the first noun
            return prev.question[: noun.start()] + topic + prev.question[noun.end() :]
        return f"{prev.question.rstrip('?').rstrip()}, and what about {topic}?"
    new = _replace_pronouns(q, prev)
    phrase = answer_phrase(prev.question, prev.quotes) if fold(wh) in ("what", "which") else None
    if phrase and re.search(r"\binstead\b(?!\s+of\b)", new, re.I):
        new = re.sub(r"\binstead\b(?!\s+of\b)", f"instead of {phrase}", new, count=1, flags=re.I)
    if core_words and core_words[0] in WH and len(core_words) <= 2 and rest:  # "When?" / "Who else?"
        tail = " ".join(core.rstrip("?").split()[1:])
        if phrase and rest.split()[:1] and fold(rest.split()[0]) in AUXILIARY:  # "did Trump rule out" + what
            rest = (
                f"{_DATE.sub('', rest).strip()} {phrase} {' '.join(d.strip() for d in _DATE.findall(rest))}"
            )
        new = f"{core_words[0].capitalize()} {tail + ' ' if tail else ''}{rest.strip()}?"
    if not dates_mentioned(new) and (dates := _DATE.findall(prev.question)):
        new = new.rstrip().rstrip("?").rstrip() + " " + dates[0].strip() + "?"
    if new == q:  # nothing resolved: carry the previous question's names so retrieval has them
        missing = [n for n in names(prev.question) if fold(n) not in fold(q)]
        if missing:
            new = f"{q.rstrip('?').rstrip()}, regarding {', '.join(missing)}?"
    return new


def keeps_names(question: str, rewritten: str) -> bool:
    """Does ``rewritten`` keep every name and number of ``question``? (How a rewrite is checked.)

    ``keeps_names("What about Italy?", "What role did Meloni say Italy would play?")`` -> True.
    """
    low = fold(rewritten)
    needed = names(question) + re.findall(r"\d+", question)
    return all(fold(n) in low for n in needed) and not any(
        n not in rewritten for n in re.findall(r"\d+", question)
    )


def resolve_history(turns: Sequence[Turn]) -> list[Turn]:
    """Each turn with its question made standalone against the turns before it (rules only)."""
    out: list[Turn] = []
    for t in turns:
        out.append(Turn(rule_rewrite(t.question, out), t.answer, t.quotes))
    return out


def turn_of(answer: Answer) -> Turn:
    """The turn an answer adds to its conversation: the question it answered, its text, its quotes
    (answering ones first)."""
    cites = sorted(answer.citations, key=lambda c: c.role != "answer")
    return Turn(answer.rewritten_question or answer.question, answer.answer, tuple(c.quote for c in cites))


class RuleRewriter:
    """``QuestionRewriter`` without a model: ``rule_rewrite`` over the resolved history."""

    name = "rules"

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        return rule_rewrite(question, resolve_history(history))
