"""Follow-up detection and rewriting without an LLM (rag.answer.followup, rag.answer.rewrite_llm)."""

import datetime as dt

import pytest

from rag.answer.followup import (
    RuleRewriter,
    answer_phrase,
    candidates,
    choose,
    clarification,
    keeps_names,
    leans_on_history,
    names,
    quotes_word,
    resolve_history,
    rule_rewrite,
)
from rag.answer.rewrite_llm import LLMRewriter, accept_llm_rewrite
from rag.types import Answer, Citation, Turn

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


# ------------------------------------------------------------------ issue 23: shapes, by what they refer to
def fake_similar(pairs: dict[frozenset[str], float]):
    """A FAKE embedding similarity: the listed pairs, 0.1 for any other."""
    return lambda a, b: pairs.get(frozenset((a, b)), 0.1)


def test_subject_swap_drops_the_speaker_and_asks_what_the_new_subject_does():
    macron = Turn("What did Macron say France would do?")
    similar = fake_similar({frozenset(("Poland", "France")): 0.8, frozenset(("Poland", "Macron")): 0.3})
    got = candidates("What about Poland?", [macron], similar)
    assert got[0] == "What would Poland do?"
    assert "What did Macron say Poland would do?" in got  # the other reading is still offered
    assert not any("What did Macron say about Poland" in c for c in got)


def test_a_new_speaker_replaces_the_speaker_on_the_same_topic_first():
    """The topic the old speaker spoke about stays ("about sanctions", "about Russia": a topic, not
    a place adjunct); what the new speaker said at all is the fallback reading."""
    similar = fake_similar({frozenset(("Trump", "Macron")): 0.9})
    got = candidates("What about Trump?", [Turn("What did Macron say about sanctions?")], similar)
    assert got[0] == "What did Trump say about sanctions?" and "What did Trump say?" in got
    got = candidates("What about Zelensky?", [Turn("What did Macron say about Russia?")])
    assert got[:2] == ["What did Zelensky say about Russia?", "What did Zelensky say?"]


@pytest.mark.parametrize(
    ("question", "previous", "expected"),
    [
        ("And the 19th package?", "When did the EU approve its previous sanctions package?", "When did the EU approve the 19th package?"),
        ("And by video link?", "Who will physically attend the summit?", "Who will attend the summit by video link?"),
        ("And from the Carpathian Mountains?", "How far is Warsaw from the Baltic Sea?", "How far is Warsaw from the Carpathian Mountains?"),
        ("And on Aug. 18?", "What did Trump say on August 20?", "What did Trump say on Aug. 18?"),
        ("And in August?", "What did Macron say in Paris on September 3?", "What did Macron say in August?"),
        ("And in 2005?", "Who bought the FSO Car Factory in 1995?", "Who bought the FSO Car Factory in 2005?"),
        ("And from Britain?", "Which political geographer from Germany supported imperialism?", "Which political geographer from Britain supported imperialism?"),
        ("And the Danish one?", "Which Finnish leader will attend the summit in Paris?", "Which Danish leader will attend the summit?"),
        ("And the Polish one?", "Who is the Italian prime minister?", "Who is the Polish prime minister?"),
        ("How many are occupied by elected MSPs?", "How many seats are there in the debating chamber?", "How many seats are occupied by elected MSPs?"),
        ("On which country?", "What tariff did the Trump administration impose over Russian oil purchases?", "On which country did the Trump administration impose the tariff over Russian oil purchases?"),
        ("How long did it actually go on?", "How long was the Warsaw Uprising planned to last?", "How long did the Warsaw Uprising actually go on?"),
        ("How often are they elected?", "How many members does the Warsaw City Council have?", "How often are the members of the Warsaw City Council elected?"),
        ("What are they known as?", "How many MSPs are elected to represent constituencies?", "What are the MSPs that are elected to represent constituencies known as?"),
        ("Who announced that?", "When did the EU approve the 19th package?", "Who announced the 19th package?"),
    ],
)  # fmt: skip
def test_follow_up_shapes(question, previous, expected):
    assert candidates(question, [Turn(previous)])[0] == expected


