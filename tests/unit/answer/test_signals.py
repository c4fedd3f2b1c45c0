"""The pure answer signals: coverage, negation, names, time expressions, answer types; and the
cached forms the fitted answerer computes them through give the same values."""

import pytest

from rag.answer.features import ChunkSignals, QuestionSignals
from rag.answer.question import analyse_question
from rag.answer.signals import (
    answer_type_present,
    capitalised_words,
    constraint_match,
    has_negation,
    idf_coverage,
    is_time_expression,
    missing_weight,
    numbers_in,
    question_constraints,
    rarest_coverage,
    slot_swaps,
)


def test_coverage_and_missing():
    assert idf_coverage({"tax": 2.0, "vote": 1.0}, {"tax"}) == pytest.approx(2 / 3)
    assert idf_coverage({}, {"tax"}) == 0.0
    assert rarest_coverage({"a": 1, "b": 3, "c": 2}, {"b"}, k=2) == 0.5
    assert missing_weight({"tax": 2.0, "vote": 1.0}, {"vote"}) == (1, 2.0)
    assert constraint_match({"1998", "12"}, {"1998"}) == 0.5
    assert constraint_match(set(), {"x"}) == 1.0
    assert constraint_match({"19"}, {"19th", "packag"}) == 1.0  # "the 19th package": "19th" is its token
    assert constraint_match({"19"}, {"1919"}) == 0.0


@pytest.mark.parametrize(
    ("text", "neg"), [("It did not pass", True), ("It didn't pass", True), ("It passed", False), ("", False)]
)
def test_negation(text, neg):
    assert has_negation(text) is neg


def test_names_keep_first_names_and_demonyms():
    assert capitalised_words("Then Brian met the American envoy") == ["brian", "american"]
    c = question_constraints("What did Sean and Dean do with the Americans in 1998?")
    assert {"sean", "dean", "american"} <= c["names"]
    assert c["numbers"] == {"1998"}
    assert numbers_in("In 1998, 1,200 voted") == {"1998", "1200"}


@pytest.mark.parametrize(
    "text", ["built in 1273", "in the 10th century", "during the 1990s", "on Aug. 18", "at 11:30"]
)
def test_time_expressions(text):
    assert is_time_expression(text)


def test_answer_type_present():
    assert answer_type_present("when", "When was it built?", "It was built in 1273.") == 1.0
    assert answer_type_present("when", "What happened in 1273?", "It was built in 1273.") == 0.0
    assert answer_type_present("how_many", "How many died?", "About 40 people died.") == 1.0
    assert answer_type_present("how_many", "How many died?", "People died.") == 0.0
    assert answer_type_present("how_much", "How long did it last?", "It lasted three years.") == 1.0
    assert answer_type_present("who", "Who led it?", "It was led by Brian Smith.") == 1.0
    assert answer_type_present("why", "Why?", "anything") == 0.5


CASES = [
    ("When was it built?", "It was built in 1273."),
    ("What happened in 1273?", "It was built in 1273, the records say."),
    ("When did it happen in 1998?", "In 1998, on Aug. 18, it happened."),
    ("How many died?", "About 40 people died."),
    ("How many died in 2020?", "In 2020 people died."),
    ("How long did it last?", "It lasted three years."),
    ("Who led it?", "It was led by Brian Smith."),
    ("Which city hosted it?", "Then Paris hosted it."),
    ("Where is Warsaw?", "Warsaw lies in Poland."),
    ("Why did it fail?", "Nobody knows."),
]


@pytest.mark.parametrize(("question", "text"), CASES)
def test_cached_signals_equal_the_plain_ones(question, text):
    q = analyse_question(question)
    qs = QuestionSignals.of(q, lambda t: t)
    kind = "who" if q.kind == "what" and question.lower().startswith("which") else q.kind
    assert qs.type_ok(ChunkSignals.of(text), text) == answer_type_present(kind, question, text)


@pytest.mark.parametrize("prev", ["He arrived.", "He arrived", "Reports from the capital", 'He said "yes."'])
@pytest.mark.parametrize(("question", "text"), CASES)
def test_context_names_equal_the_plain_signal(question, text, prev):
    q = analyse_question(question)
    qs = QuestionSignals.of(q, lambda t: t)
    plain = answer_type_present("who", question, prev + " " + text) == 1.0
    assert qs.ctx_names_new(ChunkSignals.of(text), ChunkSignals.of(prev)) is plain


def test_slot_swaps_finds_the_swapped_word() -> None:
    # "Who applies American Union law?" on a paragraph about European Union law: "american" is
    # missing, and the sentence puts "european" between its neighbours "appli" and "union"
    q = ["appli", "american", "union", "law"]
    assert slot_swaps(q, ["appli", "european", "union", "law"], {"american": 3.0}, 6.0) == (1.0, 1.0, 0.5)
    # every question word present: nothing swapped
    assert slot_swaps(q, ["court", "appli", "american", "union", "law"], {"american": 3.0}, 6.0) == (
        0.0,
        0.0,
        0.0,
    )
    # missing words whose question neighbours are missing too: not a swap
    assert slot_swaps(q, ["law", "court"], {"american": 3.0, "appli": 1.0}, 6.0) == (0.0, 0.0, 0.0)
