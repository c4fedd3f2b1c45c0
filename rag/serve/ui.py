"""The Gradio chat for journalists: questions on the left, the evidence on the right.

Thin: every callback is one call into the service (the same one the HTTP API uses) plus
rendering. The sources panel shows the cited article with the quoted span highlighted,
using the exact offsets of the citation.
"""

from __future__ import annotations

import re
from typing import Any

import gradio as gr

from rag.errors import RagError
from rag.protocols import AnswerService
from rag.serve import ui_citations as cites
from rag.serve.chat_tools import export_button, wire_chat_tools
from rag.serve.conversation import turns_from_answers
from rag.serve.feedback import FeedbackStore
from rag.serve.feedback_ui import attach_feedback
from rag.serve.ui_articles import ARTICLES_CSS, articles_tab
from rag.serve.ui_citations import PLACEHOLDER_HTML, chat_markdown, source_html
from rag.types import DateRange

EXAMPLES = [
    "What did Trump rule out on Aug. 18?",
    "How many countries are ready to send troops or other support?",
    "Which countries said they would not send troops into Ukraine?",
    "What did Trump tell CBS News on Sept. 3?",
]
CSS = (
    """
#rag-source mark { background: #ffe066; padding: 0 2px; border-radius: 2px; }
#rag-source .rag-article { font-family: Georgia, serif; line-height: 1.55; max-height: 520px; overflow-y: auto;
  border: 1px solid var(--border-color-primary); padding: 12px; border-radius: 8px; }
#rag-source .rag-article-head { margin-bottom: 6px; font-size: 0.9em; opacity: 0.85; }
#rag-source .rag-abstain, .rag-empty { padding: 12px; border-radius: 8px; background: var(--background-fill-secondary); }
@media (max-width: 640px) { #rag-source .rag-article { max-height: 320px; } }
"""
    + cites.CITE_CSS
    + ARTICLES_CSS
)
JS = cites.CITE_JS


_choices = cites.choices


def build_ui(service: AnswerService, feedback: FeedbackStore | None = None) -> gr.Blocks:
    """The chat UI over the answer service (the same one the HTTP API calls)."""

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
            ans = service.ask(message, date_range=dr, history=turns_from_answers(answers))
        except RagError as e:
            gr.Warning(str(e))
            return message, history, answers, gr.update(), gr.update(), gr.update()
        data: dict[str, Any] = ans.to_json()
        history += [
            {"role": "user", "content": message},
            {"role": "assistant", "content": chat_markdown(ans, len(answers))},
        ]
        answers = [*answers, data]
        choices = _choices(data)
        first = next((i for i, c in enumerate(ans.citations) if c.role == "answer"), 0)
        value = choices[first] if choices else None
        shown = len(answers) - 1
        return "", history, answers, gr.update(choices=choices, value=value), panel(data, first), shown

    def panel(answer: dict[str, Any] | None, index: int) -> str:
        return source_html(service.article, answer, index)

    def show(choice: str | None, answers: list[dict[str, Any]], shown: int) -> str:
        if not answers:
            return PLACEHOLDER_HTML
        m = re.match(r"\[(\d+)\]", choice or "")
        return panel(answers[shown if 0 <= shown < len(answers) else -1], int(m.group(1)) - 1 if m else 0)

    def pick_cite(value: str, answers: list[dict[str, Any]]):
        radio, html_, k = cites.pick(service.article, value, answers)
        return (
            (gr.update(**radio) if radio else gr.update()),
            html_ or gr.update(),
            gr.update() if k is None else k,
        )

    def select_answer(answers: list[dict[str, Any]], evt: gr.SelectData):
        return pick_cite(cites.select_value(evt.value, answers), answers)

    def clear():
        return "", [], [], gr.update(choices=[], value=None), PLACEHOLDER_HTML, -1

    with (
        gr.Blocks(title="Newsroom Q&A", analytics_enabled=False) as demo,
        gr.Tabs() as tabs,
        gr.Tab("Chat") as chat_tab,
    ):
        answers = gr.State([])
        shown = gr.State(-1)  # which answer the sources panel shows (the reader may click an earlier one)
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
                    autoscroll=False,  # CITE_JS keeps a new answer's start in view, not its source list
                    editable="user",  # edit a question: it is asked again (rag.serve.chat_tools)
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
                if feedback is not None:
                    attach_feedback(chat, answers, service, feedback)
                gr.Examples(EXAMPLES, inputs=box, label="Try")
                with gr.Row():
                    new = gr.Button("New chat", elem_id="rag-clear", size="sm")
                    export = export_button()
            with gr.Column(scale=2, min_width=300):
                gr.Markdown("### Sources")
                pick = gr.Radio(choices=[], label="Citations of the selected answer", elem_id="rag-citations")
                source = gr.HTML(PLACEHOLDER_HTML, elem_id="rag-source")
                cite_box = gr.Textbox(visible="hidden", elem_id="rag-cite-pick")  # "answer:n", set by CITE_JS
                cite_go = gr.Button(visible="hidden", elem_id="rag-cite-go")

        outputs = [box, chat, answers, pick, source, shown]
        gr.on(
            [ask.click, box.submit],
            respond,
            [box, chat, date_from, date_to, answers],
            outputs,
            concurrency_limit=4,
            api_visibility="private",
        )
        pick.input(show, [pick, answers, shown], source, api_visibility="private")
        cite_go.click(pick_cite, [cite_box, answers], [pick, source, shown], api_visibility="private")
        chat.select(select_answer, [answers], [pick, source, shown], api_visibility="private")
        wire_chat_tools(
            chat, box, answers, export, respond, [box, chat, date_from, date_to, answers], outputs
        )
        chat_tab.select(show, [pick, answers, shown], source, api_visibility="private")  # a deletion shows
        new.click(clear, None, outputs, api_visibility="private")
    with demo, tabs, gr.Tab("Articles", elem_id="rag-articles-tab") as tab:
        articles_tab(service, tab)
    return demo
