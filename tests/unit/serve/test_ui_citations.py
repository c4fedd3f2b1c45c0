"""The pure parts of the clickable citations: markers, their parsing, the panel for a click."""

import datetime as dt

from rag.serve.ui_citations import (
    answer_of_message,
    chat_markdown,
    choices,
    parse_pick,
    pick,
    select_value,
)
from rag.types import Answer, Article, Citation

TEXT = 'Intro. He said "<img src=x onerror=alert(1)>" & left. End.'
ART = Article("a1", dt.date(2025, 9, 4), TEXT)
A, B = TEXT.index("He"), TEXT.index(" End.")
CIT = Citation("a1", ART.published, TEXT[A:B], A, B)
ANS = Answer("What did he say?", f"{CIT.quote} [1]", False, (CIT,))


def test_marker_carries_answer_number_offsets_and_the_escaped_quote():
    md = chat_markdown(ANS, 3)
    assert f'class="rag-cite rag-a3 rag-n1 rag-s{A} rag-e{B}"' in md
    assert 'title="[1] He said &quot;&lt;img src=x onerror=alert(1)&gt;&quot; &amp; left."' in md
    assert "\\<img" in md and ">[1]</span>" in md  # the article's tag escaped, shown as text
    assert md.count('class="rag-cite rag-a3 rag-n1 ') == 2  # in the answer and on its source card
    assert answer_of_message(md) == 3 and answer_of_message({"text": md}) == 3
    assert answer_of_message("plain") is None


def test_parse_pick_accepts_only_answer_colon_number():
    assert parse_pick("3:2") == (3, 1)
    for bad in (None, "", "x:1", "3:0", "3", "-1:2", "1:2:3", "None:1"):
        assert parse_pick(bad) is None


def test_pick_shows_the_clicked_answer_s_citation():
    answers = [ANS.to_json(), Answer("q2", "The articles don't say.", True).to_json()]
    radio, html, k = pick({"a1": ART}.get, "0:1", answers)
    assert k == 0 and radio == {"choices": choices(answers[0]), "value": choices(answers[0])[0]}
    assert f"data-start='{A}' data-end='{B}'" in html and "&lt;img" in html and "<img" not in html
    radio, html, k = pick({"a1": ART}.get, "1:1", answers)
    assert k == 1 and radio == {"choices": [], "value": None} and "no article says it" in html
    assert pick({"a1": ART}.get, "7:1", answers) == (None, None, None)


def test_clicking_an_answer_selects_its_first_answer_quote_not_its_context():
    ctx = Citation("a1", ART.published, TEXT[:6], 0, 6, "context")
    two = Answer("q", f"{ctx.quote} [1] {CIT.quote} [2]", False, (ctx, CIT))
    answers = [ANS.to_json(), two.to_json()]
    assert select_value(chat_markdown(two, 1), answers) == "1:2"
    assert select_value(chat_markdown(ANS, 0), answers) == "0:1"
    assert select_value("no markers", answers) == "" and select_value(chat_markdown(ANS, 5), answers) == ""
