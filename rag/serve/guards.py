"""Browser-facing guards as ASGI middleware: a Content-Security-Policy on every HTML page, so
a rendering mistake cannot load from or send to another origin, and a throttle on the chat's
``POST /login``. Both are plain ASGI (no per-request tasks) and keep no state beyond memory.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from starlette.datastructures import MutableHeaders

from rag.serve.middleware import error_body

# Gradio 6 needs inline and eval'd scripts, inline styles, data:/blob: images and fonts, and
# same-origin fetch/SSE/websocket connections (checked by loading the chat in chromium with this
# policy and watching the console for violations). Nothing may come from, or go to, another origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)


class SecurityHeaders:
    """ASGI middleware: a Content-Security-Policy on every HTML response (the chat, ``/docs``,
    ``/redoc``), so a rendering mistake cannot load or send anything to another origin, plus
    ``X-Content-Type-Options: nosniff`` on every response."""

    def __init__(self, app: Any, policy: str = CONTENT_SECURITY_POLICY) -> None:
        self.app, self.policy = app, policy

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = self.policy
            await send(message)

        await self.app(scope, receive, send_with_policy)


class LoginThrottle:
    """ASGI middleware: after ``max_failures`` failed ``POST /login`` from one client address
    within ``window`` seconds, answer 429 with ``Retry-After`` until the oldest failure ages
    out. A success clears that address. Guards the chat's password (RAG_API_KEY) against
    guessing; in memory, per process."""

    def __init__(self, app: Any, max_failures: int = 5, window: float = 300.0) -> None:
        self.app, self.max_failures, self.window = app, max_failures, window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(client, []) if now - t < self.window]
        if times:
            self._failures[client] = times
        else:
            self._failures.pop(client, None)
        return times

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or scope.get("path", "").rstrip("/") != "/login"
        ):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
        if len(times) >= self.max_failures:
            wait = max(1, math.ceil(self.window - (now - times[0])))
            rid = scope.get("state", {}).get("request_id")
            body = error_body(429, f"too many failed logins; try again in {wait} s", "rate_limited", rid)
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [(b"content-type", b"application/json"), (b"retry-after", str(wait).encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def watch(message: Any) -> None:
            if message["type"] == "http.response.start":
                with self._lock:
                    if message["status"] in (400, 401, 403):
                        self._failures.setdefault(client, []).append(time.monotonic())
                    elif message["status"] < 400:
                        self._failures.pop(client, None)
            await send(message)

        await self.app(scope, receive, watch)
