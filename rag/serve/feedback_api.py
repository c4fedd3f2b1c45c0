"""``POST /v1/feedback``: a thumbs up or down (and an optional comment) on an answer.

The body carries the answer as the client received it (the ``/v1/answer`` reply, or the ``rag``
field of a chat completion); its citations are checked against the articles before the rating is
stored (``rag.serve.feedback``), so an export never holds a quote the articles do not contain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import anyio
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from rag.errors import BadQuestionError
from rag.protocols import AnswerService
from rag.serve.feedback import MAX_COMMENT, FeedbackStore
from rag.serve.schemas import CitationModel, _Body
from rag.text.headline import headline
from rag.types import Answer, Citation


class RatedAnswer(BaseModel):
    """The answer being rated, as returned by the API (fields not listed here are ignored)."""

    model_config = ConfigDict(extra="ignore")
    question: StrictStr = Field(min_length=1, max_length=2000)
    answer: StrictStr = Field(max_length=20000)
    abstained: StrictBool
    citations: list[CitationModel] = Field(default_factory=list, max_length=20)
    rewritten_question: StrictStr | None = None


class FeedbackRequest(_Body):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "rating": "down",
                    "comment": "Quoted Merezhko, not the air support sentence",
                    "answer": {"question": "What did he offer instead?", "answer": "...", "abstained": False,
                               "citations": []},
                }
            ]
        },
    )  # fmt: skip
    rating: Literal["up", "down"]
    comment: StrictStr = Field(
        default="", max_length=MAX_COMMENT, description="Optional: what was wrong or right"
    )
    answer: RatedAnswer = Field(description="The answer rated, exactly as the API returned it")


class FeedbackStored(BaseModel):
    id: int = Field(description="The rating's id in the feedback file")


def to_answer(rated: RatedAnswer, service: AnswerService) -> Answer:
    """The domain answer, each citation checked to be verbatim in its article."""
    cites = []
    for i, c in enumerate(rated.citations):
        art = service.article(c.article_id)
        if art is None or art.text[c.start : c.end] != c.quote:
            raise BadQuestionError(
                f"answer.citations.{i} is not the text of article {c.article_id!r} at [{c.start}, {c.end}): "
                "send the citations exactly as the API returned them"
            )
        cites.append(
            # the article's own date and headline, not the client's
            Citation(c.article_id, art.published, c.quote, c.start, c.end, c.role, headline(art.text))
        )
    return Answer(
        rated.question,
        rated.answer,
        rated.abstained,
        tuple(cites),
        rewritten_question=rated.rewritten_question,
    )


def feedback_router(
    service: AnswerService, store: FeedbackStore, errors: Callable[..., dict[int | str, dict[str, Any]]]
) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/feedback",
        status_code=201,
        response_model=FeedbackStored,
        summary="Rate an answer (thumbs up/down, optional comment)",
        description="Stored durably in a local SQLite file (RAG_FEEDBACK_PATH, default beside the index) with "
        "the question, answer, citations and the server's configuration fingerprint; "
        "`rag feedback export` writes them as JSONL.",
        responses=errors(400, 401, 413, 422, 500, 503),
    )
    async def feedback(req: FeedbackRequest) -> JSONResponse:
        def store_it() -> int:
            answer = to_answer(req.answer, service)
            return store.add(req.rating, answer, service.fingerprint(), req.comment, channel="api")

        fid = await anyio.to_thread.run_sync(store_it)
        return JSONResponse({"id": fid}, status_code=201)

    return router
