"""Ratings through ``POST /v1/feedback`` on a real ``rag serve`` process, kept across a restart and
exported by ``rag feedback export`` as JSONL that ``rag eval --questions`` runs (issue 17)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from rag.evaluation.questions import load_questions
from tests.conftest import ROOT, SEEDS, run_rag
from tests.servers import free_port, stop, wait_http

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def rag_serve(env: dict[str, str], log: Path):
    port = free_port()
    with log.open("a") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag.serve.cli", "serve", "--no-ui", "--port", str(port)],
            cwd=ROOT,
            env={**{k: v for k, v in os.environ.items() if k != "RAG_CHROMA_URL"}, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", timeout=120, proc=proc)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                yield client
        finally:
            stop(proc)


def test_thumbs_down_survives_a_restart_and_exports_as_questions(tmp_path):
    env = {"RAG_DATA_DIR": str(tmp_path / "data")}
    assert run_rag("ingest", str(SEEDS), env=env).returncode == 0
    log = tmp_path / "serve.log"
    with rag_serve(env, log) as c:
        first = c.post("/v1/answer", json={"question": "What did Trump rule out on Aug. 18?"}).json()
        follow = c.post(
            "/v1/answer",
            json={
                "question": "What did he offer instead?",
                "history": [{"question": first["question"], "answer": first["answer"]}],
            },
        ).json()
        r = c.post(
            "/v1/feedback",
            json={"rating": "down", "comment": "wanted only the air support", "answer": follow},
        )
        assert r.status_code == 201, r.text
        down_id = r.json()["id"]
        tampered = {**first, "citations": [{**first["citations"][0], "quote": "Trump ruled out nothing."}]}
        r = c.post("/v1/feedback", json={"rating": "up", "answer": tampered})
        assert r.status_code == 400 and "answer.citations.0" in r.json()["error"]["message"]
        r = c.post("/v1/feedback", json={"rating": "meh", "answer": first})
        assert r.status_code == 422 and "rating" in r.json()["error"]["message"]
    with rag_serve(env, log) as c:  # a new process on the same data folder
        assert c.post("/v1/feedback", json={"rating": "up", "answer": first}).status_code == 201

    out = tmp_path / "feedback.jsonl"
    done = run_rag("feedback", "export", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["rating"] for r in rows] == ["down", "up"] and rows[0]["id"] == down_id
    down = rows[0]
    assert (
        down["comment"] == "wanted only the air support" and down["question"] == "What did he offer instead?"
    )
    assert down["rewritten_question"].startswith("What did Trump offer instead of")
    assert down["citations"] == follow["citations"] and down["answer"] == follow["answer"]
    assert down["fingerprint"]["answerer"]["mode"] == "extractive" and len(down["fingerprint_sha"]) == 16

    qfile = tmp_path / "questions.jsonl"
    assert run_rag("feedback", "export", "--as-questions", "--out", str(qfile), env=env).returncode == 0
    qs = load_questions(qfile)
    assert [q.kind for q in qs] == ["feedback_down", "feedback_up"]
    assert qs[0].question == down["rewritten_question"] and qs[1].evidence  # the up-voted quotes are evidence
    ran = run_rag("eval", "--quiet", "--questions", str(qfile), "--out", str(tmp_path / "eval"), env=env)
    assert ran.returncode == 0, ran.stderr
    records = [json.loads(line) for line in (tmp_path / "eval" / "questions.jsonl").read_text().splitlines()]
    assert records[1]["id"] == "fb00002" and records[1]["correct"]  # the up-voted answer is given again
