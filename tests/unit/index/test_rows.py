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


def test_overfetch_asks_deeper_for_a_broad_range_and_hands_narrow_ones_to_the_filter():
    from rag.index.rows import overfetch

    assert overfetch(60, 100_000, 100_000) == 90  # every article in range: 1.5 x k
    assert overfetch(60, 50_000, 100_000) == 180
    assert overfetch(60, 2_000, 100_000, cap=5_000) == 4_500 and overfetch(60, 2_000, 100_000) is None
    assert overfetch(60, 145, 100_000) is None  # a day: Chroma's date filter
    assert overfetch(60, 0, 100_000) == 0  # nothing in range: nothing to ask


def test_within_dates_keeps_committed_versions_inside_the_range_in_order():
    import datetime as dt

    from rag.index.rows import within_dates
    from rag.types import DateRange

    hits = [(1, 0, 0.9), (2, 0, 0.8), (3, 1, 0.7), (1, 2, 0.6)]
    days = {1: 20250904, 2: 20250820}  # 3 is not committed
    assert within_dates(hits, days, DateRange(dt.date(2025, 9, 1), None)) == [(1, 0, 0.9), (1, 2, 0.6)]
    assert within_dates(hits, days, DateRange(None, dt.date(2025, 8, 31))) == [(2, 0, 0.8)]
    both = DateRange(dt.date(2025, 8, 20), dt.date(2025, 9, 4))
    assert within_dates(hits, days, both) == [*hits[:2], hits[3]]
