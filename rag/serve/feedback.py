"""Thumbs up/down on answers, stored durably in a local SQLite file and exported as JSONL.

One row per rating: the question (and the standalone question a follow-up was rewritten to),
the answer, its citations, the configuration fingerprint of the server that answered (the eval's,
``rag.evaluation.run.fingerprint``) and an optional comment. SQLite because it is in the standard
library, survives restarts and crashes (each rating is one committed transaction, WAL journal)
and lets several server threads write at once. The file sits beside the index
(``RAG_DATA_DIR/feedback.sqlite3``) unless ``RAG_FEEDBACK_PATH`` names another; with a Chroma
server, set it to a path on the machine (or volume) that should keep the ratings.

``export_questions`` turns ratings into draft labelled questions for ``rag eval --questions``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from rag.errors import BadQuestionError, ConfigError
from rag.types import Answer

RATINGS = ("up", "down")
MAX_COMMENT = 2000
_SCHEMA = """CREATE TABLE IF NOT EXISTS feedback (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created TEXT NOT NULL,
  rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
  comment TEXT NOT NULL DEFAULT '',
  question TEXT NOT NULL,
  rewritten_question TEXT,
  answer TEXT NOT NULL,
  abstained INTEGER NOT NULL,
  citations TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  fingerprint_sha TEXT NOT NULL,
  channel TEXT NOT NULL
)"""


def check_rating(rating: str, comment: str) -> tuple[str, str]:
    """A valid (rating, comment) or a BadQuestionError naming the bad one."""
    if rating not in RATINGS:
        raise BadQuestionError(f"rating {rating!r} must be one of {', '.join(RATINGS)}")
    if len(comment) > MAX_COMMENT:
        raise BadQuestionError(
            f"comment is {len(comment)} characters, over the limit of {MAX_COMMENT}: shorten it"
        )
    return rating, comment.strip()


class FeedbackStore:
    """The ratings file. Cheap to construct; the table is created on first use."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10)
        except (OSError, sqlite3.Error) as e:
            raise ConfigError(
                f"cannot open the feedback file {self.path} ({e}): set RAG_FEEDBACK_PATH"
            ) from None
        with closing(conn):
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)
            with conn:  # one transaction, committed on exit
                yield conn

    def add(
        self,
        rating: str,
        answer: Answer,
        fingerprint: dict[str, Any],
        comment: str = "",
        channel: str = "api",
    ) -> int:
        """Store one rating of ``answer``; returns its id."""
        rating, comment = check_rating(rating, comment)
        fp = json.dumps(fingerprint, sort_keys=True)
        with self._db() as db:
            cur = db.execute(
                "INSERT INTO feedback (created, rating, comment, question, rewritten_question, answer, abstained,"
                " citations, fingerprint, fingerprint_sha, channel) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    rating,
                    comment,
                    answer.question,
                    answer.rewritten_question,
                    answer.answer,
                    int(answer.abstained),
                    json.dumps([c.to_json() for c in answer.citations], ensure_ascii=False),
                    fp,
                    hashlib.sha256(fp.encode()).hexdigest()[:16],
                    channel,
                ),
            )
            return int(cur.lastrowid or 0)

    def set_comment(self, feedback_id: int, comment: str) -> None:
        """Add or replace the comment of a stored rating."""
        _, comment = check_rating("up", comment)
        with self._db() as db:
            if (
                db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment, feedback_id)).rowcount
                != 1
            ):
                raise BadQuestionError(f"no feedback with id {feedback_id}")

    def rows(self) -> list[dict[str, Any]]:
        """Every rating, oldest first, as JSON-ready dicts."""
        if not self.path.exists():
            return []
        with self._db() as db:
            db.row_factory = sqlite3.Row
            out = []
            for r in db.execute("SELECT * FROM feedback ORDER BY id"):
                d = dict(r)
                d["abstained"] = bool(d["abstained"])
                d["citations"] = json.loads(d["citations"])
                d["fingerprint"] = json.loads(d["fingerprint"])
                out.append(d)
            return out


def as_question(row: dict[str, Any]) -> dict[str, Any]:
    """A rating as a draft labelled question (``eval/questions.jsonl`` shape) to review before use.

    The standalone question is used (a follow-up's rewrite), so it can be asked alone. Up: the
    answer was right, so its answering quotes are the evidence (or, for a refusal, the question is
    unanswerable). Down: the opposite guess, marked ``needs_review``: a refusal should have been an
    answer (evidence to fill in), an answer should have been a refusal or another quote.
    """
    answering = [c for c in row["citations"] if c["role"] == "answer"]
    up = row["rating"] == "up"
    answerable = not row["abstained"] if up else bool(row["abstained"])
    keep = up and answerable
    return {
        "id": f"fb{row['id']:05d}",
        "question": row["rewritten_question"] or row["question"],
        "answerable": answerable,
        "expect": [[answering[0]["quote"]]] if keep and answering else [],
        "sources": sorted({c["article_id"] for c in answering}) if keep else [],
        "evidence": [c["quote"] for c in answering] if keep else [],
        "kind": f"feedback_{row['rating']}",
        "needs_review": not up,
        "comment": row["comment"],
        "answer_given": row["answer"],
        "fingerprint_sha": row["fingerprint_sha"],
    }


def export_lines(store: FeedbackStore, as_questions: bool = False) -> Iterator[str]:
    """JSONL lines: every stored rating, or each as a draft labelled question."""
    for row in store.rows():
        yield json.dumps(as_question(row) if as_questions else row, ensure_ascii=False)
