"""The chat in a real headless browser: Debian's chromium driven by Playwright (no browser download)."""

import shutil
from pathlib import Path
from urllib.parse import urlsplit

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


# ------------------------------------------------------------------ issue 15: article text is data
@pytest.fixture(scope="module")
def hostile_server(hostile):
    app = create_app(load_settings(data_dir=hostile.settings.data_dir), pipeline=hostile, with_ui=True)
    with ThreadServer(app) as s:
        yield s


def test_a_hostile_article_is_shown_as_its_characters_and_fetches_nothing(browser, hostile_server):
    from tests.conftest import HOSTILE_TEXT

    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    dialogs: list[str] = []
    console: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: console.append(m.text))
    page.goto(hostile_server.url + "/", timeout=60_000)
    ask(page, "What was the budget for the bridge?")
    page.wait_for_function(
        "document.querySelector('#rag-chat').innerText.includes('40 million')", timeout=60_000
    )
    mark = page.locator("#rag-quote")
    mark.wait_for(timeout=30_000)
    quote = mark.inner_text()
    start, end = int(mark.get_attribute("data-start")), int(mark.get_attribute("data-end"))
    page.wait_for_timeout(1500)  # time for any image or script the article might have smuggled in
    page.screenshot(path=str(ARTIFACTS / "ui-hostile.png"), full_page=True)

    # the quote, in the sources panel and in the chat, is the article's characters at [start, end)
    assert quote == HOSTILE_TEXT[start:end] and "<script>alert(1)</script> budget" in quote
    chat_text = page.locator("#rag-chat").inner_text()
    assert quote in chat_text, chat_text  # once, in the answer (the source card names the article)
    for literal in ["**bold** _x_", "![chart](http://127.0.0.1:9999/beacon-md.png)", "<img src=http"]:
        assert literal in chat_text
    # nothing left for another origin, no script ran, no link or image made of article text
    origin = hostile_server.url
    assert [u for u in requests if not u.startswith(origin) and not u.startswith("data:")] == []
    # none of the article's URLs was fetched, even inside a data: URL (matched on the article's
    # port and paths: a bare "9999" also matched the test server's own random port or a base64
    # blob now and then)
    smuggled = [
        u[:200]
        for u in requests
        if "beacon" in u or "phish" in u or (not u.startswith("data:") and urlsplit(u).port == 9999)
    ]
    assert smuggled == [], smuggled
    assert dialogs == []
    made = page.evaluate(
        """() => [...document.querySelectorAll(
            '#rag-chat .message a, #rag-chat .message img, #rag-chat .message script,'
            + ' #rag-chat .message em, #rag-chat .message h1, #rag-chat .message blockquote,'
            + ' #rag-source a, #rag-source img, #rag-source script')]
            .map(e => e.outerHTML)"""
    )
    assert made == [], made
    # the only code spans are the article's bare URLs (shown as typed so no renderer links them)
    codes = page.evaluate(
        "() => [...document.querySelectorAll('#rag-chat .message code')].map(e => e.innerText)"
    )
    assert all(c.startswith("http://127.0.0.1:9999/") for c in codes), codes
    # copied, the answer is the article's characters with only the markup-making ones escaped
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=hostile_server.url)
    page.get_by_role("button", name="Copy message").last.click()
    page.wait_for_timeout(300)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "\\<script>alert(1)\\</script> budget was 40 million dollars for the bridge." in copied
    assert "<span" not in copied and "rag-cite" not in copied
    assert not [m for m in console if "Content Security Policy" in m], console
    page.close()


