"""Server mode: the same code against a real `chroma run` on a loopback port."""

import pytest

from rag.config import load_settings
from rag.errors import ConfigError
from rag.pipeline import build_pipeline
from tests.servers import chroma_server

pytestmark = pytest.mark.integration


def test_server_mode_end_to_end(tmp_path, minilm, seeds_dir):
    with chroma_server(tmp_path / "chroma") as url:
        settings = load_settings(chroma_url=url, data_dir=tmp_path / "archive")
        pipe = build_pipeline(settings, embedder=minilm)
        r = pipe.ingest([seeds_dir])
        assert len(r.added) == 3
        assert pipe.store.counts()[0] == 3
        ans = pipe.ask("What did Trump rule out on Aug. 18?")
        assert not ans.abstained and "ground" in ans.answer
        for c in ans.citations:
            assert pipe.store.get_article(c.article_id).text[c.start : c.end] == c.quote
        # a second client sharing the archive folder (as another process would) sees the same index
        other = build_pipeline(settings, embedder=minilm)
        assert other.ask("How many countries are ready to send troops?").citations
        assert len(pipe.ingest([seeds_dir]).unchanged) == 3
        # a client with another archive folder is refused: the collection belongs to the first
        stranger = build_pipeline(
            load_settings(chroma_url=url, data_dir=tmp_path / "elsewhere"), embedder=minilm
        )
        with pytest.raises(ConfigError, match=r"belongs to another archive.*same RAG_DATA_DIR"):
            stranger.ask("How many countries are ready to send troops?")


def test_unreachable_server_is_a_clear_error(tmp_path):
    from rag.errors import StoreUnavailableError
    from tests.servers import free_port

    pipe = build_pipeline(load_settings(chroma_url=f"http://127.0.0.1:{free_port()}", data_dir=tmp_path))
    with pytest.raises(StoreUnavailableError, match=r"127\.0\.0\.1"):
        pipe.store.vectors.count()
