"""Opening a Chroma client: a server (``chroma run``) by URL, or an embedded folder.

Telemetry is always off. The caller turns any failure into a StoreUnavailableError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse


def open_client(url: str | None, data_dir: Path | None) -> Any:
    """A Chroma client for ``url`` (a server) or else ``data_dir`` (embedded, created if missing)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    cs = ChromaSettings(anonymized_telemetry=False)
    if url:
        u = urlparse(url)
        return chromadb.HttpClient(
            host=u.hostname or "127.0.0.1",
            port=u.port or (443 if u.scheme == "https" else 8000),
            ssl=u.scheme == "https",
            settings=cs,
        )
    if data_dir is None:
        raise ValueError("open_client needs a url or a data_dir")
    data_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(data_dir), settings=cs)