def test_the_chat_runs_under_its_content_security_policy(browser, server):
    """The policy allows everything the chat itself needs: no violation while asking."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    resp = page.goto(server.url + "/", timeout=60_000)
    assert "default-src 'self'" in resp.headers["content-security-policy"]
    ask(page, "What did Trump rule out on Aug. 18?")
    page.locator("#rag-quote").wait_for(timeout=60_000)
    assert not [m for m in console if "Content Security Policy" in m], console
    page.close()


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_render_offline(browser, server, path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    blocked: dict[str, str | None] = {}
    console: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: blocked.update({r.url: r.failure}))
    page.on("console", lambda m: console.append(m.text))
    page.goto(server.url + path, timeout=60_000)
    page.wait_for_function("document.body.innerText.includes('/v1/answer')", timeout=60_000)
    page.wait_for_timeout(1000)
    offsite = [u for u in requests if not u.startswith((server.url, "data:", "blob:"))]
    # redoc's bundle hard-codes one remote image (its "API docs by Redocly" logo): the page's
    # Content-Security-Policy stops it in the browser; nothing else may even be attempted
    allowed = {"https://cdn.redoc.ly/redoc/logo-mini.svg"} if path == "/redoc" else set()
    assert set(offsite) <= allowed, offsite
    assert all(blocked.get(u) == "csp" for u in offsite), blocked
    violations = [m for m in console if "Content Security Policy" in m]
    assert all(any(u in m for u in allowed) for m in violations), violations
    page.close()


# ------------------------------------------------------------------ issue 17: clickable citations
def _in_view(page, selector):
    return page.evaluate(
        """(sel) => { const e = document.querySelector(sel); if (!e) return null;
           const r = e.getBoundingClientRect();
           return [r.top, r.bottom, r.left, r.right, window.innerHeight, window.innerWidth]; }""",
        selector,
    )


def _citations_of(page, k):
    """How many citations answer ``k`` has: its distinct markers (each shows in the text and on its card)."""
    return page.evaluate(
        "(k) => new Set([...document.querySelectorAll(`#rag-chat .rag-a${k}`)]"
        ".map(e => e.className.match(/rag-n\\d+/)[0])).size",
        k,
    )


def _marker_offsets(marker):
    cls = marker.get_attribute("class")
    return int(cls.split("rag-s")[1].split()[0]), int(cls.split("rag-e")[1].split()[0])


def test_an_inline_citation_on_a_phone_opens_its_quote_in_view(browser, server):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(server.url + "/", timeout=60_000)
    ask(page, "How many countries are ready to send troops?")
    markers = page.locator("#rag-chat .rag-cite")
    markers.first.wait_for(timeout=60_000)
    assert markers.count() >= 2
    second = markers.nth(1)
    # the hover shows the quote, as text: the title is the citation's own characters
    title = second.get_attribute("title")
    start, end = _marker_offsets(second)
    assert title.startswith("[2] ") and len(title) > 20
    second.click()
    sel = f"#rag-quote[data-start='{start}'][data-end='{end}']"
    page.wait_for_selector(sel, timeout=30_000)
    page.wait_for_function(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
           return r.top >= 0 && r.bottom <= window.innerHeight; }""",
        arg=sel,
        timeout=15_000,
    )
    top, bottom, left, right, height, width = _in_view(page, sel)
    assert 0 <= top < bottom <= height and 0 <= left < right <= width + 1
    shown = " ".join(page.locator(sel).inner_text().split())
    assert title[4:] == shown or (title.endswith("…") and shown.startswith(title[4:-1]))
    assert page.locator("#rag-citations input").nth(1).is_checked()
    page.screenshot(path=str(ARTIFACTS / "ui-citation-phone.png"))

    # [1] holds the answer span: a stronger mark inside the quote, "26" bold in the chat
    markers.first.click()
    page.wait_for_selector("#rag-quote mark.rag-span", timeout=30_000)
    assert "26" in page.locator("#rag-quote mark.rag-span").inner_text()
    assert "26" in page.locator("#rag-chat .message strong").first.inner_text()
    page.close()


def test_a_marker_of_an_earlier_answer_shows_that_answer_s_source(browser, server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url + "/", timeout=60_000)
    ask(page, "What did Trump rule out on Aug. 18?")
    page.locator("#rag-chat .rag-a0").first.wait_for(timeout=60_000)
    ask(page, "How many countries are ready to send troops?")
    page.locator("#rag-chat .rag-a1").first.wait_for(timeout=60_000)
    page.wait_for_function(
        "document.querySelector('#rag-citations').innerText.includes('[1]')", timeout=30_000
    )
    # the chat holds the new question in view instead of scrolling to the end of its sources
    held = page.evaluate(
        """() => { const rows = document.querySelectorAll('#rag-chat .user-row');
           const q = rows[rows.length - 1].getBoundingClientRect();
           const box = document.querySelector('#rag-chat .bubble-wrap').getBoundingClientRect();
           return q.top >= box.top - 1 && q.top < box.bottom; }"""
    )
    assert held
    earlier = page.locator("#rag-chat .rag-a0.rag-n2")
    if earlier.count() == 0:  # the first answer has one citation: its [1] is the earlier source
        earlier = page.locator("#rag-chat .rag-a0.rag-n1")
    target = earlier.first
    start, end = _marker_offsets(target)
    target.scroll_into_view_if_needed()
    target.click()
    page.wait_for_selector(f"#rag-quote[data-start='{start}'][data-end='{end}']", timeout=30_000)
    quote = page.locator("#rag-quote").inner_text()
    assert quote.split()[0] in target.get_attribute("title")
    # the citation list follows the clicked answer too
    page.wait_for_function(
        "(n) => document.querySelectorAll('#rag-citations label').length === n",
        arg=_citations_of(page, 0),
        timeout=15_000,
    )
    # a click on the later answer's text (not a marker) brings its first answer quote back
    later = page.locator("#rag-chat .bot-row").nth(1).locator(".message").first
    later.scroll_into_view_if_needed()
    later.click(position={"x": 12, "y": 8})
    page.wait_for_function(
        "(n) => document.querySelectorAll('#rag-citations label').length === n",
        arg=_citations_of(page, 1),
        timeout=15_000,
    )
    first = page.locator("#rag-chat .rag-a1.rag-n1").first
    page.wait_for_selector(f"#rag-quote[data-start='{_marker_offsets(first)[0]}']", timeout=15_000)
    page.close()
