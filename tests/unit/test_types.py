"""Domain types: the one date-range parser, the one top-k bound, ids and JSON shapes."""

import datetime as dt

import pytest

from rag.errors import BadQuestionError
from rag.types import TOP_K_MAX, Answer, Article, Chunk, Citation, DateRange, Query, check_top_k


@pytest.mark.parametrize(
    ("start", "end", "expect"),
    [
        (None, None, DateRange()),
        ("", "  ", DateRange()),
        ("2025-09-01", None, DateRange(dt.date(2025, 9, 1), None)),
        (" 2025-09-01 ", "2025-09-30", DateRange(dt.date(2025, 9, 1), dt.date(2025, 9, 30))),
        (dt.date(2025, 9, 1), "2025-09-01", DateRange(dt.date(2025, 9, 1), dt.date(2025, 9, 1))),
    ],
)
def test_date_range_parse(start, end, expect):
    assert DateRange.parse(start, end) == expect


@pytest.mark.parametrize(
    ("start", "end", "match"),
    [
        ("2025-13-01", None, r"from '2025-13-01' is not a date: use YYYY-MM-DD"),
        (None, "Sept 4", r"to 'Sept 4' is not a date"),
        ("2025-09-05", "2025-09-01", r"from 2025-09-05 is after to 2025-09-01: swap the two dates"),
    ],
)
def test_date_range_parse_refuses_with_the_bad_value(start, end, match):
    with pytest.raises(BadQuestionError, match=match):
        DateRange.parse(start, end)


def test_front_end_labels_name_the_field_the_user_typed():
    with pytest.raises(BadQuestionError, match="--from 2025-09-05 is after --to 2025-09-01"):
        DateRange.parse("2025-09-05", "2025-09-01", ("--from", "--to"))


def test_a_reversed_range_cannot_be_built_directly_either():
    with pytest.raises(BadQuestionError, match="after its end"):
        DateRange(dt.date(2025, 9, 5), dt.date(2025, 9, 1))
    assert DateRange(dt.date(2025, 9, 1), None).contains(dt.date(2026, 1, 1))
    assert not DateRange(None, dt.date(2025, 9, 1)).contains(dt.date(2025, 9, 2))


@pytest.mark.parametrize("k", [0, -3, TOP_K_MAX + 1, 2.5, True, "5"])
def test_top_k_bound(k):
    with pytest.raises(BadQuestionError, match=f"from 1 to {TOP_K_MAX}"):
        check_top_k(k)


def test_query_checks_its_top_k():
    assert Query("q", top_k=TOP_K_MAX).top_k == TOP_K_MAX
    with pytest.raises(BadQuestionError):
        Query("q", top_k=0)


def test_chunk_id_is_from_content_and_citation_json_shape():
    a = Article("a1", dt.date(2025, 9, 4), "One sentence here. Two.")
    c1 = Chunk("a1", a.published, 0, 0, 18, "One sentence here.", a.digest)
    c2 = Chunk("a1", a.published, 0, 0, 18, "One sentence here.", "other-digest")
    assert c1.chunk_id == c2.chunk_id  # the digest of the article is not part of the id
    assert c1.chunk_id != Chunk("a1", a.published, 0, 0, 18, "One sentence there", a.digest).chunk_id
    cit = Citation("a1", a.published, "One sentence here.", 0, 18)
    assert cit.to_json() == {
        "article_id": "a1",
        "published": "2025-09-04",
        "quote": "One sentence here.",
        "start": 0,
        "end": 18,
        "role": "answer",
        "headline": "",
        "outlet": "",
    }
    assert Citation.from_json(cit.to_json()) == cit
    assert a.published_int == 20250904


def test_an_answer_reads_back_from_its_json():
    from rag.types import AnswerSpan

    cit = Citation("a1", dt.date(2025, 9, 4), "Q.", 0, 2, "context", "Head", "AP")
    ans = Answer(
        "q?", "Q. [1]", False, (cit,), confidence=0.5, unverified=("x",), llm_error="e",
        answer_span=AnswerSpan("a1", 0, 1, "Q"), rewritten_question="Q?",
    )  # fmt: skip
    assert Answer.from_json(ans.to_json()) == ans
