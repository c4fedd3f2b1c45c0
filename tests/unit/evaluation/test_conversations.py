"""Labelled follow-up conversations in the eval set (issue 17): loading, ordering, per-turn history."""

import json
from pathlib import Path

import pytest

from rag.errors import RagError
from rag.evaluation.questions import load_questions, summarize

ROOT = Path(__file__).resolve().parents[3]


def _line(qid: str, conv: str, turn: int) -> str:
    return json.dumps(
        {"id": qid, "question": "Why?", "answerable": True, "expect": [], "sources": [], "evidence": [],
         "conversation": conv, "turn": turn}
    )  # fmt: skip


def test_the_eval_set_has_15_conversations_of_2_to_4_turns():
    qs = [q for q in load_questions(ROOT / "eval" / "questions.jsonl") if q.conversation]
    convs: dict[str, list[int]] = {}
    for q in qs:
        convs.setdefault(q.conversation, []).append(q.turn)
    assert len(convs) >= 15
    assert all(2 <= len(t) <= 4 and t == list(range(1, len(t) + 1)) for t in convs.values()), convs
    assert any(not q.answerable for q in qs)  # a follow-up the articles do not answer must abstain


@pytest.mark.parametrize(("turns", "bad"), [((1, 3), "turn 3 should be 2"), ((2,), "turn 2 should be 1")])
def test_turns_out_of_order_are_named(tmp_path, turns, bad):
    p = tmp_path / "q.jsonl"
    p.write_text("\n".join(_line(f"q{i}", "c1", t) for i, t in enumerate(turns)) + "\n")
    with pytest.raises(RagError, match=rf"q\.jsonl:\d: conversation 'c1' {bad}"):
        load_questions(p)


def test_followup_correct_counts_only_later_turns():
    recs = [
        {"answerable": True, "correct": c, "abstained": False, "citation_verbatim": [], "citation_precise": [],
         "hit_at_k": 1.0, "rr": 1.0, "latency_ms": 1.0, "turn": t}
        for c, t in ((False, 1), (True, 2), (False, 3), (True, 0))
    ]  # fmt: skip
    assert summarize(recs)["followup_correct"] == 0.5
    assert "followup_correct" not in summarize(recs[3:])


def test_followup_right_sentence_and_the_heldout_share():
    recs = [
        {"answerable": True, "correct": True, "right_sentence": rs, "abstained": False, "citation_verbatim": [],
         "citation_precise": [], "hit_at_k": 1.0, "rr": 1.0, "latency_ms": 1.0, "turn": t, "split": sp}
        for rs, t, sp in ((False, 1, ""), (True, 2, ""), (False, 2, "heldout"), (True, 3, "heldout"))
    ]  # fmt: skip
    s = summarize(recs)
    assert s["followup_right_sentence"] == pytest.approx(2 / 3)
    assert s["followup_right_sentence_heldout"] == 0.5
