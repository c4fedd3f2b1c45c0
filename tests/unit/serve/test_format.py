"""Renderings of an answer: plain text (CLI), Markdown (chat, OpenAI content), HTML highlight (sources)."""

import datetime as dt
import html
import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from rag.serve.format import escape_markdown, format_markdown, format_text, highlight_html
from rag.types import Answer, Article, Citation

ART = Article("a1", dt.date(2025, 9, 4), "Intro line. Trump said *no* <b>troops</b>_now_. End.")
Q = ART.text.index("Trump")
E = ART.text.index(" End.")
CIT = Citation("a1", ART.published, ART.text[Q:E], Q, E)
ANS = Answer("What did Trump say?", f"{CIT.quote} [1]", False, (CIT,))


def test_text_lists_each_quote_with_article_date_and_span():
    out = format_text(ANS)
    assert out.startswith("Q: What did Trump say?\n")
    assert f"[1] 2025-09-04 (a1, chars {Q}-{E})" in out
    assert f"“{CIT.quote}”" in out


def test_the_headline_is_shown_instead_of_the_id_which_stays_secondary():
    cit = replace(CIT, headline="Trump says *no*")
    ans = replace(ANS, citations=(cit,))
    assert f"[1] Trump says *no*, 2025-09-04 (a1, chars {Q}-{E})" in format_text(ans)
    md = format_markdown(ans)
    assert "**Trump says \\*no\\***, 2025-09-04 (a1, chars" in md  # escaped inside the bold
    page = highlight_html(ART, cit, headline="<i>Trump</i> says")
    assert "&lt;i&gt;Trump&lt;/i&gt; says" in page and "<i>" not in page
    assert page.index("says") < page.index("a1")  # the headline leads, the id follows
    assert cit.to_json()["headline"] == "Trump says *no*"


def test_abstention_is_a_statement_not_an_error():
    ab = Answer("Q?", "The articles don't say.", True)
    assert "[no answer] The articles don't say." in format_text(ab)
    # the one escaping rule applies to every answer, abstentions included (was unescaped)
    assert format_markdown(ab) == "**The articles don\\'t say\\.**"


def test_markdown_sources_escape_emphasis_and_html():
    md = format_markdown(ANS)
    assert "**Sources**" in md
    # new rule (issue 15): ">" is an entity too, and the article id is escaped text, not a code span
    assert "\\*no\\*" in md and "&lt;b&gt;" in md and "\\_now\\_" in md
    assert "2025-09-04 (a1, chars" in md


def test_highlight_marks_exactly_the_cited_span_and_escapes_the_rest():
    html = highlight_html(ART, CIT)
    assert f"data-start='{Q}' data-end='{E}'" in html
    assert "&lt;b&gt;troops&lt;/b&gt;" in html and "<b>troops" not in html
    excerpt = highlight_html(ART, CIT, context_chars=3)
    assert excerpt.count("…") == 2
    assert "<mark" not in highlight_html(ART, None)
    bad = Citation("a1", ART.published, "x", 5, 500)
    assert "<mark" not in highlight_html(ART, bad)


# CommonMark with raw HTML on, as Gradio's Chatbot renders it (it then sanitises the HTML).
_MD = MarkdownIt("commonmark", {"html": True})
HOSTILE = [
    "<img src=http://127.0.0.1:9999/beacon-html.png>",
    "![chart](http://127.0.0.1:9999/beacon-md.png)",
    "[the city portal](http://127.0.0.1:9999/phish)",
    "**bold** _x_",
    "<script>alert(1)</script> budget was 40 million",
    "<http://127.0.0.1:9999/auto> and me@example.com",
    "# not a heading",
    "1. not a list",
    "> not a quote",
    "`code` and ```fence```",
    "a & b &amp; c &#x41; \\* \\",
    "line one\nline two",
    "[ref]: http://127.0.0.1:9999/x",
    "$$x^2$$ and ~~strike~~ | table |",
]


def _shown(markdown: str) -> str:
    """The characters a reader sees: rendered HTML, tags dropped (line breaks kept), entities decoded."""
    out = _MD.render(markdown)
    out = re.sub(r"<br />\n?", "\n", out)
    out = re.sub(r"<[^>]+>", "", out)
    return html.unescape(out).strip("\n")


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_markdown_renders_as_its_own_characters(text):
    out = _MD.render(escape_markdown(text))
    assert not re.search(r"<(a|img|script|em|strong|code|h1|ol|blockquote)\b", out), out
    assert _shown(escape_markdown(text)) == text


