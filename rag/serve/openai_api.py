"""The OpenAI-compatible routes: ``GET /v1/models`` and ``POST /v1/chat/completions``.

The whole ``messages`` list is the conversation: the last user message is the question and the
turns before it resolve follow-ups (``rag.serve.conversation``), the same way as the chat and
``/v1/answer``. What each request parameter does is in ``rag.serve.openai_params``.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from rag.errors import BadQuestionError
from rag.protocols import AnswerService
from rag.serve.conversation import turns_from_messages
from rag.serve.format import format_content
from rag.serve.openai_params import SERVED_MODEL, apply_limits, check_params, usage
from rag.serve.schemas import ChatRequest


def openai_router(
    service: AnswerService, errors: Callable[..., dict[int | str, dict[str, Any]]]
) -> APIRouter:
    """The two routes, to include in the authenticated ``/v1`` router."""
    router = APIRouter()

    @router.get("/models", summary="OpenAI-compatible model list", responses=errors(401, 500))
    async def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": SERVED_MODEL, "object": "model", "created": 0, "owned_by": "newsroom"}],
        }

    @router.post(
        "/chat/completions",
        summary="OpenAI-compatible chat: the last user message is the question, earlier turns its context",
        description="`content` is plain prose with [n] markers and a **Sources** list (headline, date), "
        "readable raw and safe to render as Markdown: only what would become markup in article text is "
        "escaped; `citations[].quote` is the exact article text. Earlier user/assistant "
        "messages resolve a follow-up (`rag.rewritten_question`); system and developer messages are "
        "ignored (the answerer follows no instructions). `usage` counts tokens with the embedding "
        "model's (MiniLM WordPiece) tokenizer. Unsupported parameters (n > 1, tools, logprobs, "
        "response_format other than text, unknown ones) are refused with a 400 naming them.",
        responses=errors(400, 401, 413, 422, 500, 503),
    )
    async def chat(req: ChatRequest) -> Any:
        body = {k: getattr(req, k) for k in req.model_fields_set} | dict(req.model_extra or {})
        options = check_params(body)
        bad = next((m.role for m in req.messages if m.role in ("tool", "function")), None)
        if bad:
            raise BadQuestionError(
                f"messages: role {bad!r} needs tools, which this endpoint does not support"
            )
        pairs = [(m.role, m.text()) for m in req.messages if m.role in ("user", "assistant")]
        if not pairs or pairs[-1][0] != "user":
            raise BadQuestionError(
                "messages has no user message after the last assistant one: the last user message is the question"
                if pairs
                else "messages has no user message: the last user message is the question"
            )
        question, history = turns_from_messages(pairs)
        ans = await service.ask_async(question, history=history)
        content, finish = apply_limits(format_content(ans), options)
        counts = usage([text for _, text in pairs], content)
        cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        extra = {"citations": [c.to_json() for c in ans.citations], "rag": ans.to_json()}
        if not req.stream:
            return {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": req.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": finish,
                    }
                ],
                "usage": counts,
                **extra,
            }
        return StreamingResponse(
            _sse(cid, created, req.model, content, finish, extra, counts if options.include_usage else None),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


async def _sse(
    cid: str,
    created: int,
    model: str,
    content: str,
    finish: str,
    extra: dict[str, Any],
    counts: dict[str, int] | None,
) -> AsyncIterator[str]:
    def chunk(delta: dict[str, Any] | None, reason: str | None = None, **more: Any) -> str:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": reason}]
        body = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": choices,
            **more,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    words = content.split(" ")
    for i in range(0, len(words), 8):
        piece = " ".join(words[i : i + 8]) + (" " if i + 8 < len(words) else "")
        yield chunk({"content": piece})
        await asyncio.sleep(0)
    yield chunk({}, finish, **extra)
    if counts is not None:  # stream_options.include_usage: a last chunk with no choices and the usage
        yield chunk(None, usage=counts)
    yield "data: [DONE]\n\n"
