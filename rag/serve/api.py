"""HTTP layer: FastAPI routes over the answer service, plus the Gradio chat mounted at ``/``.

Thin by design: each route validates with a pydantic model (``rag.serve.schemas``), makes one
call into the service off the event loop, and converts the result. Errors are JSON in
OpenAI's shape (``rag.serve.middleware``) and never a bare 500.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.config import Settings
from rag.errors import BadQuestionError, NotFoundError, RagError, StoreUnavailableError, StoreWriteError
from rag.pipeline import Pipeline
from rag.serve.articles_api import articles_router
from rag.serve.deferred import DeferredApp
from rag.serve.feedback import FeedbackStore
from rag.serve.feedback_api import feedback_router
from rag.serve.guards import LoginThrottle, SecurityHeaders
from rag.serve.middleware import (
    MAX_BODY_BYTES,
    WIDER_BODY_LIMITS,
    BodyLimit,
    ErrorShape,
    RequestId,
    error_response,
    validation_message,
)
from rag.serve.openai_api import openai_router
from rag.serve.schemas import (
    AnswerRequest,
    AnswerResponse,
    ArticleModel,
    ArticleSummary,
    ErrorResponse,
    Health,
)
from rag.serve.service import Service

DOCS_ASSETS = "/static/docs"
_ERROR_TEXT = {
    400: "Bad request: the message says what to change",
    401: "Missing or wrong API key",
    404: "No such article",
    413: "Request body too large",
    422: "The body does not match the schema (or holds text that is not valid Unicode)",
    500: "Internal error: the request id is in the server log",
    503: "The index is loading or the store is unreachable",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these status codes, each with the real error body."""
    return {code: {"model": ErrorResponse, "description": _ERROR_TEXT[code]} for code in codes}


def answer_wrong_methods(app: FastAPI) -> None:
    """A known API path asked with another method is a 405 with ``Allow`` (``GET /v1/answer``
    was a 404: the chat mounted at "/" answered every path the API routes did not)."""
    methods = {  # from the OpenAPI document: every documented route, however it was included
        path: {m.upper() for m in ops}
        for path, ops in app.openapi()["paths"].items()
        if path.startswith(("/v1/", "/healthz"))
    }
    for path, allowed in methods.items():
        others = sorted({"GET", "POST", "PUT", "DELETE", "PATCH"} - allowed - {"HEAD"})
        if not others:
            continue
        app.add_api_route(
            path,
            _refuse_method(", ".join(sorted(allowed - {"HEAD"}))),
            methods=others,
            include_in_schema=False,
        )


def _refuse_method(allow: str) -> Any:
    async def not_allowed(request: Request) -> None:
        raise HTTPException(
            405,
            f"{request.method} is not allowed on {request.url.path}: use {allow}",
            headers={"Allow": allow},
        )

    return not_allowed


def _docs_assets() -> Any:
    """The folder of swagger-ui and redoc JS/CSS shipped by the ``fastapi-offline`` package."""
    from importlib.resources import files

    return files("fastapi_offline") / "static"


