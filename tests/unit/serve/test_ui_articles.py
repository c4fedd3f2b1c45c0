"""Pure pieces of the chat's Articles tab: the withdrawn-citation panel and the list search."""

from rag.serve.ui_articles import matches, withdrawn_html

CIT = {
    "article_id": "a<1>",
    "published": "2025-09-04",
    "quote": "Trump said <script>alert(1)</script> *no*.",
    "start": 10,
    "end": 52,
    "role": "answer",
    "headline": "<b>Talks</b> stall",
}


def test_a_withdrawn_citation_shows_the_saved_quote_escaped_and_labelled():
    page = withdrawn_html(CIT)
    assert "withdrawn" in page and "removed from the collection" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; *no*." in page and "<script>" not in page
    assert "&lt;b&gt;Talks&lt;/b&gt; stall" in page and "a&lt;1&gt;" in page
    assert "chars 10–52" in page


def test_a_replaced_article_marks_the_quote_changed():
    page = withdrawn_html(CIT, changed=True)
    assert ">changed<" in page and "was replaced after the answer" in page and ">withdrawn<" not in page


def test_search_matches_id_headline_or_date_case_insensitively():
    row = ["2025-09-18", "Orsk glassworks hires again", "orsk-glass", 3]
    assert matches(row, "")
    assert matches(row, "GLASSWORKS") and matches(row, "orsk-gl") and matches(row, "2025-09")
    assert not matches(row, "3")  # the chunk count is not searched
    assert not matches(row, "kyiv")
