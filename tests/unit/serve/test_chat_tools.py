"""Conversation export and cut-back (rag.serve.chat_tools), and history from each front end (rag.serve.conversation)."""

import datetime as dt
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.serve.chat_tools import conversation_markdown, copy_data, cut_at, export_file
from rag.serve.conversation import (
    split_quotes,
    turn_from_markdown,
    turns_from_answers,
    turns_from_messages,
    unescape_markdown,
)
from rag.serve.format import escape_markdown, format_content, format_copy, format_markdown
from rag.types import Answer, Citation

CITE = Citation("a1", dt.date(2025, 9, 4), "Trump said [it](http://x) could <b>help</b>.", 5, 45)
ANS = Answer(
    "What did he say?", f"{CITE.quote} [1]", False, (CITE,), rewritten_question="What did Trump say?"
)


def test_markdown_export_has_questions_rewrites_quotes_and_numbered_sources():
    md = conversation_markdown([ANS.to_json()])
    assert md.startswith("# Conversation\n\n## 1. What did he say?\n")  # plain punctuation stays
    assert "Answering: What did Trump say?" in md
    # the numbered source: headline (here none: the date), date and quote; never the id
    assert f"1. 2025-09-04: “{escape_markdown(CITE.quote, line_start=False)}”" in md and "a1" not in md
    assert not re.search(r"[^\\]\]\(|[^\\]<b>", md) and "\\<b>help" in md
    assert conversation_markdown([]) == "# Conversation\n\n(no questions yet)\n"
    assert export_file([]) is None


def test_copy_data_holds_each_answer_and_the_conversation_as_clean_text():
    data = json.loads(copy_data([ANS.to_json()]))
    assert data["answers"] == [format_copy(ANS)] and data["conversation"] == conversation_markdown(
        [ANS.to_json()]
    )
    assert "<span" not in data["answers"][0] and json.loads(copy_data([])) == {
        "answers": [],
        "conversation": "",
    }


def test_cut_at_drops_the_question_and_everything_after():
    history = [{"role": r, "content": str(i)} for i, r in enumerate(["user", "assistant"] * 3)]
    answers = [{"n": 0}, {"n": 1}, {"n": 2}]
    assert cut_at(2, history, answers) == (history[:2], answers[:1])
    assert cut_at(5, history, answers) == (history[:4], answers[:2])  # an answer's index: its question


def test_our_markdown_reads_back_as_the_same_turn():
    for render in (format_markdown, format_content):  # the chat's and the OpenAI content
        turn = turn_from_markdown("What did he say?", render(ANS))
        assert turn.quotes == (CITE.quote,) and CITE.quote in turn.answer and "Answering" not in turn.answer
    assert unescape_markdown(escape_markdown("a <b> [x](y) & \\ z")) == "a <b> [x](y) & \\ z"
    assert split_quotes("A. [1] B. [2]") == ("A.", "B.")


def test_messages_become_turns_and_the_last_user_message_is_the_question():
    msgs = [("user", "Q1"), ("assistant", format_content(ANS)), ("user", "Q2"), ("user", "Q3")]
    question, turns = turns_from_messages(msgs)
    assert (
        question == "Q3" and [t.question for t in turns] == ["Q1", "Q2"] and turns[0].quotes == (CITE.quote,)
    )
    assert turns_from_messages([("assistant", "x")]) == ("", [])


def test_answers_json_gives_the_rewritten_question_and_answering_quotes_first():
    ctx = Citation("a1", dt.date(2025, 9, 4), "Before.", 0, 7, role="context")
    data = Answer("Q?", "x", False, (ctx, CITE), rewritten_question="Full Q?").to_json()
    (turn,) = turns_from_answers([data])
    assert turn.question == "Full Q?" and turn.quotes == (CITE.quote, "Before.")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(st.characters(codec="utf-8", exclude_categories=("Zs", "Zl", "Zp", "Cc")), min_size=1),
        max_size=8,
    ).map(" ".join)
)
def test_history_reads_escaped_text_back_as_it_was(text):
    assert unescape_markdown(escape_markdown(text)) == text


def test_history_reads_back_code_spans_escapes_and_entities():
    for text in ("&amp; AT&T", "`x@y.z", "www.a`", "_http://a 1http://b x@y.z+x@y.z", "a\\*b\\"):
        assert unescape_markdown(escape_markdown(text)) == text, text
    assert (
        unescape_markdown("&lt;b&gt; \\&amp;") == "<b> &amp;"
    )  # older replies' entities; an escaped one stays
