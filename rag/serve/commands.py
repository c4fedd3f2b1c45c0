"""CLI commands that manage the collection (kept apart so ``rag.serve.cli`` stays a dispatcher)."""

from __future__ import annotations

import contextlib
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
    """``rag status``: what is indexed, read from the store alone (no model is loaded), and
    whether it can all be read (exit 1 naming the damage and the fix if not)."""
    from rag.index.embed import embedder_name
    from rag.index.repair import diagnose
    from rag.index.store import ArchiveStore

    emb = embedder_name(settings.embedder)  # the name only: status loads no model
    store = ArchiveStore(
        settings.data_dir,
        url=settings.chroma_url,
        name=settings.collection,
        embedder_name=emb,
        timeout=settings.chroma_timeout,
    )
    mismatch = store.format_mismatch()
    found = diagnose(store)
    counts: tuple[int | None, int | None] = (None, None)
    with contextlib.suppress(Exception):
        counts = store.counts()
    infos = [] if found.texts_unreadable else store.list_articles()
    out = {
        "articles": counts[0],
        "chunks": counts[1],
        "store": "server" if settings.chroma_url else "embedded",
        "location": store.location,
        "collection": settings.collection,
        "embedder": emb,
        "needs_reindex": mismatch or None,
        "published_from": min((a.published for a in infos), default=None),
        "published_to": max((a.published for a in infos), default=None),
        "healthy": found.ok,
        "problems": found.describe() or None,
    }
    if as_json:
        print(json.dumps(out, default=str))
    else:
        for k, v in out.items():
            print(f"{k:>15}: {v if v is not None else '-'}")
    if found.ok:
        return 0
    fix = (
        "rebuild it from the article files with `rag ingest --rebuild PATH...`"
        if found.texts_unreadable
        else "run `rag ingest` to repair it"
    )
    print(f"rag: the index at {store.location} is damaged ({found.describe()}): {fix}", file=sys.stderr)
    return 1
