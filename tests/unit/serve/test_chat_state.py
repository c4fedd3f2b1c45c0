"""Small pure parts of the chat and the OpenAI endpoint (issue 23): the date filter's state line,
cutting content without a dangling escape, and when a regenerated answer is the same."""

import pytest

from rag.serve.openai_params import ChatOptions, apply_limits, clean_cut
from rag.serve.ui import _same, date_state


def test_the_date_filter_state_is_shown_only_when_a_filter_is_set():
    assert date_state("", "") == "" and date_state(" ", None) == ""  # type: ignore[arg-type]
    assert date_state("2025-09-05", "") == "Date filter on: from 2025-09-05"
    assert date_state("", "2025-09-05") == "Date filter on: up to 2025-09-05"
    assert date_state("2025-09-01", "2025-09-05") == "Date filter on: from 2025-09-01 to 2025-09-05"
    assert date_state("yesterday", "").startswith("Date filter not applied: From 'yesterday' is not a date")


@pytest.mark.parametrize(
    ("text", "cut"),
    [("Aug. 18", "Aug. 18"), ("a \\", "a "), ("a \\\\", "a \\\\"), ("a \\\\\\", "a \\\\"), ("", "")],
)
def test_a_cut_never_ends_in_a_lone_escape(text, cut):
    assert clean_cut(text) == cut


def test_a_stop_string_cut_drops_a_dangling_escape_too():
    content, reason = apply_limits("x \\*y\\* [1] Sources", ChatOptions(stop=("*y",)))
    assert (content, reason) == ("x ", "stop")


def test_a_regenerated_answer_is_the_same_when_its_text_and_quotes_are():
    a = {"answer": "A [1]", "abstained": False, "citations": [{"quote": "A"}], "timings_ms": {"total_ms": 3}}
    assert _same(a, {**a, "timings_ms": {"total_ms": 9}, "confidence": 0.1})
    assert not _same(a, {**a, "citations": [{"quote": "B"}]})
