"""Pure text functions: sentence spans, chunk spans, BM25 tokens, and dates named in text.

Everything here works on character offsets into the original string and never rewrites it,
so any span it returns can be quoted verbatim. Sentence splitting is a small rule-based
splitter tuned for news copy (abbreviations such as "U.S.", "Sept.", "Gen." do not end a
sentence); it trades the last few percent of accuracy of a trained model for zero
dependencies, exact offsets and ~50 µs per article.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.types import Article, Chunk

# Words that end with a period without ending the sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof gen col lt sgt capt cmdr adm gov sen rep rev st jr sr inc ltd co corp
    jan feb mar apr jun jul aug sep sept oct nov dec no vs etc approx est dept univ mt ft fig
    al pres sec""".split()
)
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets), before white space.
_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_PARAGRAPH = re.compile(r"\n")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentence spans ``(start, end)``, stripped of surrounding white space.

    Line breaks always end a sentence (headlines and paragraphs). Example:
    ``sentence_spans("U.S. aid rose. It fell.")`` -> ``[(0, 14), (15, 23)]``.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in _PARAGRAPH.split(text):
        line_start = pos
        pos += len(line) + 1
        seg_start = 0
        for m in _END.finditer(line):
            end = m.end()
            if _is_abbreviation(line, m.start(), end) or not _next_starts_sentence(line, end):
                continue
            _add_span(spans, line, line_start, seg_start, end)
            seg_start = end
        _add_span(spans, line, line_start, seg_start, len(line))
    return spans


def _is_abbreviation(line: str, dot: int, end: int) -> bool:
    if line[dot] != "." or (end - dot > 1 and line[dot + 1] == "."):
        return False
    word = _word_before(line, dot)
    if word is None:
        return False
    if "." in word:  # U.S., D.C., a.m.
        return True
    if len(word) == 1 and word.isupper():  # initials: "Donald J. Trump"
        return True
    return word.lower() in _ABBREVIATIONS


def _word_before(line: str, dot: int) -> str | None:
    """The word ending at ``line[dot] == "."``, as ``([A-Za-z][A-Za-z.]*)\\.$`` would find it in
    ``line[: dot + 1]``, scanned backwards instead (the regex re-read the line for every period)."""
    i = dot
    while i > 0 and (line[i - 1] == "." or (line[i - 1].isascii() and line[i - 1].isalpha())):
        i -= 1
    while i < dot and line[i] == ".":  # the word starts at its first letter
        i += 1
    return line[i:dot] if i < dot else None


def _next_starts_sentence(line: str, end: int) -> bool:
    rest = line[end:].lstrip()
    if not rest:
        return True
    first = rest[0]
    return first.isupper() or first.isdigit() or first in "\"'“‘«([—–-"


def _add_span(spans: list[tuple[int, int]], line: str, offset: int, a: int, b: int) -> None:
    seg = line[a:b]
    stripped = seg.strip()
    if not stripped:
        return
    lead = len(seg) - len(seg.lstrip())
    start = offset + a + lead
    spans.append((start, start + len(stripped)))


def chunk_spans(text: str, min_words: int = 5, max_words: int = 120) -> list[tuple[int, int]]:
    """Group sentences into short chunks: one sentence each, with fragments merged.

    A sentence under ``min_words`` words (a headline, "Meanwhile.") is joined to the next
    sentence of its paragraph-run; a sentence over ``max_words`` words is cut at word
    boundaries so MiniLM (256 word pieces) never truncates it.
    ``chunk_spans("Briefly. Trump spoke by phone on Sept. 4 with leaders.")`` -> one span.
    """
    if min_words < 1 or max_words < min_words:
        raise ValueError(f"need 1 <= min_words <= max_words, got {min_words}, {max_words}")
    spans: list[tuple[int, int]] = []
    pending: int | None = None
    for start, end in sentence_spans(text):
        if pending is not None:
            start = pending
            pending = None
        if len(text[start:end].split()) < min_words:
            pending = start
            continue
        spans.extend(_cut_long(text, start, end, max_words))
    if pending is not None:
        if spans and len(text[spans[-1][0] : spans[-1][1]].split()) < max_words:
            spans[-1] = (spans[-1][0], _last_end(text, pending))
        else:
            spans.append((pending, _last_end(text, pending)))
    return spans


