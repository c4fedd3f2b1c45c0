"""Is a question in English? (rag.text.language) and what the assistant then says (rag.answer.notices)."""

import json
from pathlib import Path

import pytest

from rag.answer.notices import english_only_notice
from rag.text.language import (
    ENGLISH_ONLY,
    ENGLISH_ONLY_IN,
    FUNCTION_WORDS,
    english_only_message,
    question_language,
)

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Що сказав Макрон?", "uk"),
        ("Скільки країн готові надіслати війська?", "uk"),
        ("Что сказал Макрон?", "ru"),
        ("Qu'a dit Macron sur les garanties de sécurité ?", "fr"),
        ("Combien de pays sont prêts à envoyer des troupes ?", "fr"),
        ("Was sagte Macron über die Sicherheitsgarantien?", "de"),
        ("¿Qué dijo Macron sobre las garantías?", "es"),
        ("Cosa ha detto Macron sulle garanzie?", "it"),
        ("O que disse Macron sobre as garantias?", "pt"),
        ("Τι είπε ο Μακρόν;", "greek"),
        ("马克龙说了什么？", "cjk"),
        ("Макрон?", "cyrillic"),  # Cyrillic, but nothing tells Ukrainian from Russian
    ],
)
def test_a_question_in_another_language_is_recognised(question, language):
    assert question_language(question) == language


@pytest.mark.parametrize(
    "question",
    [
        "What did Macron say about la Défense?",  # a French name in an English question
        "What did Зеленський say?",  # a name in Cyrillic
        "Macron?",
        "When?",
        "Zelensky",
        "Was the summit held in Paris?",  # "was" is German too
        "Que sera sera: what did the song say?",
        "",
    ],
)
def test_english_questions_with_foreign_names_or_words_stay_english(question):
    assert question_language(question) == "en"


def test_no_labelled_eval_question_is_taken_for_another_language():
    questions = [json.loads(line)["question"] for line in (ROOT / "eval" / "questions.jsonl").open()]
    assert len(questions) > 60
    assert [q for q in questions if question_language(q) != "en"] == []


def test_the_word_lists_stay_small_and_share_nothing_with_english():
    for lang, words in FUNCTION_WORDS.items():
        assert 10 <= len(words) <= 60, lang
        if lang not in ("en", "de"):  # German "was" is the one shared word, and it needs a second
            assert not words & FUNCTION_WORDS["en"], (lang, words & FUNCTION_WORDS["en"])


def test_the_message_says_english_only_and_repeats_it_in_the_user_s_language():
    uk = english_only_message("uk")
    assert uk.startswith("This question looks like Ukrainian. " + ENGLISH_ONLY)
    assert uk.endswith(ENGLISH_ONLY_IN["uk"]) and "англійською" in uk
    assert english_only_message("greek") == ENGLISH_ONLY  # only the script is known: English alone
    assert english_only_notice("What did Trump rule out?") == ""
    assert "qu'en anglais" in english_only_notice("Qu'a dit Macron sur les garanties ?")
