"""ASGI middleware and the JSON error body every route returns.

Errors are JSON in OpenAI's shape (``{"error": {"message", "type", "request_id"}}``) and
never a bare 500; bodies over the limit are refused with 413 even when chunked. The browser
guards (Content-Security-Policy, login throttle) are in ``rag.serve.guards``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders

log = logging.getLogger("rag.serve.api")
MAX_BODY_BYTES = 256 * 1024
MAX_ARTICLES_BODY_BYTES = 8 * 1024 * 1024  # POST/PUT /v1/articles: one 5 MB article fits, escaped as JSON
WIDER_BODY_LIMITS = {"/v1/articles": MAX_ARTICLES_BODY_BYTES}  # path prefix -> its own bound


def error_response(
    status: int, message: str, kind: str, request: Request, extra: dict[str, Any] | None = None
) -> JSONResponse:
    rid = getattr(request.state, "request_id", None)
    body: dict[str, Any] = {
        "error": {"message": encodable(message), "type": kind, "request_id": rid, **(extra or {})}
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def encodable(text: str) -> str:
    """``text`` with anything UTF-8 cannot encode (lone surrogates) shown as ``\\udXXX`` escapes,
    so an error message that quotes bad input can itself be sent."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def error_body(status: int, message: str, kind: str, request_id: str | None) -> bytes:
    return json.dumps(
        {"error": {"message": encodable(message), "type": kind, "request_id": request_id}}
    ).encode()


def validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        if err.get("type") == "json_invalid":
            parts.append(
                f"the request body is not valid JSON ({err.get('ctx', {}).get('error', 'parse error')})"
            )
        elif err.get("type") == "missing" and not loc:
            parts.append('send a JSON body, e.g. {"question": "What did Trump rule out on Aug. 18?"}')
        elif err.get("type") == "value_error" and not loc:
            parts.append(str(err.get("msg")).removeprefix("Value error, "))
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
    """ASGI middleware: refuse request bodies over ``limit`` bytes with 413, even when chunked
    (``wider``: path prefixes with their own bound, e.g. the article upload routes).

    A declared ``Content-Length`` over the limit is refused before reading. A chunked body is
    counted as it is read; past the limit the app's reader gets an error, and whatever response
    the app then starts (FastAPI turns a failed read into a 400) is replaced by the 413."""

    def __init__(self, app: Any, limit: int, wider: dict[str, int] | None = None) -> None:
        self.app, self.default, self.wider = app, limit, wider or {}

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]], send: Any
    ) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        rid = scope.get("state", {}).get("request_id")
        path = scope.get("path", "")
        limit = next((n for p, n in self.wider.items() if path.startswith(p)), self.default)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _send_413(send, limit, rid)
        seen = 0
        over = False
        replaced = False

        async def limited() -> dict[str, Any]:
            nonlocal seen, over
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    over = True
                    raise _TooLarge
            return msg

        async def guarded_send(message: dict[str, Any]) -> None:
            nonlocal replaced
            if over and message["type"] == "http.response.start":
                replaced = True
                await _send_413(send, limit, rid)
                return
            if replaced:
                return
            await send(message)

        try:
            await self.app(scope, limited, guarded_send)
        except _TooLarge:
            if not replaced:
                await _send_413(send, limit, rid)


class _TooLarge(Exception):
    pass


async def _send_413(send: Any, limit: int, request_id: str | None) -> None:
    body = error_body(413, f"request body over {limit} bytes", "too_large", request_id)
    await send(
        {"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": body})


_GRADIO_CLIENT_PATHS = ("/gradio_api/", "/login", "/config", "/queue/", "/upload")


class ErrorShape:
    """ASGI middleware: any JSON error the app did not shape itself (``{"detail": ...}`` from
    Starlette, FastAPI or Gradio's routes) is rewritten to ``{"error": {...}}``. Paths that
    Gradio's own front end calls keep Gradio's shape, because its JavaScript reads ``detail``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(_GRADIO_CLIENT_PATHS):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] | None = None
        chunks: list[bytes] = []

        async def reshape(message: Any) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                ctype = Headers(raw=message.get("headers", [])).get("content-type", "")
                if message["status"] >= 400 and ctype.startswith("application/json"):
                    start = message  # hold it: the body decides
                    return
                await send(message)
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            if isinstance(data, dict) and "detail" in data and "error" not in data:
                detail = data["detail"]
                message_text = detail if isinstance(detail, str) else json.dumps(detail)
                rid = scope.get("state", {}).get("request_id")
                kind = _KIND.get(start["status"], "http_error")
                body = error_body(start["status"], message_text, kind, rid)
            headers = MutableHeaders(scope=start)
            headers["content-length"] = str(len(body))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, reshape)


_KIND = {
    400: "invalid_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "invalid_request",
    429: "rate_limited",
}
