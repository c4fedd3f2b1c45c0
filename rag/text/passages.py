"""Passages: runs of consecutive sentence chunks that the vector index holds one vector for.

Chroma keeps float32 HNSW vectors in each process's memory (about 2 KB a vector), so one
vector per sentence (~27 an article) cannot hold an archive of 100,000 articles in 2 GB. It
holds one vector per passage instead: up to ``PASSAGE_CHUNKS`` chunks of one article, cut at
paragraph breaks where it can, whose vector is the normalised mean of its sentences' own
vectors (no extra embedding work). A question finds passages first, then every sentence of
those passages is scored by its own vector, so quotes stay exact sentences with their offsets.
A pure function of the article text and its chunk spans: readers recompute the passages the
writer indexed (the index records ``PASSAGES``).
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.text.sentences import MAX_WORDS, MIN_WORDS, chunk_spans
from rag.types import Article

PASSAGE_CHUNKS = 8
PASSAGES = f"para-mean-v1:{PASSAGE_CHUNKS}"


def passage_ranges(
    text: str, spans: Sequence[tuple[int, int]], size: int = PASSAGE_CHUNKS
) -> list[tuple[int, int]]:
    """Chunk index ranges ``[first, end)`` of an article's passages, in order, covering every chunk.

    Whole paragraphs (runs of chunks with no line break between them) are packed greedily up to
    ``size`` chunks; a longer paragraph is cut into runs of ``size``. Worked example, two
    paragraphs of 3 and 6 chunks with ``size=8``: ``[(0, 3), (3, 9)]`` (3 + 6 > 8, so the second
    starts a passage of its own).

    Raises:
        ValueError: if ``size`` is below 1.
    """
    if size < 1:
        raise ValueError(f"a passage holds at least 1 chunk, got size={size}")
    out: list[tuple[int, int]] = []
    start = fill = 0
    for first, end in _paragraphs(text, spans):
        for a in range(first, end, size):
            b = min(a + size, end)
            if fill and fill + (b - a) <= size:
                fill += b - a
                continue
            if fill:
                out.append((start, start + fill))
            start, fill = a, b - a
    if fill:
        out.append((start, start + fill))
    return out


def _paragraphs(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Chunk index ranges of paragraphs: a line break between two chunks starts a new one."""
    runs: list[tuple[int, int]] = []
    first = 0
    for i in range(1, len(spans)):
        if "\n" in text[spans[i - 1][1] : spans[i][0]]:
            runs.append((first, i))
            first = i
    if spans:
        runs.append((first, len(spans)))
    return runs


def article_passages(article: Article) -> list[tuple[int, int]]:
    """The passages of an article's chunks (``chunk_article``'s), as ``passage_ranges`` cuts them."""
    return passage_ranges(article.text, chunk_spans(article.text, MIN_WORDS, MAX_WORDS))