def test_source_swap_asks_the_reported_clause_of_the_new_source():
    prev = Turn("How many countries did Macron say were ready to send troops?")
    assert candidates("What about according to Bloomberg?", [prev])[0] == (
        "How many countries were ready to send troops, according to Bloomberg?"
    )


def test_bare_question_after_a_who_question_is_a_cleft_on_the_answer():
    prev = Turn("Who defeated Montcalm at Quebec?", "", ("In 1759 James Wolfe defeated Montcalm at Quebec.",))
    assert (
        candidates("In which year?", [prev])[0]
        == "In which year was it that James Wolfe defeated Montcalm at Quebec?"
    )


def test_two_pronouns_of_two_kinds_both_take_their_antecedents():
    prev = Turn(
        "Who is the EU diplomat who announced the 19th sanctions package?",
        "",
        ("EU diplomat Kaja Kallas announced on Aug. 19 that the 19th package is expected in September.",),
    )
    assert candidates("When did she announce it?", [prev])[0] == (
        "When did Kaja Kallas announce the 19th sanctions package?"
    )


def test_a_possessive_phrase_takes_the_place_of_its_owner():
    similar = fake_similar({frozenset(("metropolitan area", "Warsaw")): 0.7})
    got = candidates("And its metropolitan area?", [Turn("What is the population of Warsaw?")], similar)
    assert got[0] == "What is the population of Warsaw’s metropolitan area?"


@pytest.mark.parametrize(
    "question",
    [
        "Where was Chopin born?",
        "Who is Poland's prime minister?",
        "Which nations said they would not send troops?",
    ],
)
def test_a_new_standalone_question_is_left_alone(question):
    assert candidates(question, [RULE_OUT]) == [question]


@pytest.mark.parametrize(
    "question",
    [
        "Who published its blueprint for devolution in 1995?",  # the wh-subject owns "its"
        "What did Saudi Arabia try to repress to compensate for its loss of stature?",
        "How long does it take to know the outcome of a division?",  # expletive "it"
        "What aspects of life does Islamism seek to integrate itself into?",  # a reflexive
        "Who is able to legislate on issues that are reserved to Westminster?",  # a relative "that"
        "How much success did this expedition with Braddock find?",  # a determiner
        "How much can the SP alter income tax in Scotland?",
        "Poland?",  # a bare topic: answered as asked
    ],
)
def test_standalone_questions_with_pronouns_get_no_ask_back(question):
    assert clarification(question) is None


@pytest.mark.parametrize(
    ("question", "needle"),
    [
        ("What did he offer instead?", "Who is “he”?"),
        ("When will it be decided?", "What does “it” refer to?"),
        ("What did they say?", "Who or what are “they”?"),
        ("Why?", "“Why?” about what?"),
        ("What about Poland?", "continues an earlier question"),
        ("What did Macron offer instead?", "instead of what"),
    ],
)
def test_a_follow_up_with_nothing_to_follow_is_asked_back_naming_its_word(question, needle):
    msg = clarification(question)
    assert msg is not None and needle in msg and ("no earlier" in msg or "there is none" in msg)
    if "“he”" in needle:
        assert "What did [name] offer instead?" in msg


def test_choose_keeps_the_likely_reading_unless_another_is_clearly_surer():
    def a(conf, abstained=False):
        return Answer("q", "x", abstained, confidence=conf)

    assert choose([a(0.6), a(0.65)]) == 0
    assert choose([a(0.4), a(0.7)]) == 1
    assert choose([a(0.0, True), a(0.3), a(0.35)]) == 1
    assert choose([a(0.0, True), a(0.0, True)]) == 0


