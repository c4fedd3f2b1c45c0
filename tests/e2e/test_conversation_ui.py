"""A follow-up and a thumbs-down in the chat, in a real headless chromium (issue 17)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from rag.config import load_settings
from rag.serve.api import create_app
from rag.serve.feedback import FeedbackStore
from tests.servers import ThreadServer

pytestmark = [pytest.mark.integration, pytest.mark.browser]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            headless=True,
        )
        yield b
        b.close()


def ask(page, question):
    page.locator("#rag-question textarea").fill(question)
    page.locator("#rag-ask").click()


@pytest.fixture(scope="module")
def served(seeded, tmp_path_factory):
    path = tmp_path_factory.mktemp("feedback") / "feedback.sqlite3"
    settings = load_settings(data_dir=seeded.settings.data_dir, feedback_path=path)
    with ThreadServer(create_app(settings, pipeline=seeded, with_ui=True)) as s:
        yield s, FeedbackStore(path)


def test_follow_up_is_answered_from_the_air_support_sentence_and_rated_down(browser, served):
    server, store = served
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url + "/", timeout=60_000)
    ask(page, "What did Trump rule out on Aug. 18?")
    page.wait_for_function("document.querySelector('#rag-chat').innerText.includes('ground')", timeout=60_000)
    ask(page, "What did he offer instead?")
    page.wait_for_function(
        "document.querySelector('#rag-chat').innerText.includes('Answering:')", timeout=60_000
    )
    last = page.locator("#rag-chat .bot, #rag-chat [data-testid='bot']").last.inner_text()
    assert "Answering: What did Trump offer instead of" in last.replace("\\", "")
    assert "air support" in last and "Merezhko" not in last
    assert "air support" in page.locator("#rag-quote").inner_text()  # the sources panel follows

    page.get_by_role("button", name="Dislike").last.click()
    page.wait_for_function(
        "document.querySelector('#rag-feedback-status').innerText.includes('Rating saved')", timeout=30_000
    )
    page.locator("#rag-feedback-comment textarea").fill("I wanted only the air support sentence")
    page.locator("#rag-feedback-send").click()
    page.wait_for_function(
        "document.querySelector('#rag-feedback-status').innerText.includes('Comment saved')", timeout=30_000
    )
    page.screenshot(path=str(ARTIFACTS / "ui-follow-up.png"), full_page=True)
    page.close()
    rows = store.rows()
    assert [(r["rating"], r["channel"], r["question"]) for r in rows] == [
        ("down", "chat", "What did he offer instead?")
    ]
    assert rows[0]["comment"] == "I wanted only the air support sentence"
    assert rows[0]["rewritten_question"].startswith("What did Trump offer instead of")
    assert any("air support" in c["quote"] for c in rows[0]["citations"])


def test_regenerate_edit_and_export(browser, served):
    server, _ = served
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(server.url + "/", timeout=60_000)
    ask(page, "What did Trump rule out on Aug. 18?")
    page.wait_for_function("document.querySelector('#rag-chat').innerText.includes('ground')", timeout=60_000)
    ask(page, "What did he offer instead?")
    page.wait_for_function(
        "document.querySelector('#rag-chat').innerText.includes('Answering:')", timeout=60_000
    )

    page.get_by_role("button", name="Retry").last.click()  # regenerate: asked again, with the same history
    page.wait_for_timeout(1500)
    page.wait_for_function(
        "document.querySelector('#rag-chat').innerText.includes('Answering:')", timeout=60_000
    )
    text = page.locator("#rag-chat").inner_text()
    assert text.count("What did he offer instead?") == 1 and text.count("Answering:") == 1

    with page.expect_download(timeout=30_000) as download:
        page.locator("#rag-export").click()
    md = Path(download.value.path()).read_text(encoding="utf-8")
    assert md.startswith("# Conversation") and "## 2. What did he offer instead" in md
    assert "Answering: What did Trump offer instead of" in md and "air support" in md
    assert "**Sources**" in md and re.search(r"^1\. .+, 2025-09-0\d.*: “", md, re.M)  # numbered sources

    page.get_by_role("button", name="Edit").first.click()  # edit the first question: the rest is dropped
    page.locator("#rag-chat textarea").first.fill("How many countries are ready to send troops?")
    page.get_by_role("button", name="Submit").first.click()
    page.wait_for_function(
        "document.querySelector('#rag-chat').innerText.includes('26 countries')", timeout=60_000
    )
    text = page.locator("#rag-chat").inner_text()
    assert "What did he offer instead?" not in text and "rule out" not in text
    page.close()


def test_a_follow_up_with_nothing_to_follow_is_asked_back_then_a_subject_swap(browser, served):
    """Issue 23 in the chat: "What did he offer instead?" first gets a question back naming "he",
    no quote; then a question about one leader's country and "What about Poland?" is answered about
    Poland (what Warsaw will contribute), not about the first leader."""
    server, _ = served
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url + "/", timeout=60_000)
    ask(page, "What did he offer instead?")
    page.wait_for_function(
        "document.querySelector('#rag-chat').innerText.includes('refer to')", timeout=60_000
    )
    text = page.locator("#rag-chat").inner_text()
    assert "Who is “he”?" in text.replace("\\", "") and "air support" not in text and "Merezhko" not in text
    ask(page, "What did Giorgia Meloni say Italy's role would be?")
    page.wait_for_function(
        "document.querySelector('#rag-chat').innerText.includes('monitoring')", timeout=60_000
    )
    ask(page, "What about Poland?")
    page.wait_for_function(
        "document.querySelector('#rag-chat').innerText.includes('logistical support')", timeout=60_000
    )
    last = page.locator("#rag-chat .bot, #rag-chat [data-testid='bot']").last.inner_text().replace("\\", "")
    assert "Answering:" in last and "Poland" in last and "Meloni say Poland" not in last
    page.close()
