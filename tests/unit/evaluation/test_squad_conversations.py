"""The squad2-open conversation suite: the file, the right-sentence test, the figures, the CLI."""

import argparse
import datetime as dt
import json

import pytest

from rag.errors import RagError
from rag.evaluation.squad_conversations import (
    ConversationTurn,
    default_path,
    load_conversations,
    right_sentence,
    run_suite_cli,
    score,
)
from rag.types import Answer, Citation

D = dt.date(2020, 1, 1)


def _answer(article_id: str, quote: str, abstained: bool = False) -> Answer:
    cites = () if abstained else (Citation(article_id, D, quote, 0, len(quote)),)
    return Answer("q", quote, abstained, cites)


def test_the_shipped_file_loads_with_40_followups_of_varied_shapes_and_a_heldout_part():
    turns = load_conversations(default_path())
    follow = [t for t in turns if t.turn > 1]
    assert len(follow) >= 30
    assert len({t.shape for t in follow}) >= 8
    assert any(t.split == "heldout" for t in follow) and any(not t.answerable for t in follow)
    assert all(len(e) <= 60 for t in turns for e in t.expect)  # short strings, never the data itself


def test_bad_lines_are_named(tmp_path):
    p = tmp_path / "c.jsonl"
    line = {"conversation": "s1", "turn": 2, "question": "Why?", "answerable": True, "article_ids": ["a"],
            "expect": ["x"]}  # fmt: skip
    p.write_text(json.dumps(line) + "\n")
    with pytest.raises(RagError, match=r"c\.jsonl:1: conversation 's1' turn 2 should be 1"):
        load_conversations(p)
    p.write_text(json.dumps({**line, "turn": 1}) + "\n")
    with pytest.raises(RagError, match=r"unknown article id\(s\) a"):
        load_conversations(p, known_ids={"b"})
    p.write_text('{"conversation": "s1"}\n')
    with pytest.raises(RagError, match=r"c\.jsonl:1: not a conversation turn"):
        load_conversations(p)


def test_right_sentence_needs_the_article_and_the_string():
    t = ConversationTurn("s1", 2, "How long?", True, ("p10",), ("63 days",))
    assert right_sentence(t, _answer("p10", "It went on for 63  Days."))
    assert not right_sentence(t, _answer("p11", "It went on for 63 days."))
    assert not right_sentence(t, _answer("p10", "It was planned to last 48 hours."))
    assert not right_sentence(t, _answer("p10", "", abstained=True))
    u = ConversationTurn("s1", 2, "And Germany?", False, (), ())
    assert right_sentence(u, _answer("p10", "", abstained=True)) and not right_sentence(u, _answer("p1", "x"))


def test_score_counts_followups_and_the_heldout_part_apart():
    recs = [
        {"conversation": "a", "turn": 1, "split": "dev", "shape": "start", "right_sentence": False},
        {"conversation": "a", "turn": 2, "split": "dev", "shape": "pronoun", "right_sentence": True},
        {"conversation": "b", "turn": 1, "split": "heldout", "shape": "start", "right_sentence": True},
        {"conversation": "b", "turn": 2, "split": "heldout", "shape": "pronoun", "right_sentence": False},
    ]
    s = score(recs)
    assert s["followups"] == 2 and s["followup_right_sentence"] == 0.5
    assert s["followup_right_sentence_dev"] == 1.0 and s["followup_right_sentence_heldout"] == 0.0
    assert s["first_turn_right_sentence"] == 0.5 and s["by_shape"] == {"pronoun": {"n": 2, "right": 0.5}}


def test_suite_cli_exits_2_naming_the_folder_without_data(tmp_path, capsys):
    args = argparse.Namespace(data=tmp_path / "absent", questions=None, quiet=True, out=None)
    assert run_suite_cli(args) == 2
    assert "no SQuAD-style data" in capsys.readouterr().err
