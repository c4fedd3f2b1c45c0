"""Renderings of an answer: plain text (CLI), Markdown (chat, OpenAI content), HTML highlight (sources)."""

import datetime as dt
import html
import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from rag.serve.format import (
    escape_markdown,
    format_content,
    format_copy,
    format_markdown,
    format_text,
    source_groups,
)
from rag.serve.highlight import highlight_html
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
    assert "- [1] **Trump says \\*no\\***, 2025-09-04" in md  # a source card, escaped inside the bold
    assert "a1" not in md  # no id where people read
    page = highlight_html(ART, cit, headline="<i>Trump</i> says")
    assert "&lt;i&gt;Trump&lt;/i&gt; says" in page and "<i>" not in page
    assert page.index("says") < page.index("a1")  # the headline leads, the id follows
    assert cit.to_json()["headline"] == "Trump says *no*"


def test_abstention_is_a_statement_not_an_error():
    ab = Answer("Q?", "The articles don't say.", True)
    assert "[no answer] The articles don't say." in format_text(ab)
    # the one escaping rule applies to every answer, abstentions included; plain punctuation stays
    assert format_markdown(ab) == "**The articles don't say.**"
    assert format_content(ab) == format_copy(ab) == "The articles don't say."


def test_markdown_sources_escape_emphasis_and_html():
    md = format_markdown(ANS)
    assert "**Sources**" in md
    # only what would become markup is escaped (issue 23): emphasis, a tag; never the id
    assert "\\*no\\*" in md and "\\<b>troops\\</b>" in md and "\\_now\\_" in md
    assert md.endswith("- [1] 2025-09-04") and "a1" not in md


def test_highlight_marks_exactly_the_cited_span_and_escapes_the_rest():
    html = highlight_html(ART, CIT)
    assert f"data-start='{Q}' data-end='{E}'" in html
    assert "&lt;b&gt;troops&lt;/b&gt;" in html and "<b>troops" not in html
    excerpt = highlight_html(ART, CIT, context_chars=3)
    assert excerpt.count("…") == 2
    assert "<mark" not in highlight_html(ART, None)
    bad = Citation("a1", ART.published, "x", 5, 500)
    assert "<mark" not in highlight_html(ART, bad)


# CommonMark with raw HTML on, as Gradio's Chatbot renders it (it then sanitises the HTML), and
# the GFM-like preset with bare-URL linking, tables and strikethrough, as GFM renderers do.
_MD = MarkdownIt("commonmark", {"html": True})
_GFM = MarkdownIt("gfm-like", {"html": True})
_GFM.linkify.set({"fuzzy_link": False})  # GFM links bare URLs with a scheme or www., not "bbc.co.uk"
_MARKUP = re.compile(r"<(a|img|script|em|strong|h[1-6]|ol|ul|li|blockquote|s|del|table|hr|pre)\b")
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
    "see www.example.com/x or https://example.com/y.",
    "a | b\n--- | ---\nc | d",
    "Title\n=====",
    "- item\n+ item\n* item\n2) item",
    "***\n___",
    "    indented four",
    "x\\",
    "<!-- c --> <?p?> <!X>",
    "~strike~ ~~s~~ ~~~",
    "_http://a 1http://b x@y.z+x@y.z",  # found by a property run: a link after "_" or a digit, two in a row
    "`x@y.z \\`www.a` &amp;lt;",
]


def _shown(markdown: str, md: MarkdownIt = _MD) -> str:
    """The characters a reader sees: rendered HTML, tags dropped (line breaks kept), entities decoded."""
    out = md.render(markdown)
    out = re.sub(r"<br />\n?", "\n", out)
    out = re.sub(r"<[^>]+>", "", out)
    return html.unescape(out).strip("\n")


def _code_only_urls(out: str) -> bool:
    """A code span holds only a URL or an e-mail address (how bare ones are kept from linking)."""
    return all(
        re.fullmatch(r"\S*(://|www\.|@)\S*", html.unescape(c)) for c in re.findall(r"<code>(.*?)</code>", out)
    )


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("md", [_MD, _GFM], ids=["commonmark", "gfm"])
def test_escaped_markdown_renders_as_its_own_characters(text, md):
    out = md.render(escape_markdown(text))
    assert not _MARKUP.search(out), out
    assert _code_only_urls(out), out
    assert _shown(escape_markdown(text), md) == text.replace("    indented", "indented")


PLAIN = (
    "Aug. 18, 2025: the U.S. (so-called) 50% rise; Macron's “no” - yes! #1 a=b {x} ^ | 3 < 5 & 7 > 2 a * b"
)


def test_escape_markdown_leaves_plain_punctuation_alone():
    # what blanket escaping broke (issue 23): "Aug\\. 18\\," in every copy, export and client
    assert escape_markdown(PLAIN) == PLAIN
    assert escape_markdown("Élysée’s 40 million") == "Élysée’s 40 million"
    assert escape_markdown("") == ""


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("![x](http://a.b) <b>", "![x\\](`http://a.b)`" + " \\<b>"),
        ("**bold** _x_ snake_case", "\\*\\*bold\\*\\* \\_x\\_ snake_case"),
        ("`code`", "\\`code\\`"),
        ("[ref]: x", "[ref\\]: x"),
        ("&amp; AT&T", "\\&amp; AT&T"),
        ("# h", "\\# h"),
        ("> q", "\\> q"),
        ("- i", "\\- i"),
        ("1. i", "1\\. i"),
        ("a\n1. i", "a\n1\\. i"),
        ("C:\\ and a\\*", "C:\\ and a\\\\\\*"),
    ],
)
def test_escape_markdown_escapes_what_would_become_markup(text, escaped):
    assert escape_markdown(text) == escaped


