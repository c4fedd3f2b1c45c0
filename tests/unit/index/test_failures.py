"""What a failed call to an embedded index is told as: full disk, read-only, damaged, or not ours."""

import errno
from pathlib import Path

from rag.errors import StoreUnavailableError, StoreWriteError
from rag.index.failures import storage_failure

D = Path("/srv/index")


class InternalError(Exception):
    """Stands in for chromadb.errors.InternalError (same messages)."""


def test_full_disk_from_sqlite_or_the_os_names_the_folder_and_the_fix():
    for e in (
        InternalError(
            "Query error: Database error: error returned from database: (code: 13) database or disk is full"
        ),
        OSError(errno.ENOSPC, "No space left on device"),
    ):
        err = storage_failure(e, D)
        assert isinstance(err, StoreWriteError)
        assert str(err).startswith(
            "the disk holding /srv/index is full: free space, then run `rag ingest` again"
        )


def test_read_only_is_named_not_another_process():
    for e in (
        OSError(errno.EROFS, "Read-only file system"),
        InternalError("attempt to write a readonly database"),
    ):
        err = storage_failure(e, D)
        assert isinstance(err, StoreWriteError) and "/srv/index is read-only" in str(err)
        assert "another process" not in str(err)


def test_damage_says_to_run_ingest_and_other_errors_are_left_alone():
    e = InternalError(
        "Error constructing hnsw segment reader: Error deserializing pickle file: EOF while parsing"
    )
    err = storage_failure(e, D)
    assert isinstance(err, StoreUnavailableError) and "run `rag ingest` to repair it" in str(err)
    assert storage_failure(InternalError("Error finding id"), D) is None  # a stale view: handled by the store
    assert storage_failure(ValueError("bad where clause"), D) is None
    assert storage_failure(OSError(errno.ENOSPC, "full"), None) is None  # a server: not ours to say


def test_the_cause_chain_is_searched():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("write failed") from inner
    except RuntimeError as outer:
        assert isinstance(storage_failure(outer, D), StoreWriteError)
