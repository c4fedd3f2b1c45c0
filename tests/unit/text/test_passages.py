"""Passage ranges: runs of chunks, cut at paragraph breaks where they can be."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.text import chunk_spans
from rag.text.passages import passage_ranges


def text_of(paragraphs: list[int]) -> str:
    """Paragraphs of n sentences each, separated by a blank line."""
    return "\n\n".join(
        " ".join(f"Sentence number {p}{i} says a thing." for i in range(n)) for p, n in enumerate(paragraphs)
    )


def test_worked_example_whole_paragraphs_are_packed():
    text = text_of([3, 6])
    assert passage_ranges(text, chunk_spans(text), size=8) == [(0, 3), (3, 9)]
    text = text_of([2, 3, 4])
    assert passage_ranges(text, chunk_spans(text), size=8) == [(0, 5), (5, 9)]


def test_a_long_paragraph_is_cut_and_an_empty_text_has_none():
    text = text_of([19])
    assert passage_ranges(text, chunk_spans(text), size=8) == [(0, 8), (8, 16), (16, 19)]
    assert passage_ranges("", [], size=8) == []
    with pytest.raises(ValueError, match="at least 1"):
        passage_ranges(text, chunk_spans(text), size=0)


@given(st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=12), st.integers(1, 10))
def test_passages_cover_every_chunk_once_in_order(paragraphs, size):
    text = text_of(paragraphs)
    spans = chunk_spans(text)
    ranges = passage_ranges(text, spans, size)
    assert [i for a, b in ranges for i in range(a, b)] == list(range(len(spans)))
    assert all(0 < b - a <= size for a, b in ranges)
    starts = [sum(paragraphs[:i]) for i in range(len(paragraphs))]
    for a, _ in ranges:  # a passage starts at a paragraph, or inside one longer than ``size``
        assert a in starts or any(
            s < a < s + n and (a - s) % size == 0 for s, n in zip(starts, paragraphs, strict=True)
        )