def test_a_piece_inside_a_line_keeps_its_leading_characters():
    assert escape_markdown("1. and # and - x", line_start=False) == "1. and # and - x"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(st.characters(codec="utf-8", exclude_categories=("Zs", "Zl", "Zp", "Cc")), min_size=1),
        max_size=8,
    ).map(" ".join)
)
def test_escaped_markdown_shows_any_words_exactly(text):
    # words of any characters (ASCII punctuation, HTML, Markdown syntax), one space apart: runs of
    # blanks aside, which HTML collapses, what shows is the text itself, and no markup is made
    for md in (_MD, _GFM):
        assert _shown(escape_markdown(text), md) == text
        out = md.render(escape_markdown(text))
        assert not _MARKUP.search(out) and _code_only_urls(out), out


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
    # the quote still shows exactly, once: the sources list names the article, not the quote again
    assert shown.count(SPAN_CIT.quote) == 1, shown
    strong = re.findall(r"<strong>(.*?)</strong>", out)
    assert [html.unescape(s) for s in strong if s != "Sources"] == [span_text], out
    assert not re.search(r"<(a|img|script|em)\b", out)


def test_a_span_bold_would_not_render_is_left_plain_not_shown_as_asterisks():
    from rag.types import AnswerSpan

    # "**" between two letters and "$" cannot open strong emphasis (CommonMark's flanking rules)
    text = "x$40y"
    art = Article("t", dt.date(2025, 9, 4), text)
    cit = Citation("t", art.published, text, 0, len(text))
    ans = Answer("How much?", f"{text} [1]", False, (cit,), answer_span=AnswerSpan("t", 1, 3, "$4"))
    md = format_markdown(ans)
    assert "*" not in _shown(md) and _shown(md).count(text) == 1


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
    assert md.startswith("See note [2] here. <x1>")
    # a "[2]" inside a quote stays the article's text even when the answer has a citation 2
    other = Citation("m", art.published, "Intro.", 0, 6, "context")
    md = format_markdown(
        Answer("q", f"{cit.quote} [1] Intro. [2]", False, (cit, other)), marker=lambda n: f"<x{n}>"
    )
    assert md.startswith("See note [2] here. <x1> Intro. <x2>")
    # "Also reported in … [3]." : a marker before punctuation is a marker too (it was left as text)
    a3 = Citation("n", art.published, "Other.", 0, 6, "corroboration", headline="Other paper")
    ans = Answer("q", f"{cit.quote} [1]\nAlso reported in “Other paper” (2025-09-04) [2].", False, (cit, a3))
    assert "(2025-09-04) <x2>." in format_markdown(ans, marker=lambda n: f"<x{n}>")


# ------------------------------------------------------------------ issue 23: sources once, clean copy
H1, H2 = "Kyiv talks stall", "Paris summit ends"


def _three() -> Answer:
    a = Citation(
        "000_ae23ea00b4c5bd97",
        dt.date(2025, 9, 4),
        "Talks stalled on Aug. 18, officials said.",
        10,
        51,
        headline=H1,
    )
    b = replace(a, quote="They left.", start=52, end=62, role="context")
    c = Citation(
        "001_542048fe70756bff", dt.date(2025, 9, 5), "Talks went on.", 0, 14, "conflicting_report", H2, "AP"
    )
    text = f"{a.quote} [1] {b.quote} [2]\nReports differ. A conflicting report “{H2}” (2025-09-05): {c.quote} [3]"
    return Answer("What happened?", text, False, (a, b, c))


def test_sources_appear_once_as_cards_grouped_by_article():
    ans = _three()
    assert source_groups(ans.citations) == [[1, 2], [3]]
    md = format_markdown(ans)
    assert md.count("Talks stalled on Aug. 18, officials said.") == 1
    assert f"- [1][2] **{H1}**, 2025-09-04\n- [3] **{H2}**, 2025-09-05, AP (conflicting report)" in md
    assert "000_" not in md and "001_" not in md
    content = format_content(ans)
    assert f"- [1][2] {H1}, 2025-09-04\n- [3] {H2}, 2025-09-05, AP (conflicting report)" in content
    assert "000_" not in content and "**" not in content.replace("**Sources**", "")


def test_copy_gives_numbered_sources_with_headline_date_and_quote_and_no_html_or_stray_backslash():
    text = format_copy(_three())
    assert "1. Kyiv talks stall, 2025-09-04: “Talks stalled on Aug. 18, officials said.”" in text
    assert "2. Kyiv talks stall, 2025-09-04 (context): “They left.”" in text
    assert "3. Paris summit ends, 2025-09-05, AP (conflicting report): “Talks went on.”" in text
    assert "<" not in text and not re.search(r"\\[^\\`*_{}\[\]<>()#+\-!|~&]", text)
    assert "Aug. 18," in text  # plain punctuation as typed


def test_a_digest_renders_as_a_bulleted_list_of_quotes_with_markers():
    cites = tuple(
        Citation(f"a{i}", dt.date(2025, 9, 4 + i), q, 0, len(q), "digest", f"Headline {i}")
        for i, q in enumerate(["Leaders met in Paris.", "- 26 countries offered troops.", "Talks end."])
    )
    from rag.answer.compose import answer_text

    ans = Answer("Summarize the Paris summit", answer_text(cites), False, cites)
    md = format_markdown(ans)
    assert md.startswith(
        "- Leaders met in Paris. [1]\n- \\- 26 countries offered troops. [2]\n- Talks end. [3]"
    )
    items = re.findall(r"<li>(.*?)</li>", _MD.render(md), re.S)
    assert items[:3] == ["Leaders met in Paris. [1]", "- 26 countries offered troops. [2]", "Talks end. [3]"]
