"""The HTTP API's request and response bodies (pydantic), converted to domain types at the edge."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

from rag.errors import BadQuestionError
from rag.types import TOP_K_MAX, DateRange, Turn


def first_unencodable(value: Any, path: str = "") -> str | None:
    """Where in a decoded JSON value a string (or key) holds a lone surrogate, or None.

    JSON may spell ``"\\ud800"``; Python decodes it to a str that UTF-8 cannot encode, which
    pydantic's ``str`` accepts and tokenizers, Chroma and the response encoder then choke on.
    ``first_unencodable({"q": ["ok", "\\ud800"]})`` -> ``"q.1"``; the whole body is ``"body"``.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "body"
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            where = f"{path}." if path else ""
            if first_unencodable(key) is not None:
                return f"{where}<a key>"
            found = first_unencodable(v, f"{where}{key}")
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = first_unencodable(v, f"{path}.{i}" if path else str(i))
            if found:
                return found
    return None


class _Body(BaseModel):
    """A request body: refused (422) if any string in it, at any depth, cannot be UTF-8 encoded."""

    @model_validator(mode="before")
    @classmethod
    def _encodable(cls, data: Any) -> Any:
        where = first_unencodable(data)
        if where is not None:
            raise ValueError(
                f"{where} holds a lone surrogate (an unpaired \\ud800-\\udfff escape), which is not text: "
                "send valid Unicode"
            )
        return data


class ErrorDetail(BaseModel):
    message: str = Field(description="What was wrong, and how to fix it")
    type: str = Field(
        description="invalid_request | unauthorized | not_found | too_large | rate_limited | "
        "unavailable | internal_error | http_error"
    )
    request_id: str | None = Field(default=None, description="The X-Request-ID of the request")


class ErrorResponse(BaseModel):
    """The body of every error the API returns (OpenAI's shape)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "message": "question is empty",
                        "type": "invalid_request",
                        "request_id": "1f2e3d4c",
                    }
                }
            ]
        }
    )
    error: ErrorDetail


MAX_HISTORY = 20


class HistoryTurn(BaseModel):
    """One earlier exchange: the question asked and (optionally) the answer text returned."""

    model_config = ConfigDict(extra="forbid")
    question: StrictStr = Field(min_length=1, max_length=2000, description="An earlier question, as asked")
    answer: StrictStr = Field(
        default="", max_length=20000, description="Its answer text (`answer` of the reply)"
    )


class AnswerRequest(_Body):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "What did Trump rule out on Aug. 18?"},
                {
                    "question": "What did he offer instead?",
                    "history": [{"question": "What did Trump rule out on Aug. 18?", "answer": "..."}],
                },
                {
                    "question": "How many countries are ready to send troops?",
                    "top_k": 20,
                    "published_from": "2025-09-01",
                    "published_to": "2025-09-30",
                },
            ]
        },
    )
    question: StrictStr = Field(description="The question, in plain words")
    top_k: StrictInt | None = Field(
        default=None, ge=1, le=TOP_K_MAX, description="Chunks to retrieve (default RAG_TOP_K, 30)"
    )
    published_from: dt.date | None = Field(
        default=None, description="Only articles published on/after (YYYY-MM-DD)"
    )
    published_to: dt.date | None = Field(
        default=None, description="Only articles published on/before (YYYY-MM-DD)"
    )
    history: list[HistoryTurn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY,
        description=f"Earlier turns of the conversation, oldest first (at most {MAX_HISTORY}): a follow-up "
        "question ('What did he offer instead?') is rewritten into a standalone one from them, returned "
        "as `rewritten_question`",
    )

    def turns(self) -> list[Turn]:
        from rag.serve.conversation import turns_from_pairs

        return turns_from_pairs([(t.question, t.answer) for t in self.history])

    @model_validator(mode="after")
    def _range(self) -> AnswerRequest:
        self.date_range()  # a reversed range is refused here, as 422, in DateRange's words
        return self

    def date_range(self) -> DateRange:
        try:
            return DateRange.parse(self.published_from, self.published_to, ("published_from", "published_to"))
        except BadQuestionError as e:
            raise ValueError(str(e)) from None


class CitationModel(BaseModel):
    article_id: str
    published: str = Field(description="YYYY-MM-DD")
    quote: str = Field(description="Verbatim: the article text at [start, end)")
    start: int
    end: int
    role: str = Field(
        description="answer | context | corroboration | other_report | other_context | conflicting_report "
        "(a report that contradicts the answer, shown beside it; new roles may be added)"
    )
    headline: str = Field(default="", description="The article's headline, for people to read")


class AnswerSpanModel(BaseModel):
    article_id: str
    start: int
    end: int
    text: str = Field(description="Verbatim: the article text at [start, end), inside the first answer quote")


class AnswerResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "question": "What did Trump rule out on Aug. 18?",
                    "answer": "The meeting followed White House talks on Aug. 18, ... [1] Trump later said ... "
                    "but ruled out deploying U.S. ground troops. [2]",
                    "abstained": False,
                    "citations": [
                        {
                            "article_id": "000_ae23ea00b4c5bd97",
                            "published": "2025-09-04",
                            "quote": "Trump later said Washington could provide air support as part of the commitments, "
                            "but ruled out deploying U.S. ground troops.",
                            "start": 1787,
                            "end": 1912,
                            "role": "answer",
                        }
                    ],
                    "mode": "extractive",
                    "confidence": 0.93,
                    "unverified": [],
                    "llm_error": None,
                    "timings_ms": {"total_ms": 15.2},
                    "answer_span": None,
                }
            ]
        }
    )
    question: str
    answer: str
    abstained: bool
    citations: list[CitationModel]
    mode: Literal["extractive", "generative"]
    confidence: float
    unverified: list[str]
    llm_error: str | None
    timings_ms: dict[str, float]
    answer_span: AnswerSpanModel | None = Field(
        None,
        description="For a question asking for a number, date, duration, person, place or organisation: "
        "the exact answer inside the first answer quote (article offsets, verbatim text); null otherwise",
    )
    rewritten_question: str | None = Field(
        default=None, description="The standalone question answered when the question was a follow-up"
    )


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: StrictStr | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(_Body):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "model": "rag",
                    "messages": [{"role": "user", "content": "What did Trump rule out on Aug. 18?"}],
                }
            ]
        },
    )
    model: str = "rag"
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: StrictBool = False
    max_tokens: StrictInt | None = Field(default=None, description="Cut the content at this many tokens")
    max_completion_tokens: StrictInt | None = Field(default=None, description="Same as max_tokens")
    n: StrictInt | None = Field(default=None, description="1 only (answers are deterministic)")
    stop: StrictStr | list[StrictStr] | None = Field(default=None, description="Cut the content before these")
    temperature: float | None = Field(default=None, description="Accepted, no effect (extractive answers)")
    top_p: float | None = Field(default=None, description="Accepted, no effect (extractive answers)")


class ArticleSummary(BaseModel):
    article_id: str
    published: str
    headline: str = Field(description="The file's first line when it is a headline, else its first sentence")
    title: str = Field(description="The same as headline (kept for older clients)")
    chunks: int


class ArticleModel(BaseModel):
    article_id: str
    published: str
    text: str = Field(description="Exactly the text that citation offsets index")


class Health(BaseModel):
    status: str
    articles: int
    chunks: int
    store: str
    mode: str
    chat: str = Field(
        "off", description="the chat at /: ready, starting (rag serve builds it after the API), failed or off"
    )
