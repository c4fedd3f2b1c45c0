"""Words for what the assistant cannot do (rag.answer.notices) and sources named by headline (rag.answer.labels)."""

import datetime as dt

from rag.answer.compose import answer_text
from rag.answer.labels import label_sources
from rag.answer.notices import empty_range_message, empty_range_notice, range_words
from rag.types import Answer, Article, ArticleInfo, Citation, DateRange
from tests.fakes import FakeArticleStore

D = dt.date


def test_the_range_is_named_as_people_say_it():
    assert range_words(DateRange(D(2030, 1, 1), D(2030, 12, 31))) == "from 2030-01-01 to 2030-12-31"
    assert range_words(DateRange(D(2030, 1, 1), None)) == "from 2030-01-01 on"
    assert range_words(DateRange(None, D(2020, 1, 1))) == "up to 2020-01-01"
    assert range_words(DateRange(D(2025, 9, 4), D(2025, 9, 4))) == "on 2025-09-04"


def test_an_empty_range_names_itself_and_the_articles_outside_it():
    msg = empty_range_message(DateRange(D(2030, 1, 1), D(2030, 12, 31)), 3, 3, 0)
    assert msg == (
        "No article was published from 2030-01-01 to 2030-12-31 (the date filter). All 3 articles in "
        "the collection are outside it: 3 before 2030-01-01, 0 after 2030-12-31. Widen the range or "
        "clear the date filter."
    )
    assert "The collection is empty" in empty_range_message(DateRange(D(2030, 1, 1), None), 0, 0, 0)
    assert "one article is outside it: 1 after 2020-01-01" in empty_range_message(
        DateRange(None, D(2020, 1, 1)), 1, 0, 1
    )


def test_the_notice_counts_through_the_store_and_is_silent_when_the_range_has_articles():
    store = FakeArticleStore(
        [
            Article("a", D(2025, 9, 4), "One."),
            Article("b", D(2025, 9, 5), "Two."),
            Article("c", D(2026, 1, 1), "3."),
        ]
    )
    assert empty_range_notice(DateRange(), store) == ""
    assert empty_range_notice(DateRange(D(2025, 9, 5), D(2025, 9, 5)), store) == ""
    msg = empty_range_notice(DateRange(D(2025, 10, 1), D(2025, 12, 31)), store)
    assert "All 3 articles" in msg and "2 before 2025-10-01, 1 after 2025-12-31" in msg
    # the calendar's own ends have no day beyond them to count from
    import datetime as dt

    assert "All 3 articles" in empty_range_notice(DateRange(dt.date.min, D(2000, 1, 1)), store)
    assert "All 3 articles" in empty_range_notice(DateRange(D(2030, 1, 1), dt.date.max), store)


def test_sources_get_their_headline_and_outlet_and_the_frame_names_them():
    a = Article("000_ae23ea00b4c5bd97", D(2025, 9, 4), "KYIV (AP) — Talks stalled. Leaders left.")
    b = Article("001_542048fe70756bff", D(2025, 9, 5), "Talks went on. Leaders stayed.")
    infos = {
        x.article_id: ArticleInfo(x.article_id, x.published, h, 2, x.digest)
        for x, h in ((a, "Stall"), (b, "Go on"))
    }
    cites = (
        Citation(a.article_id, a.published, "Talks stalled.", 14, 28),
        Citation(b.article_id, b.published, "Talks went on.", 0, 14, "conflicting_report"),
    )
    ans = Answer("q", answer_text(cites), False, cites)
    out = label_sources(ans, infos, {a.article_id: a, b.article_id: b}.get)
    assert [(c.headline, c.outlet) for c in out.citations] == [("Stall", "AP"), ("Go on", "")]
    assert (
        out.answer
        == "Talks stalled. [1]\nReports differ. A conflicting report “Go on” (2025-09-05): Talks went on. [2]"
    )
    assert "000_" not in out.answer and "001_" not in out.answer
    # a text not in the frame (an LLM's) keeps its words; the citations are still labelled
    llm = Answer("q", "They stalled [1].", False, cites[:1], mode="generative")
    assert label_sources(llm, infos, {a.article_id: a}.get).answer == "They stalled [1]."
