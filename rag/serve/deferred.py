"""The chat, loaded after the API is up: what the first request needs comes first.

Importing Gradio and building the chat takes seconds (5 s on a fast machine, far more on a busy
2-core one) and no API request needs it, so ``rag serve`` binds the API, warms the pipeline
(``/healthz`` is healthy from then on) and only then builds the chat in a thread. Until it is
ready, ``/`` answers 503 with a small page that reloads itself, and ``/healthz`` says
``"chat": "starting"``; then every request under ``/`` goes to Gradio as if it had been mounted
from the start (its startup events run on the server's own event loop). A chat that fails to
build is logged and reported as ``"chat": "failed"``; the API keeps serving.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

log = logging.getLogger(__name__)
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]
STARTING_PAGE = (
    b"<!doctype html><html><head><meta charset='utf-8'><meta http-equiv='refresh' content='2'>"
    b"<title>Newsroom Q&amp;A</title></head><body><p>The chat is starting; this page reloads by itself. "
    b"The answer API is already up (<a href='/docs'>/docs</a>).</p></body></html>"
)


class DeferredApp:
    """An ASGI app standing in for one built later (``start``); 503 until then."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self.app: ASGIApp | None = None
        self.state = "starting"
        self._stop: asyncio.Event | None = None
        self._task: concurrent.futures.Future[None] | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if self.app is not None:
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"retry-after", b"2")],
                }
            )
            await send({"type": "http.response.body", "body": STARTING_PAGE})
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013})  # try again later

    def start(self, loop: asyncio.AbstractEventLoop) -> threading.Thread:
        """Build the app in a thread; its lifespan then runs on ``loop`` until ``close``."""
        self._stop = asyncio.Event()

        def work() -> None:
            try:
                app = self._build()
            except Exception:
                log.exception("the chat could not be built; the API keeps serving")
                self.state = "failed"
                return
            self._task = asyncio.run_coroutine_threadsafe(self._serve(app), loop)

        t = threading.Thread(target=work, name="chat-loader", daemon=True)
        t.start()
        return t

    async def _serve(self, app: Any) -> None:
        assert self._stop is not None
        try:
            async with app.router.lifespan_context(app):
                self.app, self.state = app, "ready"
                await self._stop.wait()
        except Exception:
            log.exception("the chat failed to start; the API keeps serving")
            self.app, self.state = None, "failed"

    async def close(self) -> None:
        if self._stop is not None:
            self._stop.set()
        if self._task is not None:
            await asyncio.wrap_future(self._task)
