"""The Gradio chat for journalists: questions on the left, the evidence on the right.

Thin: every callback is one call into the service (the same one the HTTP API uses) plus
rendering. The sources panel shows the cited article with the quoted span highlighted,
using the exact offsets of the citation. On a phone the sources panel comes right after the
question box (``CSS``), and the example questions sit in the empty chat, where a tap asks them.
The trash icon and "New chat" clear the same state (``clear``): the answers the next follow-up
leans on, the sources panel, the copy text and the export.
"""

from __future__ import annotations

import re
from typing import Any

import gradio as gr

from rag.errors import RagError
from rag.protocols import AnswerService
from rag.serve import ui_citations as cites
from rag.serve.chat_tools import COPY_JS, copy_data, export_button, wire_chat_tools
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
#rag-chat .bubble-wrap { margin-top: 30px; height: calc(100% - 30px); }
#rag-chat .scroll-down-button-container { top: 2px; bottom: auto; left: auto; right: 76px; transform: none; }
#rag-chat li:has(> .rag-cite) { list-style: none; margin: 2px 0; padding: 4px 8px; border-radius: 6px;
  background: var(--background-fill-secondary); }
#rag-date-state p { font-size: 0.9em; font-weight: 700; color: var(--color-accent); margin: 0; }
@media (max-width: 640px) {
  #rag-main { flex-direction: column; }
  #rag-chat-col { display: contents; }
  #rag-chat-col > * { order: 3; }
  #rag-chat-col > #rag-chat, #rag-chat-col > #rag-ask-row, #rag-chat-col > #rag-date-state { order: 1; }
  #rag-sources-col { order: 2; }
}
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
JS = f"() => {{ ({cites.CITE_JS.strip()})(); ({COPY_JS.strip()})(); }}"
# Source Sans Pro as Gradio ships it has a 55-glyph SemiBold (600): bold text mixed it with a
# fallback font ("Q&A" with an odd "A"). Declaring 400 and 700 only, every bold weight uses the
# complete Bold face.
THEME = gr.themes.Default(
    font=[
        gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)),
        "ui-sans-serif",
        "system-ui",
        "sans-serif",
    ]
)
SAME_ANSWER = (
    "Same answer as before: answers are deterministic, so the same question over the same articles "
    "gets the same quotes. Edit the question (the pencil) to ask it differently."
)


_choices = cites.choices


def date_state(date_from: str, date_to: str) -> str:
    """What the date filter does, shown under its (closed) panel: ``""`` when it is off.

    ``date_state("2025-09-05", "")`` -> ``"Date filter on: from 2025-09-05"``.
    """
    lo, hi = (date_from or "").strip(), (date_to or "").strip()
    if not lo and not hi:
        return ""
    try:
        DateRange.parse(lo, hi, ("From", "To"))
    except RagError as e:
        return f"Date filter not applied: {e}"
    span = f"from {lo} to {hi}" if lo and hi else f"from {lo}" if lo else f"up to {hi}"
    return f"Date filter on: {span}"


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
        """One reset for the trash icon and "New chat": the view, the answers follow-ups lean on,
        the sources panel (and so the copy text and the export, which follow the answers)."""
        return "", [], [], gr.update(choices=[], value=None), PLACEHOLDER_HTML, -1

    def example(evt: gr.SelectData) -> str:
        value = evt.value
        return str(value.get("text", "") if isinstance(value, dict) else value or "")

    def same_as_before(answers: list[dict[str, Any]], before: dict[str, Any] | None) -> None:
        if before and answers and _same(answers[-1], before):
            gr.Info(SAME_ANSWER)

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
        with gr.Row(equal_height=False, elem_id="rag-main"):
            with gr.Column(scale=3, min_width=300, elem_id="rag-chat-col"):
                chat = gr.Chatbot(
                    label="Conversation",
                    height=460,
                    buttons=["copy", "copy_all"],
                    elem_id="rag-chat",
                    placeholder="**Ask about the articles**, or try one of these:",
                    examples=[{"text": q} for q in EXAMPLES],
                    latex_delimiters=[],  # article text is data: "$$" in a quote is not LaTeX
                    autoscroll=False,  # CITE_JS keeps a new answer's start in view, not its source list
                    editable="user",  # edit a question: it is asked again (rag.serve.chat_tools)
                )
                with gr.Row(elem_id="rag-ask-row"):
                    box = gr.Textbox(
                        placeholder="Ask a question, e.g. What did Trump rule out on Aug. 18?",
                        show_label=False,
                        scale=5,
                        elem_id="rag-question",
                        max_lines=4,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="rag-ask")
                # the filter's state, seen with its panel closed (shown only while a filter is set)
                date_note = gr.Markdown("", elem_id="rag-date-state", visible=False)
                with gr.Accordion("Filter by publication date", open=False, elem_id="rag-dates"), gr.Row():
                    date_from = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="rag-from", max_lines=1)
                    date_to = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="rag-to", max_lines=1)
                if feedback is not None:
                    attach_feedback(chat, answers, service, feedback)
                with gr.Row():
                    new = gr.Button("New chat", elem_id="rag-clear", size="sm")
                    export = export_button()
            with gr.Column(scale=2, min_width=300, elem_id="rag-sources-col"):
                gr.Markdown("### Sources")
                pick = gr.Radio(choices=[], label="Citations of the selected answer", elem_id="rag-citations")
                source = gr.HTML(PLACEHOLDER_HTML, elem_id="rag-source")
                cite_box = gr.Textbox(visible="hidden", elem_id="rag-cite-pick")  # "answer:n", set by CITE_JS
                cite_go = gr.Button(visible="hidden", elem_id="rag-cite-go")
                copy_box = gr.Textbox(visible="hidden", elem_id="rag-copy-data", value=copy_data([]))

        outputs = [box, chat, answers, pick, source, shown]
        inputs = [box, chat, date_from, date_to, answers]
        gr.on(
            [ask.click, box.submit], respond, inputs, outputs, concurrency_limit=4, api_visibility="private"
        )
        chat.example_select(example, None, box, api_visibility="private").then(
            respond, inputs, outputs, concurrency_limit=4, api_visibility="private"
        )
        pick.input(show, [pick, answers, shown], source, api_visibility="private")
        cite_go.click(pick_cite, [cite_box, answers], [pick, source, shown], api_visibility="private")
        chat.select(select_answer, [answers], [pick, source, shown], api_visibility="private")
        wire_chat_tools(chat, box, answers, export, copy_box, respond, inputs, outputs, same_as_before)
        chat_tab.select(show, [pick, answers, shown], source, api_visibility="private")  # a deletion shows
        new.click(clear, None, outputs, api_visibility="private")
        chat.clear(clear, None, outputs, api_visibility="private")
        gr.on(
            [date_from.change, date_to.change],
            lambda lo, hi: gr.update(value=(note := date_state(lo, hi)), visible=bool(note)),
            [date_from, date_to],
            date_note,
            api_visibility="private",
        )
    with demo, tabs, gr.Tab("Articles", elem_id="rag-articles-tab") as tab:
        articles_tab(service, tab)
    return demo


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two answers' JSON say the same (text and quotes; timings and confidence aside)."""
    keys = ("answer", "abstained", "citations", "rewritten_question")
    return all(a.get(k) == b.get(k) for k in keys)
