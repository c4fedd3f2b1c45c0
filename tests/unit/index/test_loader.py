import datetime as dt

import pytest

from rag.errors import ArticleError
from rag.index.loader import discover, load_file, parse_article
from rag.types import FileFailure


def test_parse_keeps_body_exactly():
    a = parse_article(" date 2025-09-04 U.S. President “Trump” — spoke.  \r\nNext line.  ", "a1")
    assert a.published == dt.date(2025, 9, 4)
    assert a.text == "U.S. President “Trump” — spoke.  \r\nNext line.  "
    assert a.published_int == 20250904


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("Trump spoke.", "no 'date YYYY-MM-DD' header"),
        ("date 2025-13-40 text", "not a real date"),
        ("date 2025-9-4 text", "not a real date"),
        ("date 2025-09-04", "body after the date header is empty"),
        ("date 2025-09-04   \n  ", "body after the date header is empty"),
    ],
)
def test_parse_errors_name_the_problem(raw, message):
    with pytest.raises(ArticleError, match=message):
        parse_article(raw, "a1")


def test_bom_and_newline_header():
    a = parse_article("\ufeffdate 2025-09-04\nBody.", "x")
    assert a.text == "Body."


def test_bad_article_id():
    with pytest.raises(ArticleError, match="rename the file"):
        parse_article("date 2025-09-04 x", "bad id!")


def test_load_file_errors(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes(" date 2025-09-04 caf\xe9".encode("latin-1"))
    with pytest.raises(ArticleError, match="not UTF-8"):
        load_file(p)
    b = tmp_path / "bin.txt"
    b.write_bytes(b"\x00\x01\x02date")
    with pytest.raises(ArticleError, match="binary"):
        load_file(b)
    big = tmp_path / "big.txt"
    big.write_bytes(b"date 2025-09-04 " + b"a" * 2000)
    with pytest.raises(ArticleError, match="over the"):
        load_file(big, max_bytes=1000)


def test_crlf_file_offsets_stable(tmp_path):
    p = tmp_path / "crlf.txt"
    p.write_bytes(b"date 2025-09-04 One.\r\nTwo.\r\n")
    assert load_file(p).text == "One.\r\nTwo.\r\n"


def test_discover(tmp_path):
    (tmp_path / "a.txt").write_text("date 2025-09-04 x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("date 2025-09-04 y")
    (tmp_path / ".hidden.txt").write_text("date 2025-09-04 z")
    (tmp_path / "notes.md").write_text("ignored")
    (tmp_path / "loop").symlink_to(tmp_path)  # a folder link loop must not recurse
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")  # a file link loop
    found = list(discover([tmp_path, tmp_path / "a.txt", tmp_path / "missing.txt"]))
    paths = sorted(p.name for p in found if not isinstance(p, FileFailure))
    fails = {f.path.split("/")[-1]: f.reason for f in found if isinstance(f, FileFailure)}
    assert paths == ["a.txt", "b.txt"]
    assert "missing.txt" in fails and "no such file" in fails["missing.txt"]
    assert "self.txt" in fails
