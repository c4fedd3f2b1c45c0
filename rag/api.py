"""HTTP layer: FastAPI routes over the pipeline, plus the Gradio chat mounted at ``/``.

Thin by design: each route validates with a pydantic model, makes one call into the
pipeline off the event loop, and converts the result. Errors are JSON in OpenAI's shape
(``{"error": {"message", "type", "request_id"}}``) and never a bare 500.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator
from starlette.datastructures import Headers, MutableHeaders

from rag.config import Settings
from rag.errors import BadQuestionError, NotFoundError, RagError, StoreUnavailableError
from rag.format import format_markdown
from rag.types import Answer, DateRange

log = logging.getLogger("rag.api")
MAX_BODY_BYTES = 256 * 1024


# ----------------------------------------------------------------------------- models
class AnswerRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "What did Trump rule out on Aug. 18?"},
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
    top_k: StrictInt | None = Field(default=None, ge=1, le=200, description="Chunks to retrieve (default 30)")
    published_from: dt.date | None = Field(
        default=None, description="Only articles published on/after (YYYY-MM-DD)"
    )
    published_to: dt.date | None = Field(
        default=None, description="Only articles published on/before (YYYY-MM-DD)"
    )

    @model_validator(mode="after")
    def _range(self) -> AnswerRequest:
        if self.published_from and self.published_to and self.published_from > self.published_to:
            raise ValueError(
                f"published_from {self.published_from} is after published_to {self.published_to}"
            )
        return self


class CitationModel(BaseModel):
    article_id: str
    published: str = Field(description="YYYY-MM-DD")
    quote: str = Field(description="Verbatim: the article text at [start, end)")
    start: int
    end: int
    role: str = Field(description="answer | context | corroboration | other_report | other_context")


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


class ChatRequest(BaseModel):
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
    messages: list[ChatMessage] = Field(min_length=1)
    stream: StrictBool = False


class ArticleSummary(BaseModel):
    article_id: str
    published: str
    title: str
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


# ----------------------------------------------------------------------------- errors
def _error(
    status: int, message: str, kind: str, request: Request, extra: dict[str, Any] | None = None
) -> JSONResponse:
    rid = getattr(request.state, "request_id", None)
    body: dict[str, Any] = {"error": {"message": message, "type": kind, "request_id": rid, **(extra or {})}}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        if err.get("type") == "json_invalid":
            parts.append(
                f"the request body is not valid JSON ({err.get('ctx', {}).get('error', 'parse error')})"
            )
        elif err.get("type") == "missing" and not loc:
            parts.append('send a JSON body, e.g. {"question": "What did Trump rule out on Aug. 18?"}')
        else:
            parts.append(f"{loc or 'body'}: {err.get('msg')}")
    return "; ".join(parts) or "invalid request"


class RequestId:
    """ASGI middleware: an ``X-Request-ID`` on every response (the caller's, or a new one), and a
    JSON 500 naming it for any unhandled error. Plain ASGI, not ``@app.middleware``: that wraps
    each request in extra tasks and costs ~1 ms a call."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = Headers(scope=scope).get("x-request-id") or uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = rid
        started = False

        async def send_with_id(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception(
                "unhandled error in %s %s [request %s]", scope.get("method"), scope.get("path"), rid
            )
            if started:
                raise
            body = {"error": {"message": "internal error; the request id is in the server log",
                              "type": "internal_error", "request_id": rid}}  # fmt: skip
            await JSONResponse(body, status_code=500)(scope, receive, send_with_id)


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``limit`` bytes with 413, even when chunked."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]], send: Any
    ) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await _send_413(send, self.limit)
        seen = 0

        async def limited() -> dict[str, Any]:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return msg

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _send_413(send, self.limit)


class _TooLarge(Exception):
    pass


async def _send_413(send: Any, limit: int) -> None:
    body = json.dumps(
        {"error": {"message": f"request body over {limit} bytes", "type": "too_large"}}
    ).encode()
    await send(
        {"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": body})


# ----------------------------------------------------------------------------- app
class Service:
    """What the routes and the UI call: the pipeline, built and warmed once, behind a thread limiter."""

    def __init__(self, settings: Settings, pipeline: Any = None, workers: int = 4) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.ready = False
        self.limiter = anyio.CapacityLimiter(workers)

    def start(self) -> None:
        if self.pipeline is None:
            from rag.pipeline import build_pipeline

            self.pipeline = build_pipeline(self.settings)
        self.pipeline.warm_up()
        self.ready = True

    def ask(self, question: str, top_k: int | None = None, date_range: DateRange | None = None) -> Answer:
        if not self.ready:
            raise StoreUnavailableError("the index is still loading; try again in a few seconds")
        return self.pipeline.ask(question, top_k=top_k, date_range=date_range)

    async def ask_async(
        self, question: str, top_k: int | None = None, date_range: DateRange | None = None
    ) -> Answer:
        return await anyio.to_thread.run_sync(
            lambda: self.ask(question, top_k, date_range), limiter=self.limiter
        )


def create_app(settings: Settings, pipeline: Any = None, with_ui: bool = True) -> FastAPI:
    """Build the app. ``pipeline`` may be given (tests); otherwise it is built at start-up."""
    service = Service(settings, pipeline)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(service.start)
        yield

    app = FastAPI(
        title="Newsroom Q&A",
        version="0.1.0",
        description="Grounded answers about the article collection. Every quote is verbatim in its article at "
        "`[start, end)`. When the articles don't say, `abstained` is true.",
        lifespan=lifespan,
    )
    app.state.service = service
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)

    app.add_middleware(RequestId)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _validation_message(exc), "invalid_request", request)

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
        kind = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error"
        )
        return _error(exc.status_code, str(exc.detail), kind, request)

    # Our errors, most specific first: (status, type) each; RagError catches the rest as 400.
    for exc_type, (status, kind) in {
        BadQuestionError: (400, "invalid_request"),
        NotFoundError: (404, "not_found"),
        StoreUnavailableError: (503, "unavailable"),
        RagError: (400, "invalid_request"),
    }.items():

        async def on_rag(
            request: Request, exc: Exception, status: int = status, kind: str = kind
        ) -> JSONResponse:
            return _error(status, str(exc), kind, request)

        app.add_exception_handler(exc_type, on_rag)

    key = settings.api_key.get_secret_value() if settings.api_key else None

    def require_key(request: Request) -> None:
        if key is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), key.encode()):
            raise HTTPException(401, "missing or wrong API key: send 'Authorization: Bearer <RAG_API_KEY>'")

    v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])

    @v1.post("/answer", response_model=AnswerResponse, summary="Answer a question with verbatim quotes")
    async def answer(req: AnswerRequest) -> JSONResponse:
        dr = DateRange(req.published_from, req.published_to)
        ans = await service.ask_async(req.question, req.top_k, dr)
        return JSONResponse(ans.to_json())  # already the documented shape: skip re-validating it

    @v1.get("/models", summary="OpenAI-compatible model list")
    async def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": "rag", "object": "model", "created": 0, "owned_by": "newsroom"}],
        }

    @v1.post("/chat/completions", summary="OpenAI-compatible chat: the last user message is the question")
    async def chat(req: ChatRequest) -> Any:
        users = [m for m in req.messages if m.role == "user"]
        if not users:
            raise BadQuestionError("messages has no user message: the last user message is the question")
        ans = await service.ask_async(users[-1].text())
        content = format_markdown(ans)
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
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                **extra,
            }
        return StreamingResponse(
            _sse(cid, created, req.model, content, extra),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @v1.get("/articles", response_model=list[ArticleSummary], summary="Indexed articles")
    async def articles() -> list[dict[str, Any]]:
        infos = await anyio.to_thread.run_sync(service.pipeline.store.list_articles, limiter=service.limiter)
        return [
            {
                "article_id": a.article_id,
                "published": a.published.isoformat(),
                "title": a.title,
                "chunks": a.chunks,
            }
            for a in infos
        ]

    @v1.get(
        "/articles/{article_id}", response_model=ArticleModel, summary="One article: the text offsets index"
    )
    async def article(article_id: str) -> dict[str, Any]:
        art = await anyio.to_thread.run_sync(
            service.pipeline.store.get_article, article_id, limiter=service.limiter
        )
        if art is None:
            raise NotFoundError(f"no article {article_id!r}; GET /v1/articles lists them")
        return {"article_id": art.article_id, "published": art.published_iso, "text": art.text}

    app.include_router(v1)

    @app.get("/healthz", response_model=Health, summary="Liveness and index size")
    async def healthz(request: Request) -> Any:
        if not service.ready:
            return _error(503, "the index is still loading", "unavailable", request)
        n_articles, n_chunks = await anyio.to_thread.run_sync(
            service.pipeline.store.counts, limiter=service.limiter
        )
        return {
            "status": "ok",
            "articles": n_articles,
            "chunks": n_chunks,
            "store": "server" if settings.chroma_url else "embedded",
            "mode": service.pipeline.mode,
        }

    if with_ui:
        import gradio as gr

        from ui.app import CSS, build_ui

        auth = (lambda _user, password: hmac.compare_digest(password.encode(), key.encode())) if key else None
        app = gr.mount_gradio_app(
            app,
            build_ui(service),
            path="/",
            auth=auth,
            auth_message="Enter any user name and the API key (RAG_API_KEY) as the password."
            if key
            else None,
            css=CSS,
            footer_links=[],
        )
    return app


async def _sse(cid: str, created: int, model: str, content: str, extra: dict[str, Any]) -> AsyncIterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
        body = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **more,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    words = content.split(" ")
    for i in range(0, len(words), 8):
        piece = " ".join(words[i : i + 8]) + (" " if i + 8 < len(words) else "")
        yield chunk({"content": piece})
        await asyncio.sleep(0)
    yield chunk({}, "stop", **extra)
    yield "data: [DONE]\n\n"
