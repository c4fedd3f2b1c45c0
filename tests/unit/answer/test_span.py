"""The exact answer span inside the quoted sentence (pure, no index)."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.answer.span import answer_span, best_span, span_type
from rag.evaluation.span_metrics import span_scores, squad_normalize, token_f1
from rag.types import Answer, Citation


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many countries are ready to send troops?", "number"),
        ("How much did the bridge cost?", "number"),
        ("How long is one term for an elected president of the CJEU?", "duration"),
        ("When was the Imperial Library Directorate established?", "date"),
        ("In what year did the library open?", "date"),
        ("Who reigned over the empire when it was most powerful?", "person"),
        ("Where did the leaders meet?", "place"),
        ("Which country did Japan force into an alliance?", "place"),
        ("Which company bought the factory?", "organisation"),
        ("Why did the talks fail?", None),
        ("What did Trump rule out on Aug. 18?", None),
        ("Did Italy send troops?", None),
    ],
)
def test_span_type_from_the_question(question, kind):
    assert span_type(question) == kind


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # the two failures: a bare year and a duration
        ("When was the Imperial Library Directorate established?",
         "In 1273, the Mongols created the Imperial Library Directorate.", "1273"),
        ("How long is one term for an elected president of the CJEU?",
         "A president is elected by the judges for three years.", "three years"),
        ("When did the empire fall?", "The empire fell in the 10th century after a long war.", "10th century"),
        ("When did Trump speak to CBS News?", "Trump told CBS News on Sept. 3, 2025 that he would not.",
         "Sept. 3, 2025"),
        ("How many countries are ready to send troops?",
         "About 26 countries have pledged to send troops or other support, Macron said.", "26"),
        ("How much was the budget for the bridge?", "The budget was $40 million for the bridge.", "$40 million"),
        ("What percentage voted yes?", "About 52.3% of voters said yes in 2016.", "52.3%"),
        # names the question already says are not the answer (SQuAD-style)
        ("Who is the president of the European Commission?",
         "European Commission President Ursula von der Leyen said on Sept. 4 that it was done.",
         "Ursula von der Leyen"),
        ("Where did the leaders meet?", "The leaders met in Paris on Sept. 4, Macron said.", "Paris"),
        ("What day of the week are elections held?", "Since 1998, elections have been held on a Thursday.",
         "Thursday"),
    ],
)  # fmt: skip
def test_best_span_picks_the_typed_answer(question, sentence, expected):
    found = best_span(question, sentence)
    assert found is not None
    assert sentence[found[0] : found[1]] == expected


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("When did it happen on Aug. 18?", "It happened on Aug. 18."),  # only the question's own date
        ("How many of the 26 countries agreed?", "The 26 countries agreed."),  # only the question's number
        ("Why did the talks fail?", "The talks failed in 2019 in Paris."),  # no typed answer asked
        ("Who met Macron?", "He said nothing."),  # no name at all
        ("", ""),
    ],
)
def test_no_span_when_the_sentence_only_repeats_the_question(question, sentence):
    assert best_span(question, sentence) is None


QUOTE = "A president is elected by the judges for three years."
ARTICLE = "The court sits in Luxembourg. " + QUOTE + " He may be re-elected."
START = ARTICLE.index(QUOTE)


def _answer(question, role="answer", abstained=False):
    cit = Citation("a1", dt.date(2025, 9, 4), QUOTE, START, START + len(QUOTE), role)
    return Answer(question, f"{QUOTE} [1]", abstained, (cit,))


def test_answer_span_has_article_offsets_and_verbatim_text():
    sp = answer_span(_answer("How long is one term of the president?"))
    assert sp is not None and sp.article_id == "a1"
    assert ARTICLE[sp.start : sp.end] == sp.text == "three years"
    assert START <= sp.start < sp.end <= START + len(QUOTE)
    assert answer_span(_answer("How long is one term?", abstained=True)) is None
    assert answer_span(_answer("How long is one term?", role="context")) is None
    assert answer_span(_answer("Why is the president elected?")) is None


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["How many?", "When was it?", "Who said it?", "Where is it?", "How long did it take?"]),
    st.lists(
        st.sampled_from([*"Ab 19Z,.-$%’é\n", "March", " years", "Paris ", "the ", "of "]), max_size=30
    ).map("".join),
)
def test_any_span_is_inside_the_sentence_and_non_empty(question, sentence):
    found = best_span(question, sentence)
    if found is not None:
        s, e = found
        assert 0 <= s < e <= len(sentence)
        assert sentence[s:e].strip() == sentence[s:e]


def test_squad_normalisation_and_f1_match_the_official_script():
    assert squad_normalize("The 10th Century.") == "10th century"
    assert token_f1("three years", "for three years") == pytest.approx(0.8)
    assert token_f1("Paris", "Rome") == 0.0


def test_span_scores_count_exact_overlap_and_missing_spans():
    q = "When was it built?"
    base = {"question": q, "answerable": True, "correct": True, "first_quote": "It was built in 1273 AD."}
    recs = [
        {**base, "gold": ["1273"], "span": [16, 20, "1273"]},  # exact
        {**base, "gold": ["1273 AD"], "span": [16, 20, "1273"]},  # overlaps only
        {**base, "gold": ["1273"], "span": None},  # no span given
        {**base, "question": "Why was it built?", "gold": ["x"], "span": None},  # not a typed question
        {**base, "correct": False, "gold": ["1273"], "span": [0, 2, "It"]},  # wrong sentence: not scored
    ]
    s = span_scores(recs)
    assert s["answer_span_typed"] == 3
    assert s["answer_span_given"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["answer_span_exact"] == 0.5 and s["answer_span_overlap"] == 1.0
