"""The deferred chat: a stand-in that answers 503 until the real app is built, then delegates to it."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from rag.serve.deferred import DeferredApp


def built_app() -> FastAPI:
    app = FastAPI()
    started: list[str] = []

    @app.on_event("startup")
    async def on_start() -> None:
        started.append("yes")

    @app.get("/")
    async def root() -> PlainTextResponse:
        return PlainTextResponse(f"chat started={started}")

    return app


async def get(app: DeferredApp, path: str = "/") -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.get(path)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_starting_page_then_the_built_app_with_its_startup_run():
    async def scenario() -> None:
        chat = DeferredApp(built_app)
        r = await get(chat)
        assert r.status_code == 503 and "starting" in r.text and r.headers["retry-after"] == "2"
        assert chat.state == "starting"
        chat.start(asyncio.get_running_loop()).join(timeout=30)
        for _ in range(100):
            if chat.state == "ready":
                break
            await asyncio.sleep(0.05)
        r = await get(chat)
        assert r.status_code == 200 and r.text == "chat started=['yes']"
        await chat.close()

    asyncio.run(scenario())


def test_a_chat_that_cannot_be_built_is_reported_and_the_page_stays_a_503():
    def broken() -> FastAPI:
        raise RuntimeError("gradio is missing")

    async def scenario() -> None:
        chat = DeferredApp(broken)
        chat.start(asyncio.get_running_loop()).join(timeout=30)
        assert chat.state == "failed"
        assert (await get(chat)).status_code == 503
        await chat.close()

    asyncio.run(scenario())