def create_app(
    settings: Settings, pipeline: Pipeline | None = None, with_ui: bool = True, defer_ui: bool = False
) -> FastAPI:
    """Build the app. ``pipeline`` may be given (tests); otherwise it is built at start-up.
    ``defer_ui``: build the chat after the API is up and healthy (``rag serve``; see
    ``rag.serve.deferred``) instead of before the server starts."""
    service = Service(settings, pipeline)
    key = settings.api_key.get_secret_value() if settings.api_key else None
    feedback = FeedbackStore(settings.feedback_file)
    chat: DeferredApp | None = None
    if with_ui and defer_ui:
        chat = DeferredApp(lambda: mount_chat(FastAPI(), service, feedback, key))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(service.start)
        if chat is not None:
            chat.start(asyncio.get_running_loop())
        yield
        if chat is not None:
            await chat.close()

    app = FastAPI(
        title="Newsroom Q&A",
        version="0.1.0",
        description="Grounded answers about the article collection. Every quote is verbatim in its article at "
        "`[start, end)`. When the articles don't say, `abstained` is true.",
        lifespan=lifespan,
        docs_url=None,  # served below from local assets: FastAPI's default pages load a CDN
        redoc_url=None,
    )
    app.state.service = service
    health_limiter = anyio.CapacityLimiter(2)  # /healthz never queues behind answers
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES, wider=WIDER_BODY_LIMITS)
    app.add_middleware(LoginThrottle)
    app.add_middleware(ErrorShape)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestId)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, validation_message(exc), "invalid_request", request)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "invalid_request" if exc.status_code == 400 else "http_error"
        )
        message = str(exc.detail)
        if message == "There was an error parsing the body":  # FastAPI's words for a non-UTF-8 body
            message = "the request body could not be read: send JSON encoded as UTF-8"
        resp = error_response(exc.status_code, message, kind, request)
        if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
            resp.headers["Allow"] = exc.headers["Allow"]
        return resp

    # Our errors, most specific first: (status, type) each; RagError catches the rest as 400.
    for exc_type, (status, kind) in {
        BadQuestionError: (400, "invalid_request"),
        NotFoundError: (404, "not_found"),
        StoreUnavailableError: (503, "unavailable"),
        StoreWriteError: (503, "unavailable"),
        RagError: (400, "invalid_request"),
    }.items():

        async def on_rag(
            request: Request, exc: Exception, status: int = status, kind: str = kind
        ) -> JSONResponse:
            return error_response(status, str(exc), kind, request)

        app.add_exception_handler(exc_type, on_rag)

    def require_key(request: Request) -> None:
        if key is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), key.encode()):
            raise HTTPException(401, "missing or wrong API key: send 'Authorization: Bearer <RAG_API_KEY>'")

    v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])

    @v1.post(
        "/answer",
        response_model=AnswerResponse,
        summary="Answer a question with verbatim quotes",
        responses=errors(400, 401, 413, 422, 500, 503),
    )
    async def answer(req: AnswerRequest) -> JSONResponse:
        ans = await service.ask_async(req.question, req.top_k, req.date_range(), req.turns())
        return JSONResponse(ans.to_json())  # already the documented shape: skip re-validating it

    v1.include_router(openai_router(service, errors))
    v1.include_router(feedback_router(service, feedback, errors))

    @v1.get(
        "/articles",
        response_model=list[ArticleSummary],
        summary="Indexed articles",
        responses=errors(401, 500, 503),
    )
    async def articles() -> list[dict[str, Any]]:
        infos = await anyio.to_thread.run_sync(service.list_articles, limiter=service.limiter)
        return [
            {
                "article_id": a.article_id,
                "published": a.published.isoformat(),
                "headline": a.headline,
                "title": a.headline,
                "chunks": a.chunks,
            }
            for a in infos
        ]

    @v1.get(
        "/articles/{article_id}",
        response_model=ArticleModel,
        summary="One article: the text offsets index",
        responses=errors(401, 404, 422, 500, 503),
    )
    async def article(article_id: str) -> dict[str, Any]:
        art = await anyio.to_thread.run_sync(service.article, article_id, limiter=service.limiter)
        if art is None:
            raise NotFoundError(f"no article {article_id!r}; GET /v1/articles lists them")
        return {"article_id": art.article_id, "published": art.published_iso, "text": art.text}

    app.include_router(v1)
    app.include_router(articles_router(service, require_key))

    health_deadline = settings.chroma_timeout + 1.0

    @app.get("/healthz", response_model=Health, summary="Liveness and index size", responses=errors(500, 503))
    async def healthz(request: Request) -> Any:
        if not service.ready:
            return error_response(503, "the index is still loading", "unavailable", request)
        with anyio.move_on_after(health_deadline):
            found = await anyio.to_thread.run_sync(
                service.health, limiter=health_limiter, abandon_on_cancel=True
            )
            return {**found, "chat": chat.state if chat else ("ready" if with_ui else "off")}
        store = f"Chroma server at {settings.chroma_url}" if settings.chroma_url else "the index"
        msg = (
            f"{store} did not answer within {settings.chroma_timeout:g} s "
            f"(the health check gave up after {health_deadline:g} s)"
        )
        return error_response(503, msg, "unavailable", request)

    # API docs from local assets (the fastapi-offline package ships swagger-ui and redoc)
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(_docs_assets())), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API",
            redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    answer_wrong_methods(app)  # before the chat is mounted at "/", which would answer them 404

    if chat is not None:
        app.mount("/", chat)
    elif with_ui:
        app = mount_chat(app, service, feedback, key)
    return app


def mount_chat(app: FastAPI, service: Service, feedback: FeedbackStore, key: str | None) -> FastAPI:
    """The Gradio chat mounted at ``/`` of ``app`` (importing Gradio takes seconds)."""
    import gradio as gr

    from rag.serve.ui import CSS, JS, THEME, build_ui

    auth = (lambda _user, password: hmac.compare_digest(password.encode(), key.encode())) if key else None
    return gr.mount_gradio_app(
        app,
        build_ui(service, feedback),
        path="/",
        auth=auth,
        auth_message="Enter any user name and the API key (RAG_API_KEY) as the password." if key else None,
        css=CSS,
        js=JS,
        theme=THEME,
        footer_links=[],
    )
