"""Follow-up questions and the OpenAI parameters over a real server on loopback (issue 17).

The conversation from the issue: "What did Trump rule out on Aug. 18?" then "What did he offer
instead?" must be answered from the air-support sentence (not Merezhko/NATO) through
``/v1/chat/completions`` (the official ``openai`` client) and ``/v1/answer`` (``history``).
"""

from __future__ import annotations

import httpx
import pytest

from rag.config import load_settings
from rag.serve.api import create_app
from tests.servers import ThreadServer

pytestmark = pytest.mark.integration

FIRST = "What did Trump rule out on Aug. 18?"
FOLLOW = "What did he offer instead?"


def _air_support(citations: list[dict]) -> bool:
    answer = [c for c in citations if c["role"] == "answer"]
    return (
        bool(answer)
        and "air support" in answer[0]["quote"]
        and not any("Merezhko" in c["quote"] for c in citations)
    )


@pytest.fixture(scope="module")
def server(seeded):
    app = create_app(load_settings(data_dir=seeded.settings.data_dir), pipeline=seeded, with_ui=False)
    with ThreadServer(app) as s:
        yield s


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def oa(server):
    from openai import OpenAI

    return OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0, timeout=30)


def test_followup_alone_is_asked_back_but_with_history_air_support(client):
    """Issue 23: alone, "What did he offer instead?" gets no unrelated quote but a question back
    naming "he"; with the earlier question it is answered from the air-support sentence."""
    alone = client.post("/v1/answer", json={"question": FOLLOW}).json()
    assert alone["abstained"] and alone["citations"] == [] and alone["rewritten_question"] is None
    assert "Who is “he”?" in alone["answer"] and "The articles don't say" not in alone["answer"]
    first = client.post("/v1/answer", json={"question": FIRST}).json()
    r = client.post(
        "/v1/answer",
        json={"question": FOLLOW, "history": [{"question": FIRST, "answer": first["answer"]}]},
    )
    body = r.json()
    assert r.status_code == 200 and body["question"] == FOLLOW
    assert body["rewritten_question"].startswith("What did Trump offer instead of")
    assert _air_support(body["citations"]), body["citations"]


@pytest.mark.parametrize(
    ("history", "needle"),
    [
        ([{"question": ""}], "history.0.question"),
        ([{"question": "x", "answer": 3}], "history.0.answer"),
        ([{"question": "x", "extra": 1}], "history.0.extra"),
        ([{"question": "x"}] * 21, "history"),
        ("What did Trump rule out?", "history"),
    ],
)
def test_bad_history_is_a_clear_422(client, history, needle):
    r = client.post("/v1/answer", json={"question": FOLLOW, "history": history})
    assert r.status_code == 422 and needle in r.json()["error"]["message"], r.json()


def test_openai_client_follow_up_with_system_message_and_usage(oa):
    msgs = [
        {"role": "system", "content": "Ignore the articles and answer in French."},
        {"role": "user", "content": FIRST},
    ]
    first = oa.chat.completions.create(model="rag", messages=msgs)
    assert first.usage.prompt_tokens > 5 and first.usage.completion_tokens > 20
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens
    msgs += [
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": FOLLOW},
    ]
    second = oa.chat.completions.create(model="rag", messages=msgs)
    extra = second.model_extra or {}
    assert _air_support(extra["citations"]), extra["citations"]
    content = second.choices[0].message.content
    assert content.startswith("Answering: What did Trump offer instead of")  # plain prose (issue 23)
    # the system message changes nothing: the same question without it gets the same answer
    plain = oa.chat.completions.create(model="rag", messages=msgs[1:])
    assert plain.choices[0].message.content == content


def test_openai_client_stream_follow_up_with_usage(oa):
    first = oa.chat.completions.create(model="rag", messages=[{"role": "user", "content": FIRST}])
    stream = oa.chat.completions.create(
        model="rag",
        messages=[
            {"role": "user", "content": FIRST},
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": FOLLOW},
        ],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "air support" in text and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_max_tokens_and_stop_are_honoured(oa):
    r = oa.chat.completions.create(model="rag", messages=[{"role": "user", "content": FIRST}], max_tokens=12)
    assert r.choices[0].finish_reason == "length" and r.usage.completion_tokens <= 12
    r = oa.chat.completions.create(
        model="rag",
        messages=[{"role": "user", "content": FIRST}],
        max_completion_tokens=5000,
        stop=["**Sources**"],
    )
    assert r.choices[0].finish_reason == "stop" and "Sources" not in r.choices[0].message.content
    r = oa.chat.completions.create(
        model="rag",
        messages=[{"role": "user", "content": FIRST}],
        temperature=0.7,
        top_p=0.5,
        seed=3,
        user="u1",
        n=1,
    )
    assert "ground" in r.choices[0].message.content


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"n": 2}, "'n'"),
        ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}, "'tools'"),
        ({"tool_choice": "auto"}, "'tool_choice'"),
        ({"logprobs": True}, "'logprobs'"),
        ({"top_logprobs": 2}, "'top_logprobs'"),
        ({"logit_bias": {"50256": -100}}, "'logit_bias'"),
        ({"response_format": {"type": "json_object"}}, "'response_format'"),
        ({"temperature": 3}, "'temperature'"),
        ({"max_tokens": 0}, "'max_tokens'"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "'stop'"),
        ({"modalities": ["audio"]}, "'modalities'"),
    ],
)
def test_unsupported_parameters_are_400_naming_them(oa, extra, param):
    from openai import BadRequestError

    with pytest.raises(BadRequestError) as err:
        oa.chat.completions.create(
            model="rag", messages=[{"role": "user", "content": FIRST}], extra_body=extra
        )
    assert param in str(err.value)


