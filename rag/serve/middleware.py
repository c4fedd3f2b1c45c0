"""ASGI middleware and the JSON error body every route returns.

Errors are JSON in OpenAI's shape (``{"error": {"message", "type", "request_id"}}``) and
never a bare 500; bodies over the limit are refused with 413 even when chunked.
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


def error_response(
    status: int, message: str, kind: str, request: Request, extra: dict[str, Any] | None = None
) -> JSONResponse:
    rid = getattr(request.state, "request_id", None)
    body: dict[str, Any] = {"error": {"message": message, "type": kind, "request_id": rid, **(extra or {})}}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


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