def test_escape_markdown_escapes_every_ascii_punctuation_and_html_specials():
    assert escape_markdown("![x](http://a.b) <b>") == "\\!\\[x\\]\\(http\\:\\/\\/a\\.b\\) &lt;b&gt;"
    assert escape_markdown("a & b") == "a &amp; b"
    for ch in "!\"#$%'()*+,-./:;=?@[\\]^_`{|}~":
        assert escape_markdown(ch) == "\\" + ch
    assert escape_markdown("Élysée’s 40 million") == "Élysée’s 40 million"
    assert escape_markdown("") == ""


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(st.characters(codec="utf-8", exclude_categories=("Zs", "Zl", "Zp", "Cc")), min_size=1),
        max_size=8,
    ).map(" ".join)
)
def test_escaped_markdown_shows_any_words_exactly(text):
    # words of any characters (ASCII punctuation, HTML, Markdown syntax), one space apart: runs of
    # blanks aside, which HTML collapses, what shows is the text itself
    assert _shown(escape_markdown(text)) == text


def test_chat_markdown_neutralises_a_hostile_quote_and_answer():
    text = "Intro. " + " ".join(HOSTILE[:5]) + ". End."
    art = Article("h1", dt.date(2025, 9, 4), text)
    a, b = text.index("<img"), text.index(" End.")
    cit = Citation("h1", art.published, text[a:b], a, b)
    md = format_markdown(Answer("Budget?", f"{cit.quote} [1]", False, (cit,)))
    out = _MD.render(md)
    assert not re.search(r"<(a|img|script|em)\b", out), out
    assert text[a:b] in _shown(md)


# ------------------------------------------------------------------ issue 14: the answer span
SPAN_TEXT = "Intro. The *budget* was $40 million (2025) for <b>the</b> bridge. End."
SPAN_ART = Article("s1", dt.date(2025, 9, 4), SPAN_TEXT)
SA, SB = SPAN_TEXT.index("The "), SPAN_TEXT.index(" End.")
SPAN_CIT = Citation("s1", SPAN_ART.published, SPAN_TEXT[SA:SB], SA, SB)


def _span_answer(span_text: str) -> Answer:
    from rag.types import AnswerSpan

    s = SPAN_TEXT.index(span_text)
    sp = AnswerSpan("s1", s, s + len(span_text), span_text)
    return Answer("How much was the budget?", f"{SPAN_CIT.quote} [1]", False, (SPAN_CIT,), answer_span=sp)


@pytest.mark.parametrize("span_text", ["$40 million", "2025", "40", "budget", "bridge."])
def test_chat_markdown_bolds_the_span_with_the_quote_s_own_characters(span_text):
    md = format_markdown(_span_answer(span_text))
    out = _MD.render(md)
    shown = _shown(md)
    # the quote still shows exactly, in the answer and in the sources list
    assert shown.count(SPAN_CIT.quote) == 2, shown
    strong = re.findall(r"<strong>(.*?)</strong>", out)
    assert [html.unescape(s) for s in strong if s != "Sources"] == [span_text, span_text], out
    assert not re.search(r"<(a|img|script|em)\b", out)


def test_a_span_bold_would_not_render_is_left_plain_not_shown_as_asterisks():
    from rag.types import AnswerSpan

    # "**" between two letters and "$" cannot open strong emphasis (CommonMark's flanking rules)
    text = "x$40y"
    art = Article("t", dt.date(2025, 9, 4), text)
    cit = Citation("t", art.published, text, 0, len(text))
    ans = Answer("How much?", f"{text} [1]", False, (cit,), answer_span=AnswerSpan("t", 1, 3, "$4"))
    md = format_markdown(ans)
    assert "*" not in _shown(md) and _shown(md).count(text) == 2


def test_text_and_json_carry_the_span():
    ans = _span_answer("$40 million")
    s = SPAN_TEXT.index("$40 million")
    assert f"Answer: “$40 million” (s1, chars {s}-{s + 11})" in format_text(ans)
    assert ans.to_json()["answer_span"] == {
        "article_id": "s1",
        "start": s,
        "end": s + 11,
        "text": "$40 million",
    }
    assert Answer("q", "a", True).to_json()["answer_span"] is None


def test_highlight_marks_the_span_inside_the_quote():
    ans = _span_answer("$40 million")
    out = highlight_html(SPAN_ART, SPAN_CIT, span=ans.answer_span)
    s = SPAN_TEXT.index("$40 million")
    assert f"<mark class='rag-span' data-start='{s}' data-end='{s + 11}'>$40 million</mark>" in out
    assert html.unescape(re.sub(r"<[^>]+>", "", out)).count(SPAN_CIT.quote) == 1
    assert "&lt;b&gt;the&lt;/b&gt;" in out


def test_custom_markers_replace_only_the_answerer_s_markers():
    text = "Intro. See note [2] here. End."
    art = Article("m", dt.date(2025, 9, 4), text)
    a, b = text.index("See"), text.index(" End.")
    cit = Citation("m", art.published, text[a:b], a, b)
    md = format_markdown(Answer("q", f"{cit.quote} [1]", False, (cit,)), marker=lambda n: f"<x{n}>")
    assert md.startswith("See note \\[2\\] here\\. <x1>")
