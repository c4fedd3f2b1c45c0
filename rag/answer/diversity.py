"""Source diversity: near-duplicate articles count as one source, and no source fills every slot.

A planted article, or a handful of copies of it, must not crowd out the other reports an
answer could quote. Two pure pieces do that: ``near_duplicate_clusters`` groups articles whose
wording is nearly the same (word-shingle resemblance, Broder 1997), and ``cap_per_cluster``
keeps at most N-1 of N quote slots for one cluster whenever another cluster has a quote that
qualifies. The trade-off: resemblance is about wording, so two independent reporters who
happen to phrase a story almost identically are merged (rare in practice), and a copy
rewritten word by word is not caught (that needs a semantic test, and is also not a copy).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import lru_cache
from typing import TypeVar

from rag.text import fold

T = TypeVar("T")

_WORD = re.compile(r"\w+")
_ASCII_WORD = re.compile(r"\w+", re.ASCII)  # the same words in ASCII text, found faster
SHINGLE_WORDS = 3
# Why 0.5. If a copy changes a fraction p of the words (at random places), a 3-word shingle
# survives with probability (1-p)^3 = s, and the resemblance of the two shingle sets is
# s / (2 - s). p = 10% gives 0.57, p = 20% gives 0.34; two independent reports of one event
# share only the odd phrase (resemblance well under 0.1). 0.5 therefore means "at most about
# one word in nine changed": an edited copy, not a second report. Set a priori, not fitted.
NEAR_DUPLICATE = 0.5


def shingles(text: str, k: int = SHINGLE_WORDS) -> frozenset[tuple[str, ...]]:
    """The set of ``k``-word runs of ``text`` (words folded to lower case without accents, not stemmed: a
    copy keeps the words' forms, and stemming would cost more than the whole comparison).

    ``shingles("Trump ruled out troops", k=3)`` -> ``{("trump", "ruled", "out"), ("ruled", "out", "troops")}``.
    A text shorter than ``k`` words is one shingle (its words), so short texts still compare.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1 word, got {k}")
    folded = fold(text)
    words = (_ASCII_WORD if folded.isascii() else _WORD).findall(folded)
    if len(words) < k:
        return frozenset([tuple(words)]) if words else frozenset()
    # the k-word runs as tuples (zip stops at the shortest tail)
    return frozenset(zip(*(words[i:] for i in range(k)), strict=False))


@lru_cache(maxsize=512)
def shingle_hashes(text: str, k: int = SHINGLE_WORDS) -> frozenset[int]:
    """``shingles`` as 64-bit hashes (cached for the last 512 texts): the same resemblance (a
    collision in an article's few hundred shingles is a 1e-14 event) in a third of the memory
    (an int a shingle instead of a tuple of word strings; a news article's set is ~35 KB)."""
    return frozenset(map(hash, shingles(text, k)))


def resemblance(a: str, b: str, k: int = SHINGLE_WORDS) -> float:
    """Jaccard similarity of the two texts' ``k``-word shingles (Broder's resemblance), 0..1.

    ``resemblance("a b c d", "a b c e", k=2)`` -> ``0.5`` (shared {ab, bc} of {ab, bc, cd, ce}).
    Two empty texts resemble each other not at all (0.0).
    """
    sa, sb = shingle_hashes(a, k), shingle_hashes(b, k)
    union = len(sa | sb)
    return len(sa & sb) / union if union else 0.0


def near_duplicate_clusters(
    texts: Mapping[str, str], threshold: float = NEAR_DUPLICATE, k: int = SHINGLE_WORDS
) -> dict[str, str]:
    """Group keys whose texts resemble each other at ``threshold`` or more (transitively).

    Returns each key's cluster id: the first key of its cluster in ``texts``' order. O(n²)
    comparisons, meant for the dozen or so articles one answer draws on.
    ``near_duplicate_clusters({"a": "x y z w", "b": "x y z w!", "c": "p q r s"})``
    -> ``{"a": "a", "b": "a", "c": "c"}``.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    sets = {key: shingle_hashes(text, k) for key, text in texts.items()}

    return connected_clusters(list(texts), lambda a, b: resemble_at(sets[a], sets[b], threshold))


def resemble_at(sa: frozenset[Hashable], sb: frozenset[Hashable], threshold: float) -> bool:
    """Is the Jaccard resemblance of two shingle sets ``threshold`` or more? (empty: no)

    ``resemble_at(frozenset({("a",), ("b",)}), frozenset({("a",)}), 0.5)`` -> ``True``.
    """
    # resemblance <= min/max of the set sizes: most pairs are ruled out without a set operation
    if not sa or not sb or min(len(sa), len(sb)) < threshold * max(len(sa), len(sb)):
        return False
    shared = len(sa & sb)
    return shared / (len(sa) + len(sb) - shared) >= threshold


def connected_clusters(keys: Sequence[str], linked: Callable[[str, str], bool]) -> dict[str, str]:
    """The connected components of the pairs ``linked`` joins, each named by its first key in
    ``keys``' order (union-find; ``linked`` is asked only about pairs not yet in one component).

    ``connected_clusters(["a", "b", "c"], lambda x, y: {x, y} == {"a", "c"})``
    -> ``{"a": "a", "b": "b", "c": "a"}``.
    """
    order = {key: i for i, key in enumerate(keys)}
    parent = {key: key for key in keys}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            ra, rb = root(a), root(b)
            if ra != rb and linked(a, b):
                # the earlier key stays the root, so a cluster is named by its first member
                parent[max(ra, rb, key=order.__getitem__)] = min(ra, rb, key=order.__getitem__)
    return {key: root(key) for key in keys}


def cap_per_cluster(slots: Sequence[T], cluster_of: Callable[[T], str], reserve: T | None) -> list[T]:
    """At most N-1 of N slots from one cluster when another cluster has a qualifying quote.

    ``slots`` are the quotes chosen, best first; ``reserve`` is the best qualifying quote from a
    cluster none of them comes from (None if there is none). When every slot comes from one
    cluster and there are two or more slots, the last slot gives way to ``reserve``; otherwise
    ``slots`` is returned unchanged. ``cap_per_cluster(["a1", "a2", "a3"], lambda s: s[0], "b1")``
    -> ``["a1", "a2", "b1"]``.
    """
    out = list(slots)
    if reserve is None or len(out) < 2:
        return out
    clusters = {cluster_of(s) for s in out}
    if len(clusters) == 1 and cluster_of(reserve) not in clusters:
        out[-1] = reserve
    return out
