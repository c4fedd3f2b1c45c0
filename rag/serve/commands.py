"""CLI commands that manage the collection (kept apart so ``rag.serve.cli`` stays a dispatcher)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.config import Settings
    from rag.pipeline import Pipeline


def delete_command(pipe: Pipeline, article_ids: Sequence[str], missing_ok: bool, as_json: bool) -> int:
    """``rag delete ID...``: all the ids or none (an unknown id fails, naming it, unless
    ``missing_ok``); prints what was deleted and what was not there."""
    deleted = pipe.delete(list(article_ids), missing_ok=missing_ok)
    missing = sorted(set(article_ids) - set(deleted))
    if as_json:
        print(json.dumps({"deleted": deleted, "missing": missing}))
    else:
        print(f"articles: {len(deleted)} deleted -> {pipe.location}")
        for a in missing:
            print(f"  not there: {a}", file=sys.stderr)
    return 0


def status_command(settings: Settings, as_json: bool) -> int:
    """``rag status``: what is indexed, read from the store alone (no model is loaded)."""
    from rag.index.embed import embedder_name
    from rag.index.store import ChromaStore

    emb = embedder_name(settings.embedder)  # the name only: status loads no model
    store = (
        ChromaStore(
            url=settings.chroma_url,
            name=settings.collection,
            embedder_name=emb,
            timeout=settings.chroma_timeout,
        )
        if settings.chroma_url
        else ChromaStore(data_dir=settings.data_dir, name=settings.collection, embedder_name=emb)
    )
    mismatch = store.format_mismatch()
    n_articles, n_chunks = store.counts()
    infos = store.list_articles()
    out = {
        "articles": n_articles,
        "chunks": n_chunks,
        "store": "server" if settings.chroma_url else "embedded",
        "location": store.location,
        "collection": settings.collection,
        "embedder": emb,
        "needs_reindex": mismatch or None,
        "published_from": min((a.published for a in infos), default=None),
        "published_to": max((a.published for a in infos), default=None),
    }
    if as_json:
        print(json.dumps(out, default=str))
    else:
        for k, v in out.items():
            print(f"{k:>15}: {v if v is not None else '-'}")
    return 0
