"""The decision-ready eval report: question and configuration diffs (pure), files and charts."""

import json

import pytest

from rag.evaluation.diff import changed_questions, config_diff, flatten, regressions, reliability
from rag.evaluation.gate import compare
from rag.evaluation.report import write_report


def test_flatten_and_config_diff_name_each_changed_setting():
    assert flatten({"a": {"b": 1, "c": {}}, "d": 2}) == {"a.b": 1, "a.c": {}, "d": 2}
    base = {
        "prompts": {"answer.md": "a1"},
        "embedder": "minilm-int8",
        "answerer": {"w_dense": 0.5, "model": {"sha256": "x"}},
        "llm_model": None,
    }
    now = {
        "prompts": {"answer.md": "b2"},
        "embedder": "minilm-int8",
        "answerer": {"w_dense": 0.6, "model": {"sha256": "y"}, "new_knob": 1},
        "llm_model": None,
    }
    assert config_diff(base, now) == [
        ("answerer.model.sha256", "x", "y"),
        ("answerer.new_knob", "(not recorded)", 1),
        ("answerer.w_dense", 0.5, 0.6),
        ("prompts.answer.md", "a1", "b2"),
    ]
    assert config_diff(base, base) == []


def _rec(qid, correct, abstained, answer, conf=0.5, kind="fact"):
    return {"id": qid, "question": f"Q {qid}?", "kind": kind, "correct": correct, "abstained": abstained,
            "answer": answer, "confidence": conf, "latency_ms": 5.0}  # fmt: skip


BASE_Q = {
    "q1": {"correct": True, "abstained": False, "answer": "A1", "confidence": 0.9},
    "q2": {"correct": False, "abstained": True, "answer": "The articles don't say.", "confidence": 0.1},
    "q3": {"correct": True, "abstained": False, "answer": "A3", "confidence": 0.8},
    "q4": {"correct": True, "abstained": False},  # an old baseline: no answer recorded
}
RECORDS = [
    _rec("q1", False, True, "The articles don't say."),  # newly wrong and abstained
    _rec("q2", True, False, "A2"),  # newly right and answered
    _rec("q3", True, False, "A3 reworded"),  # same outcome, other answer
    _rec("q4", True, False, "A4"),  # unknown old answer: unchanged outcome is not a change
    _rec("q5", True, False, "A5"),  # not in the baseline
]


def test_changed_questions_show_both_answers_and_the_kind_of_change():
    out = changed_questions(BASE_Q, RECORDS, {"q1": [["26", "twenty-six"]]})
    assert [c["id"] for c in out] == ["q1", "q2", "q3"]  # regressions first
    q1 = out[0]
    assert q1["changes"] == ["newly_wrong", "newly_abstained", "answer_changed"]
    assert q1["question"] == "Q q1?" and q1["expect"] == [["26", "twenty-six"]]
    assert q1["baseline"]["answer"] == "A1" and q1["now"]["answer"] == "The articles don't say."
    assert out[1]["changes"] == ["newly_right", "newly_answered", "answer_changed"]
    assert out[2]["changes"] == ["answer_changed"]


def test_regressions_are_metrics_below_their_floor():
    deltas = {"mrr": (0.8, 0.7, -0.1), "answer_correct": (0.88, 0.88, 0.0), "latency_p50_ms": (5, 9, 4)}
    assert regressions(deltas, {"mrr": 0.05, "answer_correct": 0.0}) == {"mrr": pytest.approx(0.75)}


def test_reliability_bins_by_confidence():
    assert reliability([0.1, 0.15, 0.9], [False, True, True], bins=2) == [
        (pytest.approx(0.125), 0.5, 2),
        (0.9, 1.0, 1),
    ]
    assert reliability([1.5, -1], [True, False], bins=10) == [(0.0, 0.0, 1), (1.0, 1.0, 1)]


def test_report_files_hold_the_charts_the_changes_and_escape_answers(tmp_path):
    base = {
        "summary": {"answer_correct": 0.9, "abstain_accuracy": 0.9, "mrr": 0.8, "latency_p50_ms": 4.0},
        "questions": BASE_Q,
        "fingerprint": {"prompts": {"answer.md": "a1"}, "embedder": "e1"},
    }
    hostile = "<script>alert(1)</script> ```x```"
    records = [*RECORDS[:2], _rec("q3", True, False, hostile, kind="other"), *RECORDS[3:]]
    summary = {"answer_correct": 0.5, "abstain_accuracy": 0.9, "mrr": 0.8, "retrieval_hit_at_k": 1.0,
               "citation_verbatim": 1.0, "citation_precision": 0.7, "latency_p50_ms": 5.0}  # fmt: skip
    current = {"summary": summary, "questions": {r["id"]: r for r in records}}
    tol = {"answer_correct": 0.0, "mrr": 0.05}
    gate = compare(base, current, tol)
    fp = {"prompts": {"answer.md": "b2"}, "embedder": "e1"}
    write_report(tmp_path, summary, records, fp, gate, base, {"q1": (("26",),)}, tol)
    for name in ("report.md", "report.html", "changes.json", "metrics.png", "calibration.png", "kinds.png",
                 "latency.png"):  # fmt: skip
        assert (tmp_path / name).stat().st_size > 0, name
    for png in ("metrics.png", "calibration.png", "kinds.png", "latency.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (tmp_path / "report.md").read_text()
    assert "GATE FAILED" in md and "answer_correct dropped" in md
    assert "| prompts.answer.md | &quot;a1&quot; | &quot;b2&quot; |" in md
    assert "### q1: newly wrong, newly abstained, answer changed" in md
    assert "“26”" in md and "A1" in md and "![" in md and "metrics.png" in md
    page = (tmp_path / "report.html").read_text()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert f"````text\n{hostile}\n````" in md  # fenced longer than the answer's own backticks
    assert "<img src='calibration.png'" in page and "q1: newly wrong" in page
    changes = json.loads((tmp_path / "changes.json").read_text())
    assert changes["config"] == [["prompts.answer.md", "a1", "b2"]]
    assert changes["regressions"] == {"answer_correct": 0.9}


def test_report_without_a_baseline_still_has_its_charts(tmp_path):
    summary = {"answer_correct": 0.5, "abstain_accuracy": 0.9, "mrr": 0.8, "latency_p50_ms": 5.0}
    write_report(tmp_path, summary, RECORDS, {"embedder": "e1"}, None, None, {}, {})
    assert "no baseline" in (tmp_path / "report.md").read_text()
    assert (tmp_path / "metrics.png").exists() and (tmp_path / "calibration.png").exists()
