"""The chat's Articles tab in a real headless chromium (issue 16): upload, search, open, delete,
and what a past answer shows once its article is gone."""

import pytest

from rag.config import load_settings
from rag.serve.api import create_app
from tests.e2e.test_ui import ARTIFACTS, ask, browser  # noqa: F401 (browser is a fixture)
from tests.servers import ThreadServer

pytestmark = [pytest.mark.integration, pytest.mark.browser]

GLASS = (
    "date 2025-09-18\nOrsk glassworks hires again\n\n"
    "The Orsk glassworks announced 300 new jobs at its furnace plant on Wednesday, its director said. "
    "<b>Hiring</b> starts in *October*."
)
QUESTION = "How many new jobs did the Orsk glassworks announce?"


@pytest.fixture(scope="module")
def server(tmp_path_factory, minilm, seeds_dir):
    from rag.pipeline import build_pipeline

    data = tmp_path_factory.mktemp("ui-articles")
    pipe = build_pipeline(load_settings(data_dir=data), embedder=minilm)
    assert not pipe.ingest([seeds_dir]).failed
    with ThreadServer(create_app(load_settings(data_dir=data), pipeline=pipe, with_ui=True)) as s:
        yield s


def _wait_text(page, selector, needle, timeout=60_000):
    page.wait_for_function(
        "([s, n]) => { const e = document.querySelector(s); return e && "
        "(e.innerText + ' ' + [...e.querySelectorAll('textarea, input')].map(x => x.value).join(' ')).includes(n); }",
        arg=[selector, needle],
        timeout=timeout,
    )