def test_choose_prefers_readings_whose_answer_sentence_names_the_new_word():
    """ "What about Romania?" after Meloni on Rome's role: the reading answered with Meloni's
    sentence again comes first and is surer, but only Dan's sentence names Romania."""

    def a(conf, quote, abstained=False):
        cite = Citation("x", dt.date(2025, 9, 5), quote, 0, len(quote), role="answer")
        return Answer("q", quote, abstained, (cite,), confidence=conf)

    meloni = a(0.76, "Italian Prime Minister Giorgia Meloni explained that Rome’s role would be limited.")
    dan = a(0.59, "Romanian President Nicusor Dan indicated that Bucharest was ready to join.")
    words = frozenset({"romania", "romanian"})
    named = [quotes_word(x, words) for x in (meloni, dan)]
    assert named == [False, True]
    assert choose([meloni, dan], named=named) == 1
    assert choose([meloni, dan]) == 0  # without the word, grammar's order holds
    assert choose([meloni, a(0.9, "Nothing here.")], named=[False, False]) == 0  # none names it
    assert choose([meloni, a(0.0, "Romania.", abstained=True)], named=[False, True]) == 0  # abstained


def test_every_candidate_keeps_the_follow_ups_names_and_numbers():
    for q in ["What about Italy?", "And in 2005?", "What did he say about NATO?"]:
        for h in (RULE_OUT, NATIONS, MELONI):
            assert all(keeps_names(q, c) for c in candidates(q, [h])), (q, h.question)


def test_rule_rewriter_gives_candidates_and_the_llm_rewrite_alone_when_accepted():
    assert (
        RuleRewriter()
        .candidates("What did he offer instead?", [RULE_OUT])[0]
        .startswith("What did Trump offer instead of")
    )
    llm = FakeLLM("What did Trump offer instead of ground troops on Aug. 18?")
    assert LLMRewriter(llm).candidates("What did he offer instead?", [RULE_OUT]) == [llm.reply]


def test_new_word_is_the_rarest_indexed_word_an_elliptical_follow_up_brings():
    from rag.answer.followup import new_word

    df = {"accord": 40, "bloomberg": 3, "19th": 2, "packag": 30}.get

    def freq(t: str) -> int:
        return df(t) or 0

    assert new_word("What about according to Bloomberg?", freq) == "bloomberg"
    assert new_word("And the 19th package?", freq) == "19th"
    assert new_word("What about Narnia?", freq) is None  # not indexed: nothing to require
    assert new_word("What did he offer instead?", freq) is None  # not an ellipsis
    assert new_word("Who won the vote in Bloomberg?", freq) is None  # stands alone


def test_mentioning_keeps_hits_from_articles_that_have_the_word():
    """Fake chunks and a fake article index: pure logic of the filter."""
    import datetime as dt

    from rag.answer.followup import mentioning
    from rag.types import Chunk, Hit

    day = dt.date(2025, 9, 4)
    texts = {"a": "Macron said 26 countries are ready.", "b": "About 10 are ready, Rome said.", "c": "Rome."}
    arts = {"a": frozenset({"macron", "26"}), "b": frozenset({"bloomberg", "itali", "10"}), "c": frozenset()}
    hits = [Hit(Chunk(a, day, 0, 0, len(t), t, "d"), 1.0) for a, t in texts.items()]

    def article_tokens(article_id: str) -> frozenset[str]:
        return arts[article_id]

    assert [h.chunk.article_id for h in mentioning(hits, "itali", article_tokens)] == ["b"]
    assert [h.chunk.article_id for h in mentioning(hits, "narnia", article_tokens)] == [
        "a",
        "b",
        "c",
    ]  # none: all


def test_a_modifier_and_head_replace_the_same_shaped_tail_of_a_longer_phrase():
    """ "What about rococo architecture?" parallels "mannerist architecture", not the whole "the
    most interesting examples of mannerist architecture"; a phrase with an article still replaces
    the whole noun phrase."""
    q = "What are the most interesting examples of mannerist architecture in Warsaw?"
    first = candidates("What about rococo architecture?", [Turn(q)])[0]
    assert first == "What are the most interesting examples of rococo architecture?"
    q2 = "When did the EU approve its previous sanctions package?"
    assert candidates("And the 19th package?", [Turn(q2)])[0] == "When did the EU approve the 19th package?"


