"""Ways to make a question unanswerable from the sentence that answers it, the way SQuAD 2.0's
unanswerable questions were written (Rajpurkar, Jia & Liang 2018, table 2): a name, number,
date or content word the sentence states swapped for another from the same title, a word
swapped for its antonym, a negation added. Used only to make the verifier's training data.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Protocol

from rag.text import tokenize


class Pools(Protocol):
    """What a title offers as replacements: its names, numbers and frequent words."""

    entities: list[str]
    numbers: list[str]
    words: list[str]


# Antonym pairs for perturbations (training data only; the answerer uses no word list).
ANTONYMS = tuple(
    tuple(p.split("/"))
    for p in """first/last before/after largest/smallest most/least increase/decrease increased/decreased
    north/south east/west northern/southern eastern/western win/lose won/lost open/closed early/late
    earliest/latest high/low higher/lower highest/lowest major/minor older/younger oldest/youngest
    maximum/minimum begin/end began/ended start/end started/ended longest/shortest long/short
    best/worst better/worse more/less rich/poor richest/poorest large/small big/small biggest/smallest
    inside/outside above/below upper/lower internal/external private/public positive/negative
    ancient/modern old/new accept/reject accepted/rejected allow/forbid allowed/banned legal/illegal
    male/female men/women man/woman success/failure successful/unsuccessful strong/weak
    strongest/weakest fast/slow fastest/slowest heavy/light hot/cold warm/cool wet/dry
    increase/reduce rise/fall rose/fell gain/loss gained/lost support/oppose supported/opposed
    agree/disagree common/rare popular/unpopular import/export imported/exported buy/sell
    bought/sold entered/left arrive/depart born/died birth/death true/false same/different
    domestic/foreign military/civilian native/foreign full/empty wide/narrow deep/shallow
    cheap/expensive cheapest/most-expensive urban/rural""".split()
)
_ANTONYM = {a: b for a, b in ANTONYMS} | {b: a for a, b in ANTONYMS}
_AUX = re.compile(
    r"\b(did|does|do|was|were|is|are|can|could|will|would|has|have|had|should|might|must)\b(?! not\b)", re.I
)
_NEG = re.compile(r"\b(not|never|no|none|nobody|nothing|neither|nor|without)\b|n['’]t\b", re.I)
_CAPS = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of|the|de|du|la|von|van|and|&)?\s*[A-Z][\w'’.-]*)*")
_NUM = re.compile(r"\b\d[\d,]*(?:\.\d+)?\b")
_WORD = re.compile(r"\b[a-z][a-z-]{3,}\b")


def _swap(text: str, old: str, new: str) -> str:
    return re.sub(r"(?<!\w)" + re.escape(old) + r"(?!\w)", new, text, count=1)


def _has(text: str, word: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", text, re.I) is not None


def _shape(word: str) -> str:
    """A crude word class for swaps: its ending (``_shape("elected")`` -> ``"ed"``)."""
    for end in ("tion", "ing", "ed", "ly", "er", "s"):
        if word.endswith(end):
            return end
    return ""


def perturbations(
    q: str, sent: str, prev: str, idx: Pools, rng: random.Random
) -> Iterator[tuple[str, str, str | None, str]]:
    """Ways to make ``q`` unanswerable from ``sent``, each ``(kind, q', s', prev')``: ``q'`` the
    perturbed question, ``s'``/``prev'`` the sentences with the same change (a counterfactual
    positive), ``s'`` None when the change cannot be carried into the sentence (a negation)."""
    here = sent + " " + prev
    low = here.casefold()
    words_here = set(re.findall(r"\w+", low))

    def absent(x: str) -> bool:
        xl = x.casefold()
        return (xl not in words_here) if " " not in xl and xl.isalnum() else (xl not in low)

    ents = [m.group(0).strip(".") for m in _CAPS.finditer(q) if m.start() > 0]
    ents = [e for e in ents if _has(here, e)]
    if ents:
        e = rng.choice(ents)
        n_words = len(e.split())
        pool = [x for x in idx.entities if abs(len(x.split()) - n_words) <= 1 and x != e and absent(x)]
        if pool:
            r = rng.choice(pool)
            yield "swap_name", _swap(q, e, r), _swap(sent, e, r) if _has(sent, e) else None, _swap(prev, e, r)
    nums = [n for n in _NUM.findall(q) if _has(here, n)]
    if nums:
        n = rng.choice(nums)
        pool = [x for x in idx.numbers if len(x) == len(n) and x != n and absent(x)]
        if not pool and re.fullmatch(r"1\d{3}|20\d{2}", n):
            pool = [str(int(n) + d) for d in (-12, -7, -3, -2, 2, 3, 5, 11)]
        if pool:
            r = rng.choice(pool)
            yield (
                "swap_number",
                _swap(q, n, r),
                _swap(sent, n, r) if _has(sent, n) else None,
                _swap(prev, n, r),
            )
    ants = [w for w in re.findall(r"[A-Za-z]+", q) if w.lower() in _ANTONYM]
    if ants:
        w = rng.choice(ants)
        a = _ANTONYM[w.lower()].replace("-", " ")
        a = a.capitalize() if w[0].isupper() else a
        if absent(a):
            yield "antonym", _swap(q, w, a), _swap(sent, w, a) if _has(sent, w) else None, prev
    if not _NEG.search(here) and not _NEG.search(q):
        m = _AUX.search(q)
        if m:
            yield "negation", q[: m.end()] + " not" + q[m.end() :], None, prev
    words = [w for w in _WORD.findall(q) if w in words_here and tokenize(w)]
    if words:
        w = rng.choice(words)
        stem_w, shape = tokenize(w)[0], _shape(w)
        pool = [x for x in idx.words if _shape(x) == shape and x not in words_here and x[:4] != w[:4]]
        pool = [x for x in rng.sample(pool, min(len(pool), 20)) if tokenize(x) and tokenize(x)[0] != stem_w]
        if pool:
            r = pool[0]
            yield "swap_word", _swap(q, w, r), _swap(sent, w, r), prev
