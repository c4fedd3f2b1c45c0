"""`rag serve` with the chat, as a real process: the API is healthy (and answers) before the chat
is built, and the chat then serves its page without a restart."""

import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import ROOT, run_rag
from tests.servers import free_port, stop, wait_http

pytestmark = pytest.mark.integration


def test_the_api_is_healthy_before_the_chat_is_built_and_the_chat_follows(tmp_path, seeds_dir):
    env = {"RAG_DATA_DIR": str(tmp_path / "data")}
    assert run_rag("ingest", str(seeds_dir), "--quiet", env=env).returncode == 0
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "RAG_CHROMA_URL"}, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_http(f"{url}/healthz", 300, proc)
        health = httpx.get(f"{url}/healthz", timeout=30).json()
        assert health["chat"] in ("starting", "ready") and health["articles"] == 3
        r = httpx.post(
            f"{url}/v1/answer", json={"question": "What did Trump rule out on Aug. 18?"}, timeout=60
        )
        assert r.status_code == 200 and r.json()["citations"]
        page = httpx.get(f"{url}/", timeout=30)
        if page.status_code == 503:  # still building: the page says so and reloads itself
            assert "The chat is starting" in page.text and "refresh" in page.text
        deadline = time.monotonic() + 300
        while page.status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
            page = httpx.get(f"{url}/", timeout=30)
        assert page.status_code == 200 and "gradio" in page.text.lower()
        assert httpx.get(f"{url}/healthz", timeout=30).json()["chat"] == "ready"
        assert "Content-Security-Policy" in page.headers  # the app's middleware covers the chat too
    finally:
        stop(proc)