@pytest.mark.parametrize(
    ("prev", "follow", "reading", "never"),
    [
        (
            "How many soldiers are the United Kingdom and France ready to send?",
            "What about Italy?",
            "How many soldiers are Italy and France ready to send?",
            ("Italy Kingdom", "the Italy"),
        ),
        (
            "What did Trump say the U.S. could provide?",
            "What about Romania?",
            "What could Romania provide?",
            ("Romania.", "the Romania"),
        ),
        (
            "What did the Italian premier say?",
            "What about Polish?",
            "What did the Polish premier say?",
            ("Polish premier premier",),
        ),
    ],
)
def test_a_name_is_replaced_whole_with_its_determiner_and_full_stop(prev, follow, reading, never):
    readings = candidates(follow, [Turn(prev, "x")])
    assert reading in readings, readings
    assert not any(n in r for r in readings for n in never), readings


def test_a_possessive_ellipsis_stands_for_the_name():
    readings = candidates("And Poland's?", [Turn("What would Italy's role be?", "x")])
    assert "What would Poland's role be?" in readings
    assert not any("'s's" in r or "Poland's do" in r for r in readings), readings


def test_an_ellipsis_with_its_own_source_puts_the_source_last_in_place_of_the_old_one():
    readings = candidates(
        "And Romania, according to Dan?", [Turn("What will Italy do, according to Meloni?", "x")]
    )
    assert readings[0] == "What will Romania do, according to Dan?"
    assert not any("Meloni" in r or "Romania, according" in r for r in readings), readings


@pytest.mark.parametrize(
    ("follow", "prev", "reading"),
    [
        ("Same question for Poland.", "What is Romania ready to join?", "What is Poland ready to join?"),
        ("And for Romania?", "What did Meloni say Italy's role would be?", "What would Romania's role be?"),
        (
            "What about Macron on Sept. 3?",
            "What did Trump tell CBS News on Sept. 3?",
            "What did Macron say on Sept. 3?",
        ),
        ("And Trump on Aug. 18?", "What did Macron say on Sept. 3?", "What did Trump say on Aug. 18?"),
        (
            "What about Italy?",
            "What did Tusk tell Macron that Poland would contribute?",
            "What would Italy contribute?",
        ),
        (
            "What about Italy?",
            "What did Tusk tell reporters Poland would contribute?",
            "What would Italy contribute?",
        ),
        (
            "What about Italy?",
            "What did Tusk tell the press that Poland would contribute?",
            "What would Italy contribute?",
        ),
    ],
)
def test_more_ways_of_asking_the_same_of_another(follow, prev, reading):
    assert leans_on_history(follow) == "ellipsis"
    readings = candidates(follow, [Turn(prev, "x")])
    assert reading in readings, readings
    bad = ("News. 3", "on Sept. 3 on", "was it that", "would reporters Italy", "would the press Italy")
    assert not any(b in r for r in readings for b in bad), readings


def test_the_same_thing_said_of_a_place_is_no_follow_up():
    assert leans_on_history("The same thing happened in Poland.") is None


def test_a_name_after_a_who_question_asks_whether_it_did():
    """ "Who will attend the summit physically?" has no name to swap: "What about Witkoff?" asks
    whether he will, instead of "Who will attend Witkoff physically?"."""
    readings = candidates("What about Witkoff?", [Turn("Who will attend the summit physically?", "x")])
    assert readings == ["Will Witkoff attend the summit physically?"]
    # with a name to swap, the swap stays first
    assert candidates("What about Braddock?", [Turn("Who replaced Shirley in January 1756?", "x")])[0] == (
        "Who replaced Braddock?"
    )
