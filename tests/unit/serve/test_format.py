"""Renderings of an answer: plain text (CLI), Markdown (chat, OpenAI content), HTML highlight (sources)."""

import datetime as dt

from rag.serve.format import format_markdown, format_text, highlight_html
from rag.types import Answer, Article, Citation

ART = Article("a1", dt.date(2025, 9, 4), "Intro line. Trump said *no* <b>troops</b>_now_. End.")
Q = ART.text.index("Trump")
E = ART.text.index(" End.")
CIT = Citation("a1", ART.published, ART.text[Q:E], Q, E)
ANS = Answer("What did Trump say?", f"{CIT.quote} [1]", False, (CIT,))


def test_text_lists_each_quote_with_article_date_and_span():
    out = format_text(ANS)
    assert out.startswith("Q: What did Trump say?\n")
    assert f"[1] a1, 2025-09-04, chars {Q}-{E}" in out
    assert f"“{CIT.quote}”" in out


def test_abstention_is_a_statement_not_an_error():
    ab = Answer("Q?", "The articles don't say.", True)
    assert "[no answer] The articles don't say." in format_text(ab)
    assert format_markdown(ab) == "**The articles don't say.**"


def test_markdown_sources_escape_emphasis_and_html():
    md = format_markdown(ANS)
    assert "**Sources**" in md
    assert "\\*no\\*" in md and "&lt;b>" in md and "\\_now\\_" in md
    assert "`a1`, 2025-09-04" in md


def test_highlight_marks_exactly_the_cited_span_and_escapes_the_rest():
    html = highlight_html(ART, CIT)
    assert f"data-start='{Q}' data-end='{E}'" in html
    assert "&lt;b&gt;troops&lt;/b&gt;" in html and "<b>troops" not in html
    excerpt = highlight_html(ART, CIT, context_chars=3)
    assert excerpt.count("…") == 2
    assert "<mark" not in highlight_html(ART, None)
    bad = Citation("a1", ART.published, "x", 5, 500)
    assert "<mark" not in highlight_html(ART, bad)
