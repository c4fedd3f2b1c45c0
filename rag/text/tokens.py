"""BM25 tokens: accent and case folding, Porter stems, stop words.

``tokenize`` is what both the BM25 index and the answerer's term matching use, so a word
counts the same everywhere. The Porter stemmer is NLTK's, loaded without the rest of NLTK.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from rag.text.dates import MONTH_CANON

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves s t also according per via""".split()
)
_US = re.compile(r"\bUS\b")
_TOKEN = re.compile(r"(?:[a-z]\.){2,}|[a-z0-9]+(?:[.,][0-9]+)*")


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _drop_combining(m: re.Match[str]) -> str:
    return "" if unicodedata.combining(m.group()) else m.group()


def fold(text: str) -> str:
    """Lower-case, strip accents and unify quote marks: ``fold("Élysée’s")`` -> ``"elysee's"``.

    Only non-ASCII characters can be combining marks, so only they are looked at (BM25
    tokenizes every chunk: checking each character in Python took most of that time).
    """
    text = unicodedata.normalize("NFKD", text)
    if not text.isascii():
        text = _NON_ASCII.sub(_drop_combining, text)
    return text.lower().replace("’", "'").replace("ʼ", "'").replace("‘", "'")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Porter stemmer (Porter 1980, NLTK's pure-Python implementation), cached.

    ``stem("ruled")`` -> ``"rule"``; ``stem("countries")`` -> ``"countri"``. Numbers pass through.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    return _porter().stem(word, to_lowercase=False)


_PORTER_LOCK = threading.Lock()
_PORTER: Any = None


def _porter() -> Any:
    """The one PorterStemmer, loaded once even when several threads ask for it first at once."""
    global _PORTER
    if _PORTER is None:
        with _PORTER_LOCK:
            if _PORTER is None:
                _PORTER = _load_porter().PorterStemmer()
    return _PORTER


def warm_up() -> None:
    """Load the stemmer now (servers call this before reporting healthy)."""
    stem("warming")


def _load_porter() -> Any:
    """NLTK's ``nltk.stem.porter`` module, without running ``nltk/__init__.py``.

    That ``__init__`` imports most of NLTK, SciPy's stats included: 1.4 s of every cold
    start, for a 700-line stemmer whose own imports are three small NLTK modules. Under the
    import lock, bare placeholder packages stand in for ``nltk`` and ``nltk.stem`` while the
    stemmer's modules load from NLTK's own files; then every ``nltk`` entry is taken back
    out of ``sys.modules``, so a later ``import nltk`` (llama-index's splitter) is the real,
    whole package. Same code, same stems (tested against ``nltk.stem.porter``).

    Call it only under ``_PORTER_LOCK`` (``_porter`` does): the ``sys.modules`` check below
    runs before the import lock is taken, and two first callers at once could otherwise see the
    other's half-initialised ``nltk.stem.porter``.
    """
    import importlib.util
    import sys
    import types

    if "nltk.stem.porter" in sys.modules:  # NLTK is already loaded: use it as it is
        return sys.modules["nltk.stem.porter"]
    import _imp

    spec = importlib.util.find_spec("nltk")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - install problem
        from nltk.stem import porter

        return porter
    root = next(iter(spec.submodule_search_locations))

    def nltk_modules() -> set[str]:
        return {n for n in sys.modules if n == "nltk" or n.startswith("nltk.")}

    _imp.acquire_lock()
    before = nltk_modules()
    try:
        for name, path in (("nltk", root), ("nltk.stem", f"{root}/stem")):
            if name not in sys.modules:
                placeholder = types.ModuleType(name)
                placeholder.__path__ = [path]
                sys.modules[name] = placeholder
        return importlib.import_module("nltk.stem.porter")
    finally:
        for n in nltk_modules() - before:
            del sys.modules[n]
        _imp.release_lock()


def tokenize(text: str, keep_stopwords: bool = False) -> list[str]:
    """BM25 tokens: folded, stemmed words and numbers; ``"U.S."`` stays one token ``"u.s"``.

    ``tokenize("Trump's 25% tariffs on U.S. allies")`` -> ``["trump", "25", "tariff", "u.s", "ally"]``.
    """
    out: list[str] = []
    text = _US.sub("U.S.", text)  # "US" is the country, not the pronoun
    for raw in _TOKEN.findall(fold(text).replace("'s ", " ").replace("'s", "")):
        known = _RAW.get(raw)
        if known is None:
            known = _raw_token(raw)
        if known[0] and not keep_stopwords:
            continue
        out.append(known[1])
    return out


_RAW: dict[str, tuple[bool, str]] = {}  # raw word -> (stop word?, token): each word is worked out once


def _raw_token(raw: str) -> tuple[bool, str]:
    tok = raw.rstrip(".").replace(",", "") if raw[0].isdigit() else raw.rstrip(".")
    known = (tok in STOPWORDS, MONTH_CANON.get(tok) or stem(tok))
    if len(_RAW) >= 200_000:  # numbers make the raw words unbounded
        _RAW.clear()
    _RAW[raw] = known
    return known


# What an adjective of a place adds to its stem once a final vowel is dropped: "Ital-ian",
# "Russi-an", "Europ-ean", "Chin-es(e)", "Iraq-i", "German" (from "germani").
_FORM_TAILS = ("", "an", "ian", "ean", "es", "ese", "ish", "i")


def form_base(token: str) -> str | None:
    """What a name's adjective forms start with: its stem less a final vowel (``"itali"`` ->
    ``"ital"``); None for a token of fewer than 4 letters or not alphabetic (it has none)."""
    if len(token) < 4 or not token.isalpha():
        return None
    return token[:-1] if token[-1] in "aeiouy" else token


def name_forms(token: str, vocabulary: Iterable[str]) -> frozenset[str]:
    """The adjective forms of a name's stem among ``vocabulary`` (indexed stems sharing its
    start, ``form_base``), so a question on Italy matches a sentence on "the Italian premier".

    ``name_forms("itali", ["italian", "itali", "italic"])`` -> ``{"italian"}``.
    """
    base = form_base(token)
    if base is None:
        return frozenset()
    return frozenset(
        v for v in vocabulary if v != token and v.startswith(base) and v[len(base) :] in _FORM_TAILS
    )
