"""Read article files: ``date YYYY-MM-DD`` then the body, kept byte-for-byte as text.

The article id is the file stem; ``Article.text`` is everything after the header and the
white space that follows it, with no other rewriting (CRLF and trailing spaces included),
so offsets into it are stable for the life of the file. Bad files raise ``ArticleError``
with a reason a person can act on; ``discover`` never follows a path twice.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from rag.errors import ArticleError
from rag.types import Article, FileFailure

MAX_FILE_BYTES = 5 * 1024 * 1024
_HEADER = re.compile(r"\s*date[ \t]+(\S+)(?:\s+|$)")
_ARTICLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def parse_article(raw: str, article_id: str) -> Article:
    """Parse file content into an Article.

    ``parse_article(" date 2025-09-04 Trump spoke.", "a1").text`` -> ``"Trump spoke."``

    Raises:
        ArticleError: no ``date`` header, an impossible date, or an empty body.
    """
    if not _ARTICLE_ID.match(article_id):
        raise ArticleError(
            f"article id {article_id!r} (the file name) must be 1-200 characters of letters, digits, "
            "'.', '_' or '-', starting with a letter or digit: rename the file"
        )
    raw = raw.removeprefix("\ufeff")
    if not raw.strip():
        raise ArticleError("file is empty: an article needs 'date YYYY-MM-DD' then its text")
    m = _HEADER.match(raw)
    if not m:
        first = raw.strip().splitlines()[0][:60]
        raise ArticleError(f"no 'date YYYY-MM-DD' header at the start (it begins {first!r}): add one")
    try:
        published = dt.date.fromisoformat(m.group(1))
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", m.group(1)):
            raise ValueError
    except ValueError:
        raise ArticleError(f"date {m.group(1)!r} is not a real date in YYYY-MM-DD form") from None
    text = raw[m.end() :]
    if not text.strip():
        raise ArticleError("the article body after the date header is empty")
    return Article(article_id=article_id, published=published, text=text)


def load_file(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Article:
    """Read and parse one file. Raises ArticleError naming the problem."""
    try:
        with open(path, "rb") as f:  # one open and fstat: a re-ingest reads every file of the archive
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise ArticleError(
                    f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit for one article"
                )
            data = f.read()
    except OSError as e:
        raise ArticleError(f"cannot read file: {e.strerror or e}") from None
    return parse_bytes(data, path.stem, max_bytes)


def parse_bytes(data: bytes, article_id: str, max_bytes: int = MAX_FILE_BYTES) -> Article:
    """A file's bytes (read from disk, uploaded or sent to the API) to an Article, with the same
    checks and words as ``rag ingest``: size, binary, UTF-8, then ``parse_article``."""
    if len(data) > max_bytes:
        raise ArticleError(
            f"file is {len(data) / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit for one article"
        )
    if b"\x00" in data[:65536]:
        raise ArticleError("binary file (contains NUL bytes), not a text article")
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ArticleError(
            f"not UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}): re-save the file as UTF-8"
        ) from None
    return parse_article(raw, article_id)


def discover(paths: Iterable[Path], suffixes: tuple[str, ...] = (".txt",)) -> Iterator[Path | FileFailure]:
    """Expand files and folders into article files, yielding failures for bad paths.

    Folders are walked recursively for files with one of ``suffixes`` (hidden entries
    skipped, links to folders not followed, so link loops cannot recurse); files named
    explicitly are taken whatever their suffix.
    """
    seen: set[str] = set()
    for p in paths:
        if not os.path.lexists(p):
            yield FileFailure(str(p), "no such file or folder")
            continue
        if p.is_dir():
            for root, dirs, files in os.walk(p, followlinks=False, onerror=None):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                real_root = os.path.realpath(root)  # once a folder: resolving every file took 27 µs each
                for name in sorted(files):
                    if name.startswith(".") or not name.endswith(suffixes):
                        continue
                    yield from _one(Path(root) / name, seen, real_root)
        else:
            yield from _one(p, seen)


def _one(p: Path, seen: set[str], real_folder: str | None = None) -> Iterator[Path | FileFailure]:
    """``p`` unless it is not a regular file or was seen (by real path: ``real_folder``, the
    resolved folder of ``p``, spares resolving a file that is not a link)."""
    try:
        st = os.lstat(p) if real_folder is not None else None
        if st is not None and not stat.S_ISLNK(st.st_mode):
            real, regular = os.path.join(real_folder or "", p.name), stat.S_ISREG(st.st_mode)
        else:
            real = str(p.resolve(strict=True))
            regular = os.path.isfile(real)
    except (OSError, RuntimeError) as e:
        yield FileFailure(str(p), f"cannot resolve path ({getattr(e, 'strerror', None) or e})")
        return
    if not regular:
        yield FileFailure(str(p), "not a regular file")
        return
    if real in seen:
        return
    seen.add(real)
    yield p
