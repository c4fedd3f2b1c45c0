"""The Gradio chat for journalists: questions on the left, the evidence on the right.

Thin: every callback is one call into the service (the same one the HTTP API uses) plus
rendering. The sources panel shows the cited article with the quoted span highlighted,
using the exact offsets of the citation.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import gradio as gr

from rag.errors import RagError
from rag.protocols import AnswerService
from rag.serve.format import format_markdown, highlight_html
from rag.serve.ui_articles import ARTICLES_CSS, articles_tab, withdrawn_html
from rag.types import Citation, DateRange

EXAMPLES = [
    "What did Trump rule out on Aug. 18?",
    "How many countries are ready to send troops or other support?",
    "Which countries said they would not send troops into Ukraine?",
    "What did Trump tell CBS News on Sept. 3?",
]
PLACEHOLDER_HTML = (
    "<div class='rag-empty'>Ask a question: its sources appear here, with the quoted words highlighted.</div>"
)
CSS = (
    """
#rag-source mark { background: #ffe066; padding: 0 2px; border-radius: 2px; }
#rag-source .rag-article { font-family: Georgia, serif; line-height: 1.55; max-height: 520px; overflow-y: auto;
  border: 1px solid var(--border-color-primary); padding: 12px; border-radius: 8px; }
#rag-source .rag-article-head { margin-bottom: 6px; font-size: 0.9em; opacity: 0.85; }
#rag-source .rag-abstain, .rag-empty { padding: 12px; border-radius: 8px; background: var(--background-fill-secondary); }
@media (max-width: 640px) { #rag-source .rag-article { max-height: 320px; } }
"""
    + ARTICLES_CSS
)


def _choices(answer: dict[str, Any]) -> list[str]:
    return [
        f"[{i}] {c.get('headline') or c['article_id']} · {c['published']}"
        + ("" if c["role"] == "answer" else f" ({c['role'].replace('_', ' ')})")
        for i, c in enumerate(answer.get("citations", []), start=1)
    ]


def build_ui(service: AnswerService) -> gr.Blocks:
    """The chat UI over the answer service (the same one the HTTP API calls)."""

    def source_html(answer: dict[str, Any] | None, index: int) -> str:
        if not answer:
            return PLACEHOLDER_HTML
        cites = answer.get("citations", [])
        if not cites:
            return f"<div class='rag-abstain'><b>{html.escape(answer['answer'])}</b><br>No quote is shown because no article says it.</div>"
        c = cites[min(index, len(cites) - 1)]
        art = service.article(c["article_id"])
        if art is None or art.text[c["start"] : c["end"]] != c["quote"]:  # deleted or replaced since
            return withdrawn_html(c, changed=art is not None)
        cit = Citation(
            c["article_id"],
            dt.date.fromisoformat(c["published"]),
            c["quote"],
            c["start"],
            c["end"],
            c["role"],
        )
        head = c.get("headline", "")
        excerpt = highlight_html(art, cit, context_chars=500, headline=head)
        full = highlight_html(art, cit, headline=head).replace("id='rag-quote'", "")
        return f"{excerpt}<details class='rag-full'><summary>Show the full article</summary>{full}</details>"

    def respond(
        message: str,
        history: list[dict[str, Any]],
        date_from: str,
        date_to: str,
        answers: list[dict[str, Any]],
    ):
        history = list(history or [])
        try:
            dr = DateRange.parse(date_from, date_to, ("From", "To"))
            ans = service.ask(message, date_range=dr)
        except RagError as e:
            gr.Warning(str(e))
            return message, history, answers, gr.update(), gr.update()
        data: dict[str, Any] = ans.to_json()
        history += [
            {"role": "user", "content": message},
            {"role": "assistant", "content": format_markdown(ans)},
        ]
        answers = [*answers, data]
        choices = _choices(data)
        first = next((i for i, c in enumerate(ans.citations) if c.role == "answer"), 0)
        value = choices[first] if choices else None
        return "", history, answers, gr.update(choices=choices, value=value), source_html(data, first)

    def show(choice: str | None, answers: list[dict[str, Any]]) -> str:
        if not answers:
            return PLACEHOLDER_HTML
        m = re.match(r"\[(\d+)\]", choice or "")
        return source_html(answers[-1], int(m.group(1)) - 1 if m else 0)

    def clear():
        return "", [], [], gr.update(choices=[], value=None), PLACEHOLDER_HTML

    with (
        gr.Blocks(title="Newsroom Q&A", analytics_enabled=False) as demo,
        gr.Tabs() as tabs,
        gr.Tab("Chat") as chat_tab,
    ):
        answers = gr.State([])
        gr.Markdown(
            "## Newsroom Q&A\nAsk about the articles. Every quote is copied verbatim from its article and linked to "
            "the exact characters it came from; when the articles don't say, the assistant says so."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                chat = gr.Chatbot(
                    label="Conversation",
                    height=460,
                    buttons=["copy", "copy_all"],
                    elem_id="rag-chat",
                    placeholder="Answers appear here, with numbered quotes.",
                    latex_delimiters=[],  # article text is data: "$$" in a quote is not LaTeX
                )
                with gr.Row():
                    box = gr.Textbox(
                        placeholder="Ask a question, e.g. What did Trump rule out on Aug. 18?",
                        show_label=False,
                        scale=5,
                        elem_id="rag-question",
                        max_lines=4,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="rag-ask")
                with gr.Accordion("Filter by publication date", open=False), gr.Row():
                    date_from = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="rag-from", max_lines=1)
                    date_to = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="rag-to", max_lines=1)
                gr.Examples(EXAMPLES, inputs=box, label="Try")
                new = gr.Button("New chat", elem_id="rag-clear", size="sm")
            with gr.Column(scale=2, min_width=300):
                gr.Markdown("### Sources")
                pick = gr.Radio(choices=[], label="Citations of the last answer", elem_id="rag-citations")
                source = gr.HTML(PLACEHOLDER_HTML, elem_id="rag-source")

        outputs = [box, chat, answers, pick, source]
        gr.on(
            [ask.click, box.submit],
            respond,
            [box, chat, date_from, date_to, answers],
            outputs,
            concurrency_limit=4,
            api_visibility="private",
        )
        pick.change(show, [pick, answers], source, api_visibility="private")
        chat_tab.select(show, [pick, answers], source, api_visibility="private")  # a deletion shows
        new.click(clear, None, outputs, api_visibility="private")
    with demo, tabs, gr.Tab("Articles", elem_id="rag-articles-tab") as tab:
        articles_tab(service, tab)
    return demo
