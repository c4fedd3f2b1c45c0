"""What a journalist meets first (issue 23), in a real headless chromium at desktop (1366x768)
and phone (390x844) sizes: examples on the first screen, sources once with every [n] clickable,
clean copy and export (read through the real clipboard), one reset, clear words for what the
assistant cannot do, the date filter's state, regenerate, one bold font, the phone layout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.config import load_settings
from rag.serve.api import create_app
from tests.e2e.test_ui import ARTIFACTS, ask, browser  # noqa: F401 (browser is a fixture)
from tests.servers import ThreadServer

pytestmark = [pytest.mark.integration, pytest.mark.browser]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
HASH_ID = re.compile(r"\b\d{3}_[0-9a-f]{16}\b")
# a backslash before ordinary punctuation: what blanket escaping left in every copy ("Aug\. 18\,")
STRAY_ESCAPE = re.compile(r"\\[.,:;!?'\"()\-/%$@=+{}^|]")


@pytest.fixture(scope="module")
def server(seeded):
    app = create_app(load_settings(data_dir=seeded.settings.data_dir), pipeline=seeded, with_ui=True)
    with ThreadServer(app) as s:
        yield s


@pytest.fixture
def page(browser, server, request):  # noqa: F811
    """A fresh page with clipboard access (the copy buttons are checked through the clipboard)."""
    size = getattr(request, "param", DESKTOP)
    phone = size["width"] < 500
    ctx = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone, accept_downloads=True)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    p = ctx.new_page()
    p.goto(server.url + "/", timeout=60_000)
    p.locator("#rag-question textarea").wait_for(timeout=60_000)
    yield p
    ctx.close()


def _bots(page) -> int:
    return page.locator("#rag-chat .message-row.bot-row").count()


def _answered(page, n: int) -> None:
    page.wait_for_function(
        "(n) => document.querySelectorAll('#rag-chat .message-row.bot-row').length >= n",
        arg=n,
        timeout=60_000,
    )
    page.wait_for_timeout(300)


def _last_answer(page) -> str:
    return page.locator("#rag-chat .message-row.bot-row").last.inner_text()


def test_examples_are_on_the_first_screen_and_a_click_asks_it(page):
    examples = page.locator("#rag-chat .example")
    assert examples.count() >= 3
    box = examples.last.bounding_box()
    assert box and box["y"] + box["height"] <= DESKTOP["height"], box  # seen without scrolling
    question = examples.first.inner_text().strip()
    examples.first.click()
    _answered(page, 1)
    assert question in page.locator("#rag-chat .message-row.user-row").first.inner_text()
    assert page.locator("#rag-chat .rag-cite").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "ui-example-asked.png"))


def test_sources_appear_once_as_cards_and_every_marker_is_clickable(page):
    ask(
        page,
        "How many countries did Macron say are ready to contribute troops or other support to Ukraine's security guarantees?",
    )
    _answered(page, 1)
    bot = page.locator("#rag-chat .message-row.bot-row").last
    text = bot.inner_text()
    assert "Also reported in" in text and not HASH_ID.search(text), text
    # every [n] the reader sees is a marker span: "Also reported in … [2]." too
    shown = len(re.findall(r"\[\d+\]", text))
    assert shown == bot.locator(".rag-cite").count() and shown >= 3
    # each quote once: the cards after **Sources** name the article (headline, date), not the quote
    body, _, cards = text.partition("Sources")
    labels = page.locator("#rag-citations label")
    assert labels.count() >= 2
    quote = page.locator("#rag-quote").inner_text()
    assert body.count(quote) == 1 and quote not in cards
    assert "2025-09-0" in cards
    also = bot.locator(".rag-cite").filter(has_text="[2]").first  # the corroboration's marker
    start = int(re.search(r"rag-s(\d+)", also.get_attribute("class")).group(1))
    also.click()
    page.wait_for_selector(f"#rag-quote[data-start='{start}']", timeout=30_000)
    card = bot.locator("li .rag-cite").first  # a card's marker opens its source too
    card_start = int(re.search(r"rag-s(\d+)", card.get_attribute("class")).group(1))
    card.click()
    page.wait_for_selector(f"#rag-quote[data-start='{card_start}']", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "ui-cards.png"))


def test_copy_message_copy_conversation_and_export_are_clean_text(page):
    ask(page, "What did Trump rule out on Aug. 18?")
    _answered(page, 1)
    page.get_by_role("button", name="Copy message").last.click()
    page.wait_for_timeout(300)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "ground" in copied and "the U.S. could" in copied  # ordinary punctuation, unescaped
    assert "<" not in copied and "rag-cite" not in copied and not STRAY_ESCAPE.search(copied), copied
    assert not HASH_ID.search(copied)
    # numbered sources with headline, date and quote
    sources = copied.partition("**Sources**")[2]
    assert re.search(r"^1\. .+, 2025-09-0\d.*: “.+”$", sources, re.M), sources
    page.get_by_role("button", name="Copy conversation").click()
    page.wait_for_timeout(300)
    whole = page.evaluate("navigator.clipboard.readText()")
    assert whole.startswith("# Conversation") and "## 1. What did Trump rule out on Aug. 18?" in whole
    assert copied in whole and "<" not in whole and not STRAY_ESCAPE.search(whole)
    with page.expect_download(timeout=30_000) as download:
        page.locator("#rag-export").click()
    md = Path(download.value.path()).read_text(encoding="utf-8")
    assert md == whole  # the export is the same clean text


def test_the_trash_icon_resets_like_new_chat_and_a_follow_up_is_then_standalone(page):
    ask(page, "What did Trump rule out on Aug. 18?")
    _answered(page, 1)
    page.locator("#rag-quote").wait_for(timeout=30_000)
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function("document.querySelectorAll('#rag-chat .message-row').length === 0", timeout=30_000)
    page.wait_for_function("!document.querySelector('#rag-quote')", timeout=30_000)  # the panel too
    assert page.locator("#rag-citations input").count() == 0
    page.wait_for_function(
        "document.querySelector('#rag-export').disabled", timeout=30_000
    )  # nothing to export
    ask(page, "What did he offer instead?")
    _answered(page, 1)
    answer = _last_answer(page)
    assert "Answering:" not in answer  # no hidden history: answered as it stands
    page.get_by_role("button", name="Copy conversation").click()
    page.wait_for_timeout(300)
    whole = page.evaluate("navigator.clipboard.readText()")
    assert "rule out" not in whole and "## 1. What did he offer instead?" in whole


def test_a_question_in_another_language_and_an_empty_date_range_get_their_own_words(page):
    ask(page, "Що сказав Макрон?")
    _answered(page, 1)
    answer = _last_answer(page)
    assert "English only" in answer and "англійською" in answer and "don't say" not in answer
    page.get_by_text("Filter by publication date").click()
    page.locator("#rag-from input, #rag-from textarea").first.fill("2030-01-01")
    page.get_by_text("Filter by publication date").click()  # close the panel: the filter still shows
    page.wait_for_function(
        "(document.querySelector('#rag-date-state') || {innerText: ''}).innerText"
        ".includes('Date filter on: from 2030-01-01')",
        timeout=30_000,
    )
    assert page.locator("#rag-from").is_hidden()
    ask(page, "What did Trump rule out on Aug. 18?")
    _answered(page, 2)
    answer = _last_answer(page)
    assert "No article was published from 2030-01-01 on" in answer and "All 3 articles" in answer
    assert "No article matches" not in answer
    page.screenshot(path=str(ARTIFACTS / "ui-notices.png"))


def test_regenerate_says_the_answer_is_the_same(page):
    ask(page, "What did Trump rule out on Aug. 18?")
    _answered(page, 1)
    retry = page.get_by_role("button", name="Retry").last
    page.wait_for_function(
        "[...document.querySelectorAll('#rag-chat button[aria-label=Retry]')].every(b => b.title.includes('deterministic'))",
        timeout=15_000,
    )
    retry.click()
    page.wait_for_function("document.body.innerText.includes('Same answer as before')", timeout=60_000)
    assert _bots(page) == 1


def test_bold_text_uses_one_font(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h2"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    assert page.locator("h2").inner_text() == "Newsroom Q&A"
    assert len({f["familyName"] for f in fonts}) == 1, fonts  # "Q&A" was two fonts (a 55-glyph SemiBold)


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_on_a_phone_the_scroll_arrow_covers_no_text_and_the_sources_follow_the_question_box(page):
    ask(page, "What did Trump rule out on Aug. 18?")
    _answered(page, 1)
    page.locator("#rag-quote").wait_for(timeout=30_000)
    # the sources panel comes right after the question box, not after every control
    ask_box = page.locator("#rag-ask-row").bounding_box()
    sources = page.locator("#rag-sources-col").bounding_box()
    assert 0 <= sources["y"] - (ask_box["y"] + ask_box["height"]) < 120, (ask_box, sources)
    # scroll the conversation part way: the arrow shows, and no line of text lies under it
    page.evaluate("document.querySelector('#rag-chat .bubble-wrap').scrollTop = 120")
    page.wait_for_timeout(400)
    arrow = page.locator("#rag-chat .scroll-down-button-container")
    arrow.wait_for(state="visible", timeout=10_000)
    covered = page.evaluate(
        """() => {
          const a = document.querySelector('#rag-chat .scroll-down-button-container').getBoundingClientRect();
          const wrap = document.querySelector('#rag-chat .bubble-wrap').getBoundingClientRect();
          const hits = [];
          const walk = document.createTreeWalker(document.querySelector('#rag-chat .message-wrap'), NodeFilter.SHOW_TEXT);
          while (walk.nextNode()) {
            const n = walk.currentNode; if (!n.textContent.trim()) continue;
            const r = document.createRange(); r.selectNodeContents(n);
            for (const b of r.getClientRects()) {
              const visible = b.bottom > wrap.top && b.top < wrap.bottom;
              if (visible && b.left < a.right && b.right > a.left && b.top < a.bottom && b.bottom > a.top) hits.push(n.textContent.slice(0, 30));
            }
          }
          return hits;
        }"""
    )
    assert covered == [], covered
    page.screenshot(path=str(ARTIFACTS / "ui-phone-reading.png"), full_page=True)
