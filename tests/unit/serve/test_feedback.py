"""The ratings file (rag.serve.feedback) and the chat's rating helpers (rag.serve.feedback_ui)."""

import datetime as dt
import json
import sqlite3

import pytest

from rag.errors import BadQuestionError
from rag.serve.feedback import FeedbackStore, as_question, export_lines
from rag.serve.feedback_ui import answer_from_json, answer_index, rating_of
from rag.types import Answer, Citation

CITE = Citation("a1", dt.date(2025, 9, 4), "Trump said the U.S. could provide air support.", 10, 57)
ANSWER = Answer(
    "What did he offer?", f"{CITE.quote} [1]", False, (CITE,), rewritten_question="What did Trump offer?"
)
FP = {"answerer": {"mode": "extractive"}}


def test_ratings_round_trip_and_persist(tmp_path):
    path = tmp_path / "sub" / "feedback.sqlite3"
    fid = FeedbackStore(path).add("down", ANSWER, FP, comment="  wrong quote ")
    FeedbackStore(path).set_comment(fid, "wrong quote, wanted air support")
    rows = FeedbackStore(path).rows()  # a new store object on the same file: what a restart sees
    assert len(rows) == 1 and rows[0]["id"] == fid
    row = rows[0]
    assert (row["rating"], row["comment"], row["abstained"]) == (
        "down",
        "wrong quote, wanted air support",
        False,
    )
    assert row["citations"] == [CITE.to_json()] and row["fingerprint"] == FP
    assert row["rewritten_question"] == "What did Trump offer?" and row["channel"] == "api"
    with sqlite3.connect(path) as db:  # a plain SQLite file anyone can read
        assert db.execute("SELECT count(*) FROM feedback").fetchone() == (1,)


@pytest.mark.parametrize(
    ("rating", "comment", "needle"), [("meh", "", "rating 'meh'"), ("up", "x" * 2001, "2001 characters")]
)
def test_bad_ratings_are_refused_by_name(tmp_path, rating, comment, needle):
    with pytest.raises(BadQuestionError, match=needle):
        FeedbackStore(tmp_path / "f.sqlite3").add(rating, ANSWER, FP, comment)


def test_comment_on_a_missing_rating_is_named(tmp_path):
    with pytest.raises(BadQuestionError, match="no feedback with id 7"):
        FeedbackStore(tmp_path / "f.sqlite3").set_comment(7, "x")


def test_export_as_questions(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    assert list(export_lines(store)) == []  # no file yet: nothing, and no error
    store.add("up", ANSWER, FP)
    store.add("down", ANSWER, FP)
    store.add("up", Answer("Who won?", "The articles don't say.", True), FP)
    up, down, refused = (json.loads(line) for line in export_lines(store, as_questions=True))
    assert up["question"] == "What did Trump offer?" and up["answerable"] and up["evidence"] == [CITE.quote]
    assert up["expect"] == [[CITE.quote]] and up["sources"] == ["a1"] and not up["needs_review"]
    assert not down["answerable"] and down["needs_review"] and down["evidence"] == []
    assert not refused["answerable"] and refused["kind"] == "feedback_up"
    assert as_question({**store.rows()[1], "abstained": True})[
        "answerable"
    ]  # a refusal voted down should answer


def test_chat_rating_helpers():
    assert [rating_of(v) for v in (True, False, "Like", "Dislike", None, "")] == [
        "up",
        "down",
        "up",
        "down",
        None,
        None,
    ]
    assert [answer_index(i) for i in (1, 3, (5, 1))] == [0, 1, 2]
    assert answer_from_json(ANSWER.to_json()) == ANSWER
