"""The CLI contract, through real subprocesses (other checks depend on it exactly)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_rag, write_article

pytestmark = pytest.mark.integration


def rag(*args, data):
    return run_rag(*args, env={"RAG_DATA_DIR": str(data)}, timeout=300)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    r = rag("ingest", "--quiet", data=d)
    assert r.returncode == 0, r.stderr
    assert "3 added" in r.stdout
    return d


def test_help_is_fast_and_light():
    code = "import sys, rag.serve.cli; rag.serve.cli._parser(); print('torch' in sys.modules, 'chromadb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
    r = subprocess.run(
        [sys.executable, "-m", "rag.serve.cli", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert r.returncode == 0 and "ingest" in r.stdout and "ask" in r.stdout


def test_ask_json_contract(data):
    r = rag("ask", "--json", "What did Trump rule out on Aug. 18?", "What did Angela Merkel say?", data=data)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(lines) == 2
    first, second = lines
    assert set(first) >= {"question", "answer", "abstained", "citations"}
    assert first["abstained"] is False and first["citations"]
    for c in first["citations"]:
        assert set(c) >= {"article_id", "published", "quote", "start", "end"}
        shown = json.loads(rag("show", c["article_id"], "--json", data=data).stdout)
        assert shown["text"][c["start"] : c["end"]] == c["quote"]
        assert shown["published"] == c["published"]
    assert second["abstained"] is True and second["citations"] == []


def test_ask_human_readable(data):
    r = rag("ask", "How many countries are ready to send troops?", data=data)
    assert r.returncode == 0
    assert "26 countries" in r.stdout and "[1]" in r.stdout and "2025-09-0" in r.stdout


def test_status_and_show(data):
    st = json.loads(rag("status", "--json", data=data).stdout)
    assert st["articles"] == 3 and st["chunks"] > 10
    shown = json.loads(rag("show", "000_ae23ea00b4c5bd97", "--json", data=data).stdout)
    assert set(shown) == {"article_id", "published", "text"} and shown["published"] == "2025-09-04"
    r = rag("show", "nope", data=data)
    assert r.returncode == 2 and "no article 'nope'" in r.stderr


def test_bad_input_messages(data):
    r = rag("ask", "   ", data=data)
    assert r.returncode == 2 and "question is empty" in r.stderr
    r = rag("ask", "--from", "yesterday", "Trump?", data=data)
    assert r.returncode == 2 and "YYYY-MM-DD" in r.stderr
    # a false-refusal bound the model file keeps no levels for is named with the ones it has
    r = run_rag("ask", "Trump?", env={"RAG_DATA_DIR": str(data), "RAG_MAX_FALSE_REFUSAL": "0.07"})
    assert r.returncode == 2 and "RAG_MAX_FALSE_REFUSAL=0.07" in r.stderr and "0.06, 0.08" in r.stderr
    r = run_rag("ask", "--json", "What did Trump rule out on Aug. 18?",
                env={"RAG_DATA_DIR": str(data), "RAG_MAX_FALSE_REFUSAL": "0.06"})  # fmt: skip
    assert r.returncode == 0 and "ground forces" in json.loads(r.stdout)["answer"]


def test_ingest_reports_bad_files_and_exit_code(tmp_path):
    src = tmp_path / "src"
    write_article(src, "good.txt", "Trump spoke by phone with leaders today.")
    (src / "nodate.txt").write_text("Just text.")
    (src / "latin.txt").write_bytes(" date 2025-09-04 caf\xe9".encode("latin-1"))
    r = rag("ingest", str(src), "--json", data=tmp_path / "d")
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["added"] == 1
    reasons = {Path(f["path"]).name: f["reason"] for f in out["failed"]}
    assert "date" in reasons["nodate.txt"] and "UTF-8" in reasons["latin.txt"]
    st = json.loads(rag("status", "--json", data=tmp_path / "d").stdout)
    assert st["articles"] == 1


def test_ask_on_empty_index_says_what_to_do(tmp_path):
    r = rag("ask", "Anything?", data=tmp_path / "empty")
    assert r.returncode == 1 and "rag ingest" in r.stderr


def test_bad_config_is_named(tmp_path):
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path), "RAG_CHROMA_URL": "ftp://x"}
    r = subprocess.run(
        [sys.executable, "-m", "rag.serve.cli", "status"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert r.returncode == 2 and "RAG_CHROMA_URL" in r.stderr


def test_an_index_from_another_embedder_is_refused_then_rebuilt_by_ingest(tmp_path):
    """What `make run` meets after an upgrade: serving refuses with the fix, `rag ingest` applies it."""
    d = tmp_path / "d"
    r = run_rag("ingest", "--quiet", env={"RAG_DATA_DIR": str(d), "RAG_EMBEDDER": "torch"})
    assert r.returncode == 0, r.stderr
    st = json.loads(rag("status", "--json", data=d).stdout)
    assert "embedder 'all-MiniLM-L6-v2'" in st["needs_reindex"]
    r = rag("ask", "What did Trump rule out on Aug. 18?", data=d)
    assert r.returncode == 2 and "run `rag ingest` to re-index it" in r.stderr
    src = tmp_path / "src"
    write_article(src, "extra.txt", "Zelensky thanked the coalition on Thursday.", "2025-09-06")
    r = rag("ingest", str(src), "--json", data=d)
    assert r.returncode == 0 and "re-indexing it with this setup" in r.stderr
    assert json.loads(r.stdout)["added"] == 4  # 3 carried over + the new one
    st = json.loads(rag("status", "--json", data=d).stdout)
    assert st["needs_reindex"] is None and st["articles"] == 4
    r = rag("ask", "What did Trump rule out on Aug. 18?", "--json", data=d)
    assert r.returncode == 0 and "ground" in json.loads(r.stdout)["answer"]


def test_ask_shows_the_answer_span_in_json_and_text(data):
    q = "How many countries are ready to send troops or other support?"
    r = rag("ask", "--json", q, data=data)
    assert r.returncode == 0, r.stderr
    assert "26" in json.loads(r.stdout.splitlines()[0])["answer_span"]["text"]
    r = rag("ask", q, data=data)
    assert r.returncode == 0 and "26" in r.stdout.split("Answer: “")[1].split("”")[0]