MIN_WORDS, MAX_WORDS = 5, 120
# Names the chunking rules; an index records it, because readers re-derive chunks from the
# stored article texts and must cut them exactly as the writer did. Change it with the rules.
CHUNKER = f"sentence-v1:{MIN_WORDS}:{MAX_WORDS}"


def chunk_article(article: Article) -> list[Chunk]:
    """Sentence chunks of an article, each with its exact span: ``text[start:end] == chunk.text``."""
    from rag.types import Chunk

    digest = article.digest
    return [
        Chunk(article.article_id, article.published, seq, s, e, article.text[s:e], digest)
        for seq, (s, e) in enumerate(chunk_spans(article.text, MIN_WORDS, MAX_WORDS))
    ]


def _last_end(text: str, start: int) -> int:
    return start + len(text[start:].rstrip())


def _cut_long(text: str, start: int, end: int, max_words: int) -> Iterator[tuple[int, int]]:
    if (end - start + 1) // 2 <= max_words and not text[start].isspace() and not text[end - 1].isspace():
        yield start, end  # too short to hold more than max_words words: no need to find them
        return
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    for i in range(0, len(words), max_words):
        group = words[i : i + max_words]
        yield group[0][0], group[-1][1]


# ---------------------------------------------------------------------------- tokens

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


@lru_cache(maxsize=1)
def _porter() -> Any:
    return _load_porter().PorterStemmer()


def _load_porter() -> Any:
    """NLTK's ``nltk.stem.porter`` module, without running ``nltk/__init__.py``.

    That ``__init__`` imports most of NLTK, SciPy's stats included: 1.4 s of every cold
    start, for a 700-line stemmer whose own imports are three small NLTK modules. Under the
    import lock, bare placeholder packages stand in for ``nltk`` and ``nltk.stem`` while the
    stemmer's modules load from NLTK's own files; then every ``nltk`` entry is taken back
    out of ``sys.modules``, so a later ``import nltk`` (llama-index's splitter) is the real,
    whole package. Same code, same stems (tested against ``nltk.stem.porter``).
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
        tok = raw.rstrip(".").replace(",", "") if raw[0].isdigit() else raw.rstrip(".")
        if not keep_stopwords and tok in STOPWORDS:
            continue
        out.append(_MONTH_CANON.get(tok) or stem(tok))
    return out


# ---------------------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9,
    "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12,
    "december": 12,
}  # fmt: skip
# "Aug." and "August" index as one token; "may" is left alone (it is mostly a verb).
_MONTH_CANON = {k: v for k, v in (
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("jun", "june"),
    ("jul", "july"), ("aug", "august"), ("sep", "september"), ("sept", "september"),
    ("oct", "october"), ("nov", "november"), ("dec", "december"),
)}  # fmt: skip
_MONTH_CANON.update({v: v for v in list(_MONTH_CANON.values())})
MONTH_RE = _MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH_DAY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I)
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b\.?(?:,?\s+(\d{{4}}))?", re.I
)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def dates_mentioned(text: str) -> set[tuple[int, int]]:
    """Month/day pairs named in ``text``: ``dates_mentioned("on Aug. 18 and 20 May")`` -> ``{(8, 18), (5, 20)}``.

    Years are ignored on purpose: news copy names "Aug. 18" without one.
    """
    found: set[tuple[int, int]] = set()
    for m in _MONTH_DAY.finditer(text):
        _add_date(found, _MONTHS[m.group(1).lower()], int(m.group(2)))
    for m in _DAY_MONTH.finditer(text):
        _add_date(found, _MONTHS[m.group(2).lower()], int(m.group(1)))
    for m in _ISO.finditer(text):
        _add_date(found, int(m.group(2)), int(m.group(3)))
    return found


def _add_date(found: set[tuple[int, int]], month: int, day: int) -> None:
    try:
        dt.date(2000, month, day)  # leap year: accepts Feb 29
    except ValueError:
        return
    found.add((month, day))


def months_mentioned(text: str) -> set[int]:
    """Months named without a day: ``months_mentioned("in August")`` -> ``{8}``."""
    return {_MONTHS[m.lower()] for m in re.findall(rf"\b({_MONTH_RE})\b", text, re.I) if m.lower() != "may"}
