"""Chroma row shapes and format checks (pure)."""

import datetime as dt

from rag.index.rows import chunk_metadata, format_difference, where_dates
from rag.types import Chunk, DateRange


def test_format_difference_names_each_differing_key():
    want = {"embedder": "e2", "layout": "2"}
    assert format_difference({"embedder": "e2", "layout": "2"}, want) == ""
    assert (
        format_difference({"embedder": "e1", "layout": "2"}, want) == "embedder 'e1' (this setup uses 'e2')"
    )
    assert format_difference({}, {"layout": "2"}) == "layout None (this setup uses '2')"


def test_chunk_rows_hold_only_what_queries_filter_on():
    c = Chunk("a", dt.date(2025, 9, 4), 0, 0, 5, "Hello", "d")
    assert chunk_metadata(c) == {"article_id": "a", "published_int": 20250904}


def test_date_filters():
    assert where_dates(DateRange()) is None
    assert where_dates(DateRange(dt.date(2025, 9, 1), None)) == {"published_int": {"$gte": 20250901}}
    both = where_dates(DateRange(dt.date(2025, 9, 1), dt.date(2025, 9, 30)))
    assert both == {"$and": [{"published_int": {"$gte": 20250901}}, {"published_int": {"$lte": 20250930}}]}
