"""Opening a Chroma client: a server (``chroma run``) by URL, or an embedded folder.

Telemetry is always off. The caller turns any failure into a StoreUnavailableError.

A server client gets a deadline on every HTTP call. chromadb 1.5 builds its httpx sessions with
``timeout=None`` (no setting reaches them) and sends its first requests inside the client's
constructor, so a stopped-but-alive server hangs even the connect. ``_DeadlineClient`` sets the
deadline on each session just before its first request; ``session_timeouts`` lets a test check
that a chromadb upgrade has not moved these internals.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from rag.errors import StoreUnavailableError
from rag.index.failures import storage_failure
from rag.index.rows import looks_like_connection_error


def open_client(url: str | None, data_dir: Path | None, timeout: float = 5.0, fresh: bool = False) -> Any:
    """A Chroma client for ``url`` (a server, every call bounded by ``timeout`` seconds) or else
    ``data_dir`` (embedded, created if missing). ``fresh``: a new embedded instance that reads
    the folder as it is now (see ``forget_embedded``)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    if url:
        u = urlparse(url)
        # The settings chromadb.HttpClient would make, given to our client class instead of its own.
        server = ChromaSettings(
            anonymized_telemetry=False,
            chroma_api_impl="chromadb.api.fastapi.FastAPI",
            chroma_server_host=u.hostname or "127.0.0.1",
            chroma_server_http_port=u.port or (443 if u.scheme == "https" else 8000),
            chroma_server_ssl_enabled=u.scheme == "https",
        )
        return _deadline_client_class()(timeout, settings=server)
    if data_dir is None:
        raise ValueError("open_client needs a url or a data_dir")
    data_dir.mkdir(parents=True, exist_ok=True)
    if fresh:
        forget_embedded(data_dir)
    return chromadb.PersistentClient(path=str(data_dir), settings=ChromaSettings(anonymized_telemetry=False))


def forget_embedded(data_dir: Path) -> None:
    """Make the next ``PersistentClient(data_dir)`` a new instance that loads the folder afresh.

    chromadb caches one embedded instance per path for the process (``SharedSystemClient``), and
    that instance keeps its HNSW vectors in memory as they were when first read: writes by another
    process reach its SQLite rows but not its vectors (a query filtered on metadata then fails with
    "Error finding id"). Dropping the cached instance, without stopping it, lets calls already
    running on it finish; it is freed when the last collection using it goes.
    ``test_client.py`` checks that a chromadb upgrade has not moved this cache.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    with SharedSystemClient._refcount_lock:
        SharedSystemClient._identifier_to_system.pop(str(data_dir), None)
        SharedSystemClient._identifier_to_refcount.pop(str(data_dir), None)


def open_collections(
    url: str | None,
    data_dir: Path | None,
    timeout: float,
    name: str,
    index_format: dict[str, str],
    fresh: bool = False,
) -> tuple[Any, Any, Any, Any]:
    """(client, chunks, articles, meta): an index's three collections, created if missing. Any
    failure is a StoreUnavailableError naming the location."""
    try:
        client = open_client(url, data_dir, timeout, fresh)
        chunks = client.get_or_create_collection(
            f"{name}_chunks",
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata=index_format,
        )
        articles = client.get_or_create_collection(f"{name}_articles", embedding_function=None)
        meta = client.get_or_create_collection(f"{name}_meta", embedding_function=None)
    except Exception as e:
        if url and is_timeout(e):
            raise timed_out(url, timeout, "connect") from e
        storage = None if url else storage_failure(e, data_dir)
        if storage is not None:
            raise storage from e
        raise StoreUnavailableError(
            f"cannot open Chroma at {url or data_dir}: {e}. "
            + ("Is `chroma run` up at that URL?" if url else "`rag status` says what it can read of it")
        ) from e
    return client, chunks, articles, meta


def is_timeout(e: BaseException) -> bool:
    """True if ``e`` or an exception it was raised from is an HTTP timeout (chromadb re-raises
    some of them as ValueError)."""
    import httpx

    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, httpx.TimeoutException | TimeoutError):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return False


def timed_out(url: str, timeout: float, what: str) -> StoreUnavailableError:
    """The error for a call (``what``) to the Chroma server at ``url`` that missed its deadline."""
    return StoreUnavailableError(
        f"Chroma server at {url} did not answer within {timeout:g} s ({what}); "
        "is it overloaded or stopped? (deadline: RAG_CHROMA_TIMEOUT)"
    )


def server_failure(e: Exception, url: str, timeout: float, what: str) -> StoreUnavailableError | None:
    """What a failed call (``what``) to the Chroma server at ``url`` means for the caller: a
    StoreUnavailableError naming the server (and the deadline it missed), or None when ``e`` is
    not about reaching the server."""
    if is_timeout(e):
        return timed_out(url, timeout, what)
    if looks_like_connection_error(e):
        return StoreUnavailableError(f"Chroma server at {url} is unreachable ({what}): {e}")
    return None


def session_timeouts(client: Any) -> list[Any]:
    """The httpx timeouts of a server client's sessions (its own and its admin client's)."""
    return [client._server._session.timeout, client._admin_client._server._session.timeout]


def _bound(server: Any, timeout: float) -> None:
    import httpx

    session = getattr(server, "_session", None)
    if not isinstance(session, httpx.Client):
        raise RuntimeError(
            "chromadb's HTTP client no longer has an httpx `_session`: cannot give Chroma calls a "
            "deadline; pin chromadb to the version in constraints.txt"
        )
    session.timeout = httpx.Timeout(timeout)


@functools.cache
def _deadline_client_class() -> Any:
    """Built on first use so importing this module does not import chromadb."""
    from chromadb.api.client import Client

    class _DeadlineClient(Client):
        """chromadb's Client with a deadline on its HTTP sessions from their first request on."""

        def __init__(self, timeout: float, **kwargs: Any) -> None:
            self._deadline_s = timeout
            super().__init__(**kwargs)

        def get_user_identity(self) -> Any:  # the constructor's first request
            _bound(self._server, self._deadline_s)
            return super().get_user_identity()

        def _validate_tenant_database(self, tenant: str, database: str) -> None:
            admin: Any = self._admin_client  # a second session, in a System of its own
            _bound(admin._server, self._deadline_s)
            super()._validate_tenant_database(tenant=tenant, database=database)

    return _DeadlineClient
