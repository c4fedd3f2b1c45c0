"""Follow-up detection and rewriting without an LLM (rag.answer.followup, rag.answer.rewrite_llm)."""

import pytest

from rag.answer.followup import (
    RuleRewriter,
    candidates,
    answer_phrase,
    keeps_names,
    leans_on_history,
    names,
    resolve_history,
    rule_rewrite,
)
from rag.answer.rewrite_llm import LLMRewriter, accept_llm_rewrite
from rag.types import Turn

AIR = "At that time, Trump said the U.S. could provide air support but ruled out deploying American ground forces."
RULE_OUT = Turn("What did Trump rule out on Aug. 18?", f"{AIR} [1]", (AIR,))
NATIONS = Turn(
    "Which nations said they would keep their soldiers out of Ukraine after the summit?",
    "",
    (
        "Following the summit, Italy, Poland, and Romania clarified their positions, stating they would not send troops.",
    ),
)
MELONI = Turn(
    "What role did Giorgia Meloni say Italy would play?", "", ("Rome’s role would be limited to monitoring.",)
)


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("What did he offer instead?", "pronoun 'he'"),
        ("Why did they refuse?", "pronoun 'they'"),
        ("When will it be decided?", "pronoun 'it'"),
        ("What does that mean?", "pronoun 'that'"),
        ("What did Macron offer instead?", "adverb 'instead'"),
        ("And who else?", "adverb 'else'"),
        ("What about Italy?", "ellipsis"),
        ("and Poland?", "ellipsis"),
        ("When?", "bare question"),
        ("Why not?", "bare question"),
    ],
)
def test_dependent_questions_are_detected(question, reason):
    assert leans_on_history(question) == reason


@pytest.mark.parametrize(
    "question",
    [
        "What did Trump rule out on Aug. 18?",
        "Who is Macron?",
        "How many countries are ready to send troops?",
        "Is it true that Trump ruled out troops?",  # an expletive "it"
        "It is said that Macron met Zelensky: when?",
        "Which countries will not send troops?",
        "What did Macron say that Italy would do?",  # "that" as a conjunction
        "",
    ],
)
def test_standalone_questions_are_not_dependent(question):
    assert leans_on_history(question) is None


def test_the_issue_conversation_is_rewritten_from_the_answer_quote():
    assert rule_rewrite("What did he offer instead?", [RULE_OUT]) == (
        "What did Trump offer instead of deploying American ground forces on Aug. 18?"
    )


@pytest.mark.parametrize(
    ("question", "history", "expected"),
    [
        ("Why?", [RULE_OUT], "Why did Trump rule out deploying American ground forces on Aug. 18?"),
        ("Why did they refuse?", [NATIONS], "Why did Italy, Poland and Romania refuse?"),
        # a new subject replaces the old one, and the speaker who spoke for the old one goes (issue 23)
        ("What about Poland?", [MELONI], "What role would Poland play?"),
        (
            "Who else?",
            [NATIONS],
            "Who else said they would keep their soldiers out of Ukraine after the summit?",
        ),
        ("What did his aides say?", [RULE_OUT], "What did Trump’s aides say on Aug. 18?"),
    ],
)
def test_rewrites(question, history, expected):
    assert rule_rewrite(question, history) == expected


@pytest.mark.parametrize("question", ["Who is Macron?", "How many countries will send troops?", "When?"])
def test_standalone_or_historyless_questions_are_unchanged(question):
    history = [RULE_OUT] if question != "When?" else []
    assert rule_rewrite(question, history) == question


def test_every_rewrite_keeps_the_question_names():
    for q in ["What about Italy?", "What did he say about NATO?", "And Romania?"]:
        for h in (RULE_OUT, NATIONS, MELONI):
            assert keeps_names(q, rule_rewrite(q, [h])), (q, h.question)


def test_names_skip_function_words_and_months():
    assert names("What did Donald Trump tell CBS News on Sept. 3?") == ["Donald Trump", "CBS News"]
    assert names("Following the summit, Italy and Poland agreed.") == ["Italy", "Poland"]


def test_answer_phrase_completes_the_previous_verb():
    assert answer_phrase("What did Trump rule out?", [AIR]) == "deploying American ground forces"
    assert answer_phrase("What did Trump rule out?", []) is None


def test_chains_resolve_through_earlier_rewrites():
    turns = [RULE_OUT, Turn("What did he offer instead?", "", (AIR,))]
    resolved = resolve_history(turns)
    assert resolved[1].question.startswith("What did Trump offer instead of")
    assert "Trump" in RuleRewriter().rewrite("When did he say so?", turns)


class FakeLLM:
    """A FAKE LLM returning a fixed reply (or raising), for the rewrite checks."""

    name = "fake"

    def __init__(self, reply: str | Exception) -> None:
        self.reply = reply
        self.calls = 0

    def complete(self, system: str, user: str) -> str:
        self.calls += 1
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


def test_llm_rewrite_is_used_when_it_keeps_the_names():
    llm = FakeLLM("What did Trump offer instead of ground troops on Aug. 18?")
    assert LLMRewriter(llm).rewrite("What did he offer instead?", [RULE_OUT]) == llm.reply


@pytest.mark.parametrize(
    "reply",
    [
        "What did Macron say?\nAnd more?",
        "Tell me a joke",
        "",
        "x" * 400 + "?",
        "What did Trump give in place of ground troops?",  # lost "offer" and "instead"
        ValueError("down"),
    ],
)
def test_llm_rewrite_falls_back_on_the_rules(reply):
    got = LLMRewriter(FakeLLM(reply)).rewrite("What did he offer instead?", [RULE_OUT])
    assert got == rule_rewrite("What did he offer instead?", [RULE_OUT])


def test_llm_rewrite_must_keep_the_followups_names():
    assert accept_llm_rewrite("What about Italy?", "What role will Poland play?") is None
    assert (
        accept_llm_rewrite("What about Italy?", "“What role will Italy play?”")
        == "What role will Italy play?"
    )


def test_llm_is_not_called_for_a_standalone_question():
    llm = FakeLLM("ignored?")
    assert LLMRewriter(llm).rewrite("Who is Macron?", [RULE_OUT]) == "Who is Macron?"
    assert llm.calls == 0


def test_he_is_a_person_the_answer_named_not_an_acronym():
    envoy = Turn(
        "Who is the U.S. special envoy who attended the Paris talks?",
        "",
        ("According to European Pravda, U.S. special envoy Steve Witkoff also attended the talks.",),
    )
    assert rule_rewrite("When did he leave?", [envoy]) == "When did Steve Witkoff leave?"


def test_ellipsis_with_a_noun_replaces_the_noun_it_is_like():
    """The summit's source went with the summit: the reading without it comes first, the one with
    it is still offered."""
    summit = Turn("When will the summit start, according to BFM TV?")
    assert candidates("And the press conference?", [summit])[:2] == [
        "When will the press conference start?",
        "When will the press conference start, according to BFM TV?",
    ]


def test_answer_phrase_needs_the_question_to_end_on_its_verb():
    assert (
        answer_phrase("What did Zelensky say about the invitation to Moscow?", ["He was invited to Moscow."])
        is None
    )
