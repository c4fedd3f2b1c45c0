"""The evaluation suite and its regression gate."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from rag.evaluation.gate import compare, flips, render_table
from rag.index.embed import ONNX_NAME
from tests.conftest import ROOT

BASELINE = ROOT / "eval" / "baseline.json"


def run(summary, questions):
    return {"summary": summary, "questions": questions}


def test_flips_hand_computed():
    b = {
        "q1": {"correct": True, "abstained": False},
        "q2": {"correct": False, "abstained": True},
        "q3": {"correct": True, "abstained": False},
    }
    c = {
        "q1": {"correct": False, "abstained": True},
        "q2": {"correct": True, "abstained": False},
        "q4": {"correct": True, "abstained": False},
    }
    f = flips(b, c)
    assert f["newly_wrong"] == ["q1"] and f["newly_right"] == ["q2"]
    assert f["newly_abstained"] == ["q1"] and f["newly_answered"] == ["q2"]
    assert f["new"] == ["q4"] and f["removed"] == ["q3"]


def test_compare_tolerances_and_flips():
    q = {"q1": {"correct": True, "abstained": False}}
    base = run({"answer_correct": 0.9, "mrr": 0.8, "latency_p50_ms": 10.0}, q)
    ok = compare(
        base,
        run({"answer_correct": 0.9, "mrr": 0.76, "latency_p50_ms": 99.0}, q),
        {"answer_correct": 0.0, "mrr": 0.05},
    )
    assert ok.passed and ok.deltas["mrr"][2] == pytest.approx(-0.04)
    bad = compare(base, run({"answer_correct": 0.85, "mrr": 0.8}, q), {"answer_correct": 0.0})
    assert not bad.passed and "answer_correct dropped from 0.900 to 0.850" in bad.failures[0]
    broke = compare(base, run({"answer_correct": 0.9}, {"q1": {"correct": False, "abstained": True}}), {})
    assert not broke.passed and "q1" in broke.failures[0]
    assert "GATE FAILED" in render_table(broke) and "newly wrong (1): q1" in render_table(broke)
    assert compare(
        base,
        run({"answer_correct": 0.9}, {"q1": {"correct": False, "abstained": True}}),
        {},
        fail_on_newly_wrong=False,
    ).passed


def test_questions_file_shape():
    from rag.evaluation.questions import load_questions

    qs = load_questions(ROOT / "eval" / "questions.jsonl")
    assert len(qs) >= 60
    assert sum(not q.answerable for q in qs) >= 10
    kinds = {q.kind for q in qs}
    assert {"paraphrase", "date_anchored", "multi_source", "conflict", "near_miss"} <= kinds
    assert {s for q in qs for s in q.sources} == {p.stem for p in (ROOT / "seeds").glob("*.txt")}


def test_bad_questions_file_is_named(tmp_path):
    from rag.errors import RagError
    from rag.evaluation.questions import load_questions

    p = tmp_path / "q.jsonl"
    p.write_text('{"id": "a", "question": "x"}\n')
    with pytest.raises(RagError, match=r"q\.jsonl:1: missing field"):
        load_questions(p)


@pytest.mark.integration
def test_gate_passes_on_full_index(seeded):
    from rag.evaluation.questions import load_questions
    from rag.evaluation.run import fingerprint, gate_settings, gated_view, run_eval

    qpath = ROOT / "eval" / "questions.jsonl"
    records, summary = run_eval(seeded, load_questions(qpath), with_ragas=True)
    assert summary["citation_verbatim"] == 1.0
    assert set(summary["ragas"]) >= {"id_based_context_recall", "string_present", "rouge_score"}
    tol, fail_flips = gate_settings()
    baseline = json.loads(BASELINE.read_text())
    result = compare(
        baseline, gated_view(baseline, summary, records, fingerprint(seeded, qpath)), tol, fail_flips
    )
    assert result.passed, render_table(result)


@pytest.mark.integration
def test_gate_fails_and_names_flips_with_an_article_missing(tmp_path, seeds_dir):
    """Index only two of the three articles: the CLI gate must fail and name the broken questions."""
    src = tmp_path / "two"
    src.mkdir()
    for p in sorted(seeds_dir.glob("*.txt"))[:2]:
        shutil.copy(p, src / p.name)
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "data"), "RAG_SEEDS_DIR": str(src)}
    out = tmp_path / "out"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "rag.serve.cli",
            "eval",
            "--quiet",
            "--baseline",
            str(BASELINE),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "GATE FAILED" in r.stdout and "newly wrong" in r.stdout
    missing = sorted(seeds_dir.glob("*.txt"))[2].stem
    base = json.loads(BASELINE.read_text())["questions"]
    qs = [json.loads(x) for x in (ROOT / "eval" / "questions.jsonl").read_text().splitlines()]
    lost = [q["id"] for q in qs if q["sources"] == [missing] and base.get(q["id"], {}).get("correct")]
    assert lost and all(qid in r.stdout for qid in lost)
    for name in ("summary.json", "questions.jsonl", "report.md", "report.html", "changes.json"):
        assert (out / name).exists()
    for png in ("metrics.png", "calibration.png", "kinds.png", "latency.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    # the report names each lost question with its text and both answers
    report = (out / "report.md").read_text()
    assert "GATE FAILED" in report and all(f"### {qid}: newly wrong" in report for qid in lost)
    changes = json.loads((out / "changes.json").read_text())
    assert {c["id"] for c in changes["questions"]} >= set(lost)
    assert all(c["baseline"]["answer"] != "(not recorded)" for c in changes["questions"])
    assert ["corpus.articles", 3, 2] in changes["config"]  # the fingerprint names the smaller index
    summary = json.loads((out / "summary.json").read_text())
    assert {
        "answer_correct",
        "abstain_accuracy",
        "false_refusal_rate",
        "mrr",
        "citation_verbatim",
        "ragas",
        "fingerprint",
    } <= set(summary)
    assert summary["fingerprint"]["embedder"] == ONNX_NAME


def _rec(qid, correct, answerable=True, abstained=False):
    return {
        "id": qid, "answerable": answerable, "correct": correct, "abstained": abstained, "answer": "",
        "confidence": 0.5, "citation_verbatim": [True], "citation_precise": [correct], "hit_at_k": 1.0,
        "rr": 1.0, "latency_ms": 1.0, "turn": 0,
    }  # fmt: skip


def test_new_questions_do_not_fail_the_gate_by_themselves():
    """Questions added since the baseline are listed as new, but the gated metrics are computed over
    the questions the baseline knows: a hard new question cannot fail the gate alone."""
    from rag.evaluation.questions import summarize
    from rag.evaluation.run import as_baseline, gated_view

    old = [_rec("q1", True), _rec("q2", True)]
    baseline = as_baseline(summarize(old), old, {})
    now = [*old, _rec("q3", False), _rec("q4", False, answerable=False)]
    whole = as_baseline(summarize(now), now, {})
    assert not compare(baseline, whole).passed  # the whole run's answer_correct dropped to 0.667
    view = gated_view(baseline, summarize(now), now, {})
    result = compare(baseline, view)
    assert result.passed, render_table(result)
    assert result.flips["new"] == ["q3", "q4"] and "not gated" in render_table(result)
    # ... but a known question that breaks still fails it
    broken = [_rec("q1", False), old[1], now[2]]
    assert not compare(baseline, gated_view(baseline, summarize(broken), broken, {})).passed
    # with no new question the view is the run itself
    assert gated_view(baseline, summarize(old), old, {}) == baseline
