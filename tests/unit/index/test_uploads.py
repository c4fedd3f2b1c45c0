"""Articles sent to the running service: the same checks and words as `rag ingest`, a batch
checked whole, and a given headline written as the text's first line."""

import datetime as dt

import pytest

from rag.errors import ArticleError
from rag.index.loader import parse_bytes
from rag.index.uploads import MAX_ARTICLES_PER_REQUEST, article_from_fields, check_batch, check_id
from rag.text.headline import headline
from rag.types import Article


def test_fields_keep_the_text_exactly_and_a_headline_becomes_the_first_line():
    a = article_from_fields("k1", "2025-09-12", "  Talks stalled.\r\n")
    assert a == Article("k1", dt.date(2025, 9, 12), "  Talks stalled.\r\n")
    b = article_from_fields("k1", "2025-09-12", "Talks stalled on Friday.", " Kyiv talks stall ")
    assert b.text == "Kyiv talks stall\n\nTalks stalled on Friday."
    assert headline(b.text) == "Kyiv talks stall"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("bad id", "2025-09-12", "x"), "id 'bad id'"),
        (("../etc", "2025-09-12", "x"), "id '../etc'"),
        (("k1", "12.09.2025", "x"), "YYYY-MM-DD"),
        (("k1", "2025-02-30", "x"), "not a real date"),
        (("k1", "2025-09-12", "  \n"), "empty"),
        (("k1", "2025-09-12", "x", "Ends like a sentence."), "headline"),
        (("k1", "2025-09-12", "x", "two\nlines"), "one non-empty line"),
        (("k1", "2025-09-12", "x", ""), "headline"),
        (("k1", "2025-09-12", "x" * (5 * 1024 * 1024 + 1)), "over the 5.2 MB limit"),
    ],
)
def test_bad_fields_name_the_problem(args, needle):
    with pytest.raises(ArticleError, match=needle):
        article_from_fields(*args)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"date 2025-09-12 caf\xe9", "not UTF-8 (byte 0xe9 at offset 19)"),
        (b"no header here", "no 'date YYYY-MM-DD' header"),
        (b"date 2025-09-12 \x00\x01", "binary"),
        (b"date 2025-09-12   ", "empty"),
        (b"date 2025-09-12 " + b"x" * (5 * 1024 * 1024), "over the 5.2 MB limit"),
    ],
)
def test_bytes_get_the_same_words_as_rag_ingest(data, needle):
    with pytest.raises(ArticleError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        parse_bytes(data, "k1")


def test_a_batch_is_refused_whole_for_a_repeated_id_or_too_many():
    a = Article("k1", dt.date(2025, 9, 12), "x")
    check_batch([a])
    with pytest.raises(ArticleError, match="duplicate article id 'k1'"):
        check_batch([a, a])
    many = [Article(f"k{i}", a.published, "x") for i in range(MAX_ARTICLES_PER_REQUEST + 1)]
    with pytest.raises(ArticleError, match="over the limit"):
        check_batch(many)


def test_check_id():
    assert check_id("000_ae23.x-y") == "000_ae23.x-y"
    with pytest.raises(ArticleError):
        check_id(None)