def test_upload_ask_delete_and_the_answer_is_refused(browser, server, tmp_path):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    good = tmp_path / "orsk-glass.txt"
    good.write_text(GLASS, encoding="utf-8")
    bad = tmp_path / "no-date.txt"
    bad.write_text("An article without its date line.", encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(server.url + "/", timeout=60_000)

    # upload two files: one indexed, one refused with the reason rag ingest gives
    page.get_by_role("tab", name="Articles").click()
    page.locator("#rag-upload input[type=file]").set_input_files([str(good), str(bad)])
    page.wait_for_timeout(500)
    page.locator("#rag-upload-add").click()
    _wait_text(page, "#rag-upload-summary", "1 of 2 file(s) indexed")
    results = page.locator("#rag-upload-results").inner_text()
    assert "orsk-glass" in results and "added" in results, results
    assert "no 'date YYYY-MM-DD' header" in results, results

    # search by headline; open it: shown as its characters
    page.locator("#rag-article-search input, #rag-article-search textarea").first.fill("glassworks hires")
    page.wait_for_function(  # the seed articles are filtered out
        "!document.querySelector('#rag-article-list').innerText.includes('000_ae23ea00b4c5bd97')",
        timeout=30_000,
    )
    assert "Orsk glassworks hires again" in page.locator("#rag-article-list").inner_text()
    page.locator("#rag-article-id input, #rag-article-id textarea").first.fill("orsk-glass")
    page.locator("#rag-article-open").click()
    _wait_text(page, "#rag-article-text", "<b>Hiring</b> starts in *October*.")
    assert page.locator("#rag-article-text b").count() == 0  # text, not markup
    page.screenshot(path=str(ARTIFACTS / "ui-articles.png"), full_page=True)

    # ask about it in the chat: answered from it, the headline shown instead of the id
    page.get_by_role("tab", name="Chat").click()
    ask(page, QUESTION)
    _wait_text(page, "#rag-chat", "300 new jobs")
    _wait_text(page, "#rag-citations", "Orsk glassworks hires again")
    page.locator("#rag-quote").wait_for(timeout=30_000)
    assert "Orsk glassworks hires again" in page.locator("#rag-source").inner_text()

    # replace it with a file: the open text changes; the past answer's quote is marked changed
    newer = tmp_path / "newer.txt"
    newer.write_text(GLASS.replace("300 new jobs", "450 new jobs"), encoding="utf-8")
    page.get_by_role("tab", name="Articles").click()
    page.locator("#rag-replace-file input[type=file]").set_input_files(str(newer))
    page.wait_for_timeout(500)
    page.locator("#rag-article-replace").click()
    _wait_text(page, "#rag-article-status", "Replaced orsk-glass")
    _wait_text(page, "#rag-article-text", "450 new jobs")
    page.get_by_role("tab", name="Chat").click()
    _wait_text(page, "#rag-source", "was replaced after the answer")
    assert "300 new jobs" in page.locator("#rag-source").inner_text()

    # delete it, with a confirmation first
    page.get_by_role("tab", name="Articles").click()
    page.locator("#rag-article-delete").click()
    _wait_text(page, "#rag-confirm", "Delete orsk-glass?")
    page.locator("#rag-confirm-yes").click()
    _wait_text(page, "#rag-article-status", "Deleted orsk-glass")

    # the past answer stays readable; its citation is marked withdrawn, with the saved quote
    page.get_by_role("tab", name="Chat").click()
    _wait_text(page, "#rag-source", "removed from the collection")
    source = page.locator("#rag-source").inner_text()
    assert "withdrawn" in source.lower()  # the label (shown in capitals)
    assert "300 new jobs" in source and "Orsk glassworks hires again" in source
    assert "300 new jobs" in page.locator("#rag-chat").inner_text()

    # asked again: refused
    ask(page, QUESTION)
    page.wait_for_function(
        "['don\\'t say', 'No article mentions', 'does not mention']"
        ".some(n => document.querySelector('#rag-chat').innerText.includes(n))",
        timeout=60_000,
    )
    _wait_text(page, "#rag-source", "no article says it")
    page.screenshot(path=str(ARTIFACTS / "ui-articles-deleted.png"), full_page=True)
    page.close()


# ------------------------------------------------------------------ issue 23
KYIV = "date 2025-09-19\nKyiv talks stall\n\nTalks in Kyiv stalled on Friday, officials said."


def test_a_row_click_opens_the_article_and_the_list_fits_at_1366(browser, server, tmp_path):  # noqa: F811
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(server.url + "/", timeout=60_000)
    page.get_by_role("tab", name="Articles").click()
    _wait_text(page, "#rag-article-list", "000_ae23ea00b4c5bd97")
    # nothing is open: Delete… cannot be pressed
    assert page.locator("#rag-article-delete").is_disabled()
    # every column, "chunks" included, lies inside the table's box
    cols = page.evaluate(
        """() => { const t = document.querySelector('#rag-article-list');
           const box = t.getBoundingClientRect();
           return [...t.querySelectorAll('th')].map(th => { const r = th.getBoundingClientRect();
             return [th.innerText.trim(), r.left >= box.left - 1 && r.right <= box.right + 1]; }); }"""
    )
    assert [c for c, inside in cols if not inside] == [] and any(c == "chunks" for c, _ in cols), cols
    # a click on a row opens that article
    page.locator("#rag-article-list [role=gridcell]").filter(has_text="000_ae23ea00b4c5bd97").first.click()
    _wait_text(page, "#rag-article-head", "000_ae23ea00b4c5bd97")
    _wait_text(page, "#rag-article-text", "26 countries are ready to send troops")
    page.wait_for_function("!document.querySelector('#rag-article-delete').disabled", timeout=15_000)
    page.screenshot(path=str(ARTIFACTS / "ui-articles-row-open.png"))

    # an upload empties the picker once done; the per-file results say what happened
    f = tmp_path / "kyiv-talks.txt"
    f.write_text(KYIV, encoding="utf-8")
    page.locator("#rag-upload input[type=file]").set_input_files(str(f))
    page.wait_for_function(
        "document.querySelector('#rag-upload').innerText.includes('kyiv-talks.txt')", timeout=15_000
    )
    page.locator("#rag-upload-add").click()
    _wait_text(page, "#rag-upload-summary", "1 of 1 file(s) indexed")
    page.wait_for_function(
        "!document.querySelector('#rag-upload').innerText.includes('kyiv-talks.txt')", timeout=15_000
    )
    assert "kyiv-talks" in page.locator("#rag-upload-results").inner_text()
    page.close()
