"""The chat in a real headless browser: Debian's chromium driven by Playwright (no browser download)."""

import shutil
from pathlib import Path

import pytest

from rag.config import load_settings
from rag.serve.api import create_app
from tests.servers import ThreadServer

pytestmark = [pytest.mark.integration, pytest.mark.browser]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(seeded):
    app = create_app(load_settings(data_dir=seeded.settings.data_dir), pipeline=seeded, with_ui=True)
    with ThreadServer(app) as s:
        yield s


def ask(page, question):
    page.locator("#rag-question textarea").fill(question)
    page.locator("#rag-ask").click()


def test_ask_see_answer_and_highlighted_source(browser, server):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url + "/", timeout=60_000)
    ask(page, "What did Trump rule out on Aug. 18?")
    bot = page.locator("#rag-chat .bot, #rag-chat [data-testid='bot']").last
    bot.wait_for(timeout=60_000)
    page.wait_for_function("document.querySelector('#rag-chat').innerText.includes('ground')", timeout=60_000)
    chat_text = page.locator("#rag-chat").inner_text()
    assert "Sources" in chat_text and "2025-09-0" in chat_text
    mark = page.locator("#rag-quote")
    mark.wait_for(timeout=30_000)
    quote = mark.inner_text()
    assert quote and quote in chat_text.replace("\\", "")
    page.screenshot(path=str(ARTIFACTS / "ui-answer.png"), full_page=True)

    # another citation: the panel switches article and highlight
    radios = page.locator("#rag-citations label")
    assert radios.count() >= 2
    unchecked = [i for i in range(radios.count()) if not radios.nth(i).locator("input").is_checked()]
    radios.nth(unchecked[0]).click()
    page.wait_for_function(
        f"document.querySelector('#rag-quote') && document.querySelector('#rag-quote').innerText !== {quote!r}",
        timeout=30_000,
    )

    # an unanswerable question is shown as a statement, not an error
    ask(page, "What did Angela Merkel say about the summit?")
    page.wait_for_function(
        "document.querySelector('#rag-chat').innerText.includes(\"don't say\")", timeout=60_000
    )
    page.wait_for_function(
        "document.querySelector('#rag-source').innerText.includes('no article says it')", timeout=30_000
    )

    page.locator("#rag-clear").click()
    page.wait_for_function(
        "!document.querySelector('#rag-chat').innerText.includes('Merkel')", timeout=30_000
    )
    page.close()


def test_phone_width(browser, server):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(server.url + "/", timeout=60_000)
    ask(page, "How many countries are ready to send troops?")
    page.wait_for_function("document.querySelector('#rag-chat').innerText.includes('26')", timeout=60_000)
    page.locator("#rag-quote").wait_for(timeout=30_000)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(ARTIFACTS / "ui-phone.png"), full_page=True)
    page.close()


def test_a_reversed_date_range_is_refused_in_the_chat_as_in_the_api(browser, server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url + "/", timeout=60_000)
    page.get_by_text("Filter by publication date").click()
    page.locator("#rag-from input, #rag-from textarea").first.fill("2025-09-05")
    page.locator("#rag-to input, #rag-to textarea").first.fill("2025-09-01")
    ask(page, "What did Trump rule out on Aug. 18?")
    # the same words DateRange.parse gives the CLI (--from/--to) and the API (published_from/_to)
    page.wait_for_function(
        "document.body.innerText.includes('From 2025-09-05 is after To 2025-09-01: swap the two dates')",
        timeout=30_000,
    )
    assert "No article matches" not in page.locator("#rag-chat").inner_text()
    page.close()
