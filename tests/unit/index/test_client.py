"""Chroma server failures: which errors are a missed deadline, and what the caller is told."""

import httpx
import pytest

from rag.errors import ConfigError
from rag.index.chroma import ChromaPassages
from rag.index.client import is_timeout, server_failure

URL = "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    "exc",
    [httpx.ReadTimeout("timed out"), httpx.ConnectTimeout("x"), httpx.PoolTimeout("x"), TimeoutError()],
)
def test_timeouts_are_a_missed_deadline_naming_server_and_seconds(exc):
    assert is_timeout(exc)
    err = server_failure(exc, URL, 5.0, "query")
    assert err is not None
    assert str(err).startswith(f"Chroma server at {URL} did not answer within 5 s (query)")


def test_a_timeout_chromadb_rewrapped_is_still_a_timeout():
    try:
        try:
            raise httpx.ReadTimeout("timed out")
        except httpx.ReadTimeout as e:
            raise ValueError(str(e))  # noqa: B904 - what chromadb does
    except ValueError as wrapped:
        assert is_timeout(wrapped)
        assert "within 2.5 s" in str(server_failure(wrapped, URL, 2.5, "connect"))


def test_refused_is_unreachable_and_other_errors_are_not_ours():
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    assert not is_timeout(refused)
    assert "is unreachable (get)" in str(server_failure(refused, URL, 5.0, "get"))
    assert server_failure(KeyError("ids"), URL, 5.0, "get") is None


@pytest.mark.parametrize("timeout", [0, -1.0])
def test_store_refuses_a_deadline_that_is_not_positive(timeout):
    with pytest.raises(ConfigError, match="RAG_CHROMA_TIMEOUT"):
        ChromaPassages(url=URL, timeout=timeout)