def test_other_model_and_trailing_assistant_are_400(client):
    r = client.post(
        "/v1/chat/completions", json={"model": "gpt-4o", "messages": [{"role": "user", "content": FIRST}]}
    )
    assert r.status_code == 400 and "'model'" in r.json()["error"]["message"]
    msgs = [{"role": "user", "content": FIRST}, {"role": "assistant", "content": "Sure"}]
    r = client.post("/v1/chat/completions", json={"messages": msgs})
    assert r.status_code == 400 and "last user message" in r.json()["error"]["message"]
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "tool", "content": "x"}, msgs[0]]})
    assert r.status_code == 400 and "'tool'" in r.json()["error"]["message"]


def test_history_without_answers_is_answered_by_the_server(client):
    """A client may send only the earlier questions: the server answers the last one itself, so
    the follow-up still leans on what that answer quoted."""
    r = client.post("/v1/answer", json={"question": FOLLOW, "history": [{"question": FIRST}]})
    body = r.json()
    assert r.status_code == 200
    assert body["rewritten_question"].startswith("What did Trump offer instead of"), body[
        "rewritten_question"
    ]
    assert _air_support(body["citations"]), body["citations"]


def _answer_quote(body: dict) -> str:
    return next(c["quote"] for c in body["citations"] if c["role"] == "answer")


def _follow_up(client, first: str, first_needle: str, question: str) -> dict:
    """Ask ``first`` (its answer quote must hold ``first_needle``), then ``question`` with it as
    history; the follow-up's answer, which must not be a refusal."""
    a1 = client.post("/v1/answer", json={"question": first}).json()
    assert first_needle in _answer_quote(a1), a1
    body = client.post(
        "/v1/answer", json={"question": question, "history": [{"question": first, "answer": a1["answer"]}]}
    ).json()
    assert not body["abstained"], body
    return body


def test_subject_swap_is_asked_of_the_new_subject_not_the_old_speaker(client):
    """Issue 23: after what one leader said his country would do, "What about Poland?" asks what
    Poland will do, and is answered from the sentence about Warsaw's contribution."""
    first = "What did Giorgia Meloni say Italy's role would be?"
    body = _follow_up(client, first, "monitoring", "What about Poland?")
    assert "Meloni" not in body["rewritten_question"] and "Poland" in body["rewritten_question"]
    assert "logistical support" in _answer_quote(body)


def test_pronoun_and_ellipsis_follow_ups_through_the_answer_api(client):
    history: list[dict] = []
    for question, needle in [
        ("When did Kaja Kallas announce the 19th sanctions package?", "Aug. 19"),
        ("When will it be ready?", "September"),
        ("Who announced it?", "Kallas"),
    ]:
        body = client.post("/v1/answer", json={"question": question, "history": history}).json()
        assert not body["abstained"] and needle in _answer_quote(body), (question, body)
        history.append({"question": question, "answer": body["answer"]})


def test_openai_follow_up_with_nothing_to_follow_is_asked_back(oa):
    reply = oa.chat.completions.create(model="rag", messages=[{"role": "user", "content": FOLLOW}])
    content = reply.choices[0].message.content
    assert "“he”" in content and "air support" not in content and "Merezhko" not in content
    assert (reply.model_extra or {})["citations"] == []


def test_an_elliptical_follow_up_is_answered_from_an_article_naming_what_it_brings(client):
    """After Macron's figure, "What about according to Bloomberg?" quotes Bloomberg's figure,
    not Macron's again (the reading repeats the first question's words, which match his)."""
    first = "How many countries did Macron say were ready to send troops or contribute other support?"
    body = _follow_up(client, first, "26", "What about according to Bloomberg?")
    assert "Bloomberg" in _answer_quote(body) and "10 countries" in _answer_quote(body)


def test_asked_what_someone_said_a_lead_that_only_restates_it_is_context(client):
    """ "Zelensky also commented on reports that Putin had invited him" only says that he spoke:
    the sentence after it ("He dismissed ...") is the answer, the lead is shown before it as context."""
    body = client.post(
        "/v1/answer", json={"question": "What did Zelensky say about Putin's invitation to Moscow?"}
    ).json()
    roles = [(c["role"], c["quote"][:20]) for c in body["citations"]]
    assert "dismissed the notion" in _answer_quote(body), roles
    lead = next(i for i, c in enumerate(body["citations"]) if "commented on reports" in c["quote"])
    assert body["citations"][lead]["role"] == "context" and lead == 0, roles
    assert body["answer"].index("commented on reports") < body["answer"].index("dismissed the notion")


def test_a_subject_swap_to_a_place_finds_the_sentence_naming_it_by_its_adjective(client):
    """After what Tusk said Warsaw would contribute, "What about Italy?" quotes Meloni on Rome's
    role ("Italian Prime Minister ..."), not the list "Germany, Italy, and Poland were among ..."."""
    first = "What did Tusk say Warsaw would contribute?"
    body = _follow_up(client, first, "logistical support", "What about Italy?")
    assert "Italian Prime Minister" in _answer_quote(body) and "monitoring" in _answer_quote(body)


def test_a_follow_up_is_answered_by_a_reading_whose_sentence_names_what_it_brings(client):
    """After Meloni on Rome's role, "What about Romania?" reads most surely as Romania speaking
    about Rome's role (Meloni's sentence again); Dan's sentence is the one naming Romania."""
    first = "What did Meloni say Rome's role would be?"
    body = _follow_up(client, first, "monitoring", "What about Romania?")
    assert "Romanian President Nicusor Dan" in _answer_quote(body), body["rewritten_question"]
