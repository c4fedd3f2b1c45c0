"""Shared fixtures. Unit tests use tiny data and the FakeHashEmbedder; integration tests use
the real MiniLM model, a real embedded Chroma, and real servers on loopback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.config import set_offline_env

set_offline_env()
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def minilm():
    """The product's embedder: bundled MiniLM as the int8 ONNX graph (built on first use)."""
    from rag.config import load_settings
    from rag.index.embed import make_embedder

    s = load_settings()
    return make_embedder(s.embedder, s.model_dir)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory, minilm):
    """A real pipeline (MiniLM + embedded Chroma) with seeds/ indexed, shared by read-only tests."""
    from rag.config import load_settings
    from rag.pipeline import build_pipeline

    data = tmp_path_factory.mktemp("seeded")
    pipe = build_pipeline(load_settings(data_dir=data), embedder=minilm)
    report = pipe.ingest([SEEDS])
    assert not report.failed
    return pipe


@pytest.fixture
def fake_pipeline(tmp_path):
    """A pipeline over a real embedded Chroma with the FAKE hash embedder (fast, no model)."""
    from rag.config import load_settings
    from rag.index.embed import FakeHashEmbedder
    from rag.pipeline import build_pipeline

    return build_pipeline(load_settings(data_dir=tmp_path / "data"), embedder=FakeHashEmbedder())


def run_rag(*args: str, env: dict[str, str] | None = None, timeout: float = 600):
    """Run the real `rag` CLI in a subprocess; RAG_CHROMA_URL is cleared unless ``env`` sets it."""
    import subprocess
    import sys

    full = {k: v for k, v in os.environ.items() if k != "RAG_CHROMA_URL"}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "rag.serve.cli", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write_article(folder: Path, name: str, body: str, date: str = "2025-09-04") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(f" date {date} {body}", encoding="utf-8")
    return p


HOSTILE_TEXT = (
    "The city council met on Tuesday to approve the bridge plan. "
    "Officials posted <img src=http://127.0.0.1:9999/beacon-html.png> a chart "
    "![chart](http://127.0.0.1:9999/beacon-md.png) on [the city portal](http://127.0.0.1:9999/phish) "
    "and called it **bold** _x_ planning: <script>alert(1)</script> budget was 40 million dollars for the bridge. "
    "Work is due to start in the spring."
)


@pytest.fixture(scope="session")
def hostile(tmp_path_factory, minilm):
    """A real pipeline over one article whose text is HTML, Markdown and script (issue 15)."""
    from rag.config import load_settings
    from rag.pipeline import build_pipeline

    root = tmp_path_factory.mktemp("hostile")
    write_article(root / "src", "hostile.txt", HOSTILE_TEXT, "2025-09-10")
    pipe = build_pipeline(load_settings(data_dir=root / "data"), embedder=minilm)
    report = pipe.ingest([root / "src"])
    assert not report.failed
    return pipe


def consistent_counts(store) -> tuple[int, int]:
    """(articles, chunks) of an index, after checking that its lexical index and passage vectors
    hold exactly what the archive commits (nothing stray, nothing missing, no journal left)."""
    from rag.index.repair import diagnose

    found = diagnose(store)
    assert found.ok, found.describe()
    return store.counts()


def index_state(data: Path):
    """What a clean index is: committed articles (digest, chunk count), every passage vector's id
    and the sentence count of the lexical index, each matching the committed archive."""
    from rag.config import load_settings
    from rag.index.client import forget_embedded
    from rag.index.embed import embedder_name
    from rag.index.store import ArchiveStore

    forget_embedded(data)
    store = ArchiveStore(data, embedder_name=embedder_name(load_settings().embedder))
    counts = consistent_counts(store)
    infos = {a.article_id: (a.digest, a.chunks) for a in store.list_articles()}
    passages = sorted(
        (row.info.article_id, pid.split(":")[1])
        for pid, vid in store.vectors.rows()
        for row in store.rows_by_vid([vid]).values()
    )
    forget_embedded(data)  # the next reader in this process opens the folder afresh
    return counts, infos, passages
