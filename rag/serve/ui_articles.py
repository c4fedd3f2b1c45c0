"""The chat's "Articles" tab: upload, list, search, open, replace and delete articles.

Thin like the chat: each callback parses at the edge (``rag.index.loader.load_file``, the
same checks and words as ``rag ingest``) and makes one call into the service the API uses.
Article text and file names are data: they are shown in plain-text widgets (a ``Textbox``, a
``Dataframe`` of strings) and HTML-escaped in HTML, never rendered as Markdown or HTML.

Uploads are per file, like ``rag ingest``: good files are written, each bad one is named with
its reason. A past answer whose article is deleted stays readable: the sources panel shows
the quote saved in the answer, labelled "withdrawn" (``withdrawn_html``).
"""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path
from typing import Any

import gradio as gr

from rag.errors import RagError
from rag.index.loader import load_file
from rag.protocols import AnswerService
from rag.serve.highlight import article_head_html
from rag.text.headline import headline
from rag.types import Article

MAX_LISTED = 300
COLUMNS = ["published", "headline", "id", "chunks"]
# shares of the table: a date, the headline (cut with …), a hash id, a count; all four fit at 1366 px
# (a fixed-pixel set was laid out wider than the table and cut "chunks" off)
COLUMN_WIDTHS: list[str | int] = ["9%", "67%", "16%", "8%"]
ARTICLES_CSS = """
.rag-withdrawn { padding: 12px; border-radius: 8px; border: 1px dashed var(--border-color-primary); }
.rag-withdrawn .rag-tag { text-transform: uppercase; font-size: 0.8em; letter-spacing: 0.05em;
  background: var(--background-fill-secondary); padding: 1px 6px; border-radius: 4px; }
.rag-withdrawn blockquote { font-family: Georgia, serif; margin: 8px 0 0 0; opacity: 0.8; }
.rag-article-id { opacity: 0.7; }
"""


def withdrawn_html(citation: dict[str, Any], changed: bool = False) -> str:
    """A citation whose article was deleted (or, ``changed``, replaced so that the quote is no
    longer at its offsets) after the answer: the quote the answer saved, labelled as such."""
    head = article_head_html(citation["article_id"], citation["published"], citation.get("headline", ""))
    tag, what = (
        ("changed", "was replaced after the answer and no longer says this at these characters")
        if changed
        else ("withdrawn", "was removed from the collection after the answer")
    )
    return (
        f"<div class='rag-withdrawn' id='rag-withdrawn'><div class='rag-article-head'>{head} · "
        f"<span class='rag-tag'>{tag}</span></div>"
        f"<div>This article {what}; the quote as the answer saved it "
        f"(chars {int(citation['start'])}–{int(citation['end'])}):</div>"
        f"<blockquote>“{html.escape(citation['quote'])}”</blockquote></div>"
    )


def matches(row: list[Any], query: str) -> bool:
    """Does a listed article match the search? Case-insensitive, on its id, headline or date."""
    q = query.strip().lower()
    return not q or any(q in str(cell).lower() for cell in row[:3])


