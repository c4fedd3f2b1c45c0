"""What a failed call to an embedded index means for the operator: a full disk, a read-only
folder, or an index a failed write damaged, each told as such with its fix (not as "another
process"); None for anything else."""

from __future__ import annotations

import errno
from pathlib import Path

from rag.errors import RagError, StoreUnavailableError, StoreWriteError

_FULL = ("database or disk is full", "no space left on device", "disk full")
_DAMAGED = ("hnsw segment", "deserializing pickle", "failed to apply logs", "error loading hnsw")
_READ_ONLY = ("readonly database", "read-only file system", "permission denied")


def storage_failure(e: BaseException, data_dir: Path | None) -> RagError | None:
    """``storage_failure(OSError(ENOSPC, ...), Path("data"))`` -> "the disk holding data is full...".

    Looks through ``e``, its causes and their messages (chromadb reports SQLite's "database or
    disk is full" as an InternalError)."""
    if data_dir is None:
        return None
    codes, text = _codes_and_text(e)
    if errno.ENOSPC in codes or errno.EDQUOT in codes or any(s in text for s in _FULL):
        return StoreWriteError(
            f"the disk holding {data_dir} is full: free space, then run `rag ingest` again "
            "(it repairs what the failed write left)"
        )
    if codes & {errno.EROFS, errno.EACCES, errno.EPERM} or any(s in text for s in _READ_ONLY):
        return StoreWriteError(
            f"the index folder {data_dir} is read-only ({e}): nothing can be written there; "
            "make it writable, or point RAG_DATA_DIR at a writable folder"
        )
    if any(s in text for s in _DAMAGED):
        return StoreUnavailableError(
            f"the index at {data_dir} cannot be fully read ({str(e)[:200]}), as a failed write can "
            "leave it: run `rag ingest` to repair it (it re-indexes the stored articles)"
        )
    return None


def _codes_and_text(e: BaseException) -> tuple[set[int], str]:
    codes: set[int] = set()
    texts: list[str] = []
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and cur.errno is not None:
            codes.add(cur.errno)
        texts.append(str(cur).lower())
        cur = cur.__cause__ or cur.__context__
    return codes, " ".join(texts)
