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


def test_standin_embedder_is_normalised_and_word_shaped():
    from bench.standin import StandInEmbedder
    from rag.index.embed import FakeHashEmbedder

    real = FakeHashEmbedder(dim=32)
    emb = StandInEmbedder(real)
    assert (emb.name, emb.dim) == (real.name, 32)  # opens an index the real embedder would
    v = emb.embed_documents(["Kyiv grain talks resumed", "grain talks in Kyiv", "Budget of Oslo rail"])
    assert v.shape == (3, 32) and abs(float(v[0] @ v[0]) - 1) < 1e-5
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])  # sentences sharing words are nearer
    assert (emb.embed_query("grain") == real.embed_query("grain")).all()  # questions: the real one


def test_archive_bench_small(tmp_path, minilm, monkeypatch):
    """A 30-article archive run, its first 20 articles with stand-in vectors: every figure is
    recorded (not judged) and the reports are written."""
    from bench import archive

    monkeypatch.setattr(archive, "HTTP_QUESTIONS", 5)
    monkeypatch.setattr(archive, "REPEATED", 3)
    monkeypatch.setattr(archive, "INPROCESS_QUESTIONS", 5)
    monkeypatch.setattr(archive, "EMBED_SAMPLE", 64)
    row = archive.bench_size(30, tmp_path / "work", tmp_path, None, standin_until=20)
    assert row["standin_articles"] == 20 and row["ingest_runs"] == 1
    assert 0 < row["ingested_chunks"] < row["chunks"]  # the last 10 articles, by the real `rag ingest`
    assert row["reingest_fraction_estimated"] and row["reingest_fraction"] > 0
    assert row["serve_api"]["spawn_to_healthz_s"] > 0 and row["serve_chat"]["questions"] == 8
    assert row["in_process"]["first_p50_ms"] > 0
    archive.write_reports({"sizes": {"30": row}}, tmp_path)
    assert "| 30 |" in (tmp_path / "archive.md").read_text()
    assert "stand-in" in (tmp_path / "archive.md").read_text()
