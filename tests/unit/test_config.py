"""Settings: read once from RAG_* variables; a bad value is a ConfigError naming the variable."""

import pytest

from rag.config import Settings, load_settings
from rag.errors import ConfigError
from rag.types import TOP_K_MAX


def test_defaults(monkeypatch):
    for k in ("RAG_TOP_K", "RAG_CHROMA_URL", "RAG_CHROMA_TIMEOUT", "RAG_LLM_BASE_URL", "RAG_API_KEY"):
        monkeypatch.delenv(k, raising=False)
    s = load_settings()
    assert s.top_k == 30 and s.max_quotes == 3 and s.chroma_url is None and s.embedder == "onnx-int8"
    assert s.api_key is None and s.chroma_timeout == 5.0


def test_environment_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_TOP_K", "12")
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RAG_CHROMA_URL", " http://127.0.0.1:8000/ ")
    s = load_settings()
    assert s.top_k == 12 and s.data_dir == tmp_path and s.chroma_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("env", "value", "match"),
    [
        ("RAG_TOP_K", "0", "RAG_TOP_K"),
        ("RAG_TOP_K", str(TOP_K_MAX + 1), "RAG_TOP_K"),
        ("RAG_CHROMA_URL", "ftp://x", "RAG_CHROMA_URL.*not an http"),
        ("RAG_COLLECTION", "a", "RAG_COLLECTION"),
        ("RAG_EMBEDDER", "bert", "RAG_EMBEDDER"),
        ("RAG_PORT", "70000", "RAG_PORT"),
        ("RAG_CHROMA_TIMEOUT", "0", "RAG_CHROMA_TIMEOUT"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, env, value, match):
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=match):
        load_settings()


def test_secrets_are_not_shown(monkeypatch):
    monkeypatch.setenv("RAG_API_KEY", "s3cret-value")
    s = load_settings()
    assert "s3cret-value" not in repr(s) and "s3cret-value" not in str(s.model_dump())
    assert s.api_key is not None and s.api_key.get_secret_value() == "s3cret-value"


def test_overrides_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("RAG_TOP_K", "12")
    assert load_settings(top_k=7).top_k == 7
    assert isinstance(load_settings(), Settings)


def test_offline_env_limits_numpys_blas_threads_it_finds_loaded():
    """numpy is imported before the entry points call ``set_offline_env``: the limit is set on
    its loaded BLAS, not only in the environment (which OpenBLAS reads once, at load)."""
    import os

    import numpy as np  # noqa: F401  (loaded: its BLAS is what is limited)
    from threadpoolctl import threadpool_info

    from rag.config import set_offline_env

    set_offline_env()
    blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
    assert blas, "numpy's BLAS is not seen by threadpoolctl"
    assert {p["num_threads"] for p in blas} == {int(os.environ["OPENBLAS_NUM_THREADS"])}