def articles_tab(service: AnswerService, tab: gr.Tab) -> None:
    """Lay out the tab's widgets and wire its callbacks (inside an open ``gr.Tab``)."""

    def rows(query: str) -> list[list[Any]]:
        try:
            infos = service.list_articles()
        except RagError as e:
            gr.Warning(str(e))
            return []
        found = [
            [a.published.isoformat(), a.headline, a.article_id, a.chunks]
            for a in sorted(infos, key=lambda a: (a.published, a.article_id), reverse=True)
        ]
        return [r for r in found if matches(r, query)][:MAX_LISTED]

    def upload(files: list[Any] | None, query: str, progress: gr.Progress = gr.Progress()) -> Any:  # noqa: B008 (Gradio's idiom)
        paths = [Path(getattr(f, "name", f)) for f in files or []]
        if not paths:
            return [], gr.update(), "Choose one or more .txt files first.", gr.update()
        results: list[list[str]] = []  # [file, id, result] per file, in upload order
        good: dict[str, tuple[Article, list[str]]] = {}  # id -> (article, its result row)
        for p in paths:
            row = [p.name, p.stem, "checked"]
            results.append(row)
            try:
                art = load_file(p)  # the file name is the id; too big is refused before reading
            except (RagError, OSError) as e:
                row[2] = f"failed: {e}"
                continue
            if art.article_id in good:
                row[2] = "failed: duplicate article id in this upload"
                continue
            good[art.article_id] = (art, row)
        done = 0

        def on_article(article_id: str, _event: str) -> None:
            nonlocal done
            done += 1
            progress((done, len(good)), desc=f"indexed {article_id}")

        if good:
            progress((0, len(good)), desc="indexing")
            try:
                report = service.add_articles([a for a, _ in good.values()], on_article=on_article)
            except RagError as e:
                for _, row in good.values():
                    row[2] = f"failed: {e}"
            else:
                for kind, ids in (("added", report.added), ("updated", report.updated)):
                    for i in ids:
                        good[i][1][2] = kind
                for i in report.unchanged:
                    good[i][1][2] = "unchanged (already indexed)"
        ok = sum(1 for r in results if not r[2].startswith("failed"))
        note = "" if ok == len(results) else "; the failures say why"
        # the picker is emptied: the per-file results say what happened to each file
        return results, rows(query), f"{ok} of {len(results)} file(s) indexed{note}", None

    def open_article(article_id: str) -> tuple[str, str, str, Any]:
        """(head, text, status, the Delete button): Delete is enabled only with an article open."""
        article_id = (article_id or "").strip()
        art = service.article(article_id) if article_id else None
        if art is None:
            return (
                "",
                "",
                f"No article {article_id!r}: pick one in the list." if article_id else "Pick an article.",
                gr.update(interactive=False),
            )
        head = f"{headline(art.text)} · {art.published_iso} · {art.article_id}"
        return head, art.text, "", gr.update(interactive=True)

    def pick(evt: gr.SelectData) -> Any:
        row = getattr(evt, "row_value", None) or []
        return row[2] if len(row) > 2 else gr.update()

    def replace(article_id: str, file: Any, query: str) -> Any:
        article_id = (article_id or "").strip()
        if not article_id or file is None:
            return (
                gr.update(),
                gr.update(),
                gr.update(),
                "Open an article and choose its replacement file first.",
            )
        try:
            art = load_file(Path(getattr(file, "name", file)))
            service.replace_article(dataclasses.replace(art, article_id=article_id))
        except (RagError, OSError) as e:
            return gr.update(), gr.update(), gr.update(), f"Not replaced: {e}"
        head, text, _, _ = open_article(article_id)
        return head, text, rows(query), f"Replaced {article_id}: answers now quote the new text."

    def ask_delete(article_id: str) -> Any:
        article_id = (article_id or "").strip()
        if not article_id or service.article(article_id) is None:
            return gr.update(visible=False), gr.update(), "Open an article first."
        prompt = f"Delete {article_id}? Answers that cited it keep their quotes, marked withdrawn."
        return gr.update(visible=True), prompt, ""

    def delete(article_id: str, query: str) -> Any:
        article_id = (article_id or "").strip()
        try:
            service.delete_article(article_id)
        except RagError as e:
            return (
                gr.update(visible=False),
                gr.update(),
                gr.update(),
                gr.update(),
                f"Not deleted: {e}",
                gr.update(),
            )
        return (
            gr.update(visible=False),
            "",
            "",
            rows(query),
            f"Deleted {article_id}.",
            gr.update(interactive=False),
        )

    gr.Markdown("Add articles as `.txt` files (`date YYYY-MM-DD`, then the text; the file name is the id).")
    with gr.Row():
        files = gr.File(
            label="Upload .txt articles", file_count="multiple", file_types=[".txt"], elem_id="rag-upload"
        )
        with gr.Column():
            add = gr.Button("Add articles", variant="primary", elem_id="rag-upload-add")
            summary = gr.Textbox(label="Upload", interactive=False, elem_id="rag-upload-summary")
    results = gr.Dataframe(
        headers=["file", "id", "result"], datatype=["str", "str", "str"], interactive=False,
        label="Per-file result", elem_id="rag-upload-results",
    )  # fmt: skip
    search = gr.Textbox(label="Search by id, headline or date", elem_id="rag-article-search", max_lines=1)
    table = gr.Dataframe(
        headers=COLUMNS, datatype=["str", "str", "str", "number"], interactive=False,
        label=f"Articles (newest first, up to {MAX_LISTED}; click a row to open it)", elem_id="rag-article-list",
        column_widths=COLUMN_WIDTHS, wrap=True,
    )  # fmt: skip
    with gr.Row():
        chosen = gr.Textbox(label="Article id", elem_id="rag-article-id", max_lines=1, scale=3)
        show = gr.Button("Open", elem_id="rag-article-open", scale=1)
    head = gr.Textbox(label="Headline · date · id", interactive=False, elem_id="rag-article-head")
    text = gr.Textbox(label="Text", interactive=False, lines=10, max_lines=24, elem_id="rag-article-text")
    with gr.Row():
        new_file = gr.File(
            label="Replacement .txt", file_count="single", file_types=[".txt"], elem_id="rag-replace-file"
        )
        with gr.Column():
            swap = gr.Button("Replace with this file", elem_id="rag-article-replace")
            remove = gr.Button("Delete…", variant="stop", elem_id="rag-article-delete", interactive=False)
    with gr.Row(visible=False, elem_id="rag-confirm") as confirm:
        question = gr.Textbox(show_label=False, interactive=False, scale=3, elem_id="rag-confirm-text")
        yes = gr.Button("Yes, delete", variant="stop", elem_id="rag-confirm-yes", scale=1)
        no = gr.Button("Cancel", elem_id="rag-confirm-no", scale=1)
    status = gr.Textbox(label="Result", interactive=False, elem_id="rag-article-status")

    tab.select(rows, search, table, api_visibility="private")
    search.change(rows, search, table, api_visibility="private")
    add.click(
        upload,
        [files, search],
        [results, table, summary, files],
        concurrency_limit=1,
        api_visibility="private",
    )
    opened = [head, text, status, remove]
    table.select(pick, None, chosen, api_visibility="private").then(
        open_article, chosen, opened, api_visibility="private"
    )
    gr.on([show.click, chosen.submit], open_article, chosen, opened, api_visibility="private")
    swap.click(
        replace,
        [chosen, new_file, search],
        [head, text, table, status],
        concurrency_limit=1,
        api_visibility="private",
    )
    remove.click(ask_delete, chosen, [confirm, question, status], api_visibility="private")
    no.click(lambda: gr.update(visible=False), None, confirm, api_visibility="private")
    yes.click(
        delete,
        [chosen, search],
        [confirm, head, text, table, status, remove],
        concurrency_limit=1,
        api_visibility="private",
    )
