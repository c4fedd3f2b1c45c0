"""Keeps the benchmark and soak code from rotting: a seeds-sized run, no timing assertions."""

import json

import pytest

pytestmark = pytest.mark.integration


def test_bench_smoke(tmp_path, minilm, monkeypatch):
    from bench import run as bench

    monkeypatch.setattr(bench, "QUESTIONS_PER_SIZE", 5)
    monkeypatch.setattr(bench, "ROUNDS", 1)
    results = bench.run_bench([3], tmp_path, http=True, anchor=True)
    bench.write(results, tmp_path)
    row = results["sizes"]["3"]
    assert row["ours"]["articles"] == 3 and row["anchor"]["articles"] == 3
    assert row["ours"]["answer_p50_ms"] > 0 and row["anchor"]["retrieve_p50_ms"] > 0
    assert row["ours"]["http_answer_p50_ms"] > 0 and row["ours"]["serve_to_healthz_s"] > 0
    assert set(row["ratios"]) >= {"answer_p50_vs_anchor_retrieve_p50", "ingest_articles_per_s_vs_anchor"}
    assert results["cold_start"]["help_s"] > 0
    assert json.loads((tmp_path / "results.json").read_text())["sizes"]["3"]
    assert "| 3 |" in (tmp_path / "results.md").read_text()
    assert (tmp_path / "growth.svg").read_text().startswith("<svg")


def test_synthetic_corpus_is_deterministic(tmp_path):
    from bench.synth import write_corpus
    from rag.index.loader import load_file
    from rag.text import sentence_spans

    a = write_corpus(tmp_path / "a", 20, seed=5)
    b = write_corpus(tmp_path / "b", 20, seed=5)
    for p in sorted(a.glob("*.txt")):
        assert p.read_bytes() == (b / p.name).read_bytes()
        art = load_file(p)
        assert 15 <= len(sentence_spans(art.text)) <= 40


def test_soak_short(seeded, tmp_path):
    from bench.soak import main
    from rag.config import load_settings
    from rag.serve.api import create_app
    from tests.servers import ThreadServer

    app = create_app(load_settings(data_dir=seeded.settings.data_dir), pipeline=seeded, with_ui=False)
    with ThreadServer(app) as s:
        code = main(
            [
                "--url",
                s.url,
                "--duration",
                "3",
                "--clients",
                "4",
                "--max-requests",
                "50",
                "--out",
                str(tmp_path / "soak.json"),
            ]
        )
    report = json.loads((tmp_path / "soak.json").read_text())
    assert code == 0 and report["errors"] == 0 and report["requests"] > 0
