"""Conversation controls in the chat: regenerate an answer, edit a question, export as Markdown.

Regenerate (the Chatbot's retry button) and edit (a question's pencil) cut the conversation back
to that question and ask it again through the chat's own ``respond`` (so with the history before
it, like any turn). Export writes the conversation, each answer with its quotes and sources, to a
Markdown file; article text in it is escaped like in the chat, so it shows as its characters.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from rag.serve.format import escape_markdown

_ROLE = {"context": "context", "corroboration": "also reported", "other_report": "another report"}


def conversation_markdown(answers: Sequence[Mapping[str, Any]]) -> str:
    """The conversation as Markdown: each question, the question answered, the answer, its sources.

    ``conversation_markdown([])`` -> ``"# Conversation\\n\\n(no questions yet)\\n"``.
    """
    out = ["# Conversation", ""]
    if not answers:
        return "# Conversation\n\n(no questions yet)\n"
    for n, a in enumerate(answers, start=1):
        out += [f"## {n}. {escape_markdown(str(a['question']))}", ""]
        if a.get("rewritten_question"):
            out += [f"_Answering: {escape_markdown(str(a['rewritten_question']))}_", ""]
        text = escape_markdown(str(a["answer"]))
        out += [f"**{text}**" if a.get("abstained") else text, ""]
        cites = a.get("citations") or []
        if cites:
            out += ["Sources:", ""]
        for i, c in enumerate(cites, start=1):
            role = f" ({_ROLE.get(c['role'], c['role'].replace('_', ' '))})" if c["role"] != "answer" else ""
            out += [
                f"{i}. {escape_markdown(c['article_id'])}, published {c['published']}, "
                f"characters {c['start']}–{c['end']}{role}",
                "",
                f"   > {escape_markdown(c['quote'])}",
                "",
            ]
    return "\n".join(out)


def export_file(answers: Sequence[Mapping[str, Any]]) -> str | None:
    """Write the conversation to a fresh temporary ``conversation.md``; its path (None when empty)."""
    if not answers:
        return None
    folder = Path(tempfile.mkdtemp(prefix="rag-chat-"))
    path = folder / "conversation.md"
    path.write_text(conversation_markdown(answers), encoding="utf-8")
    return str(path)


def cut_at(
    message_index: int, history: list[dict[str, Any]], answers: list[dict[str, Any]]
) -> tuple[list, list]:
    """The conversation before the question at ``message_index`` (messages alternate question, answer)."""
    i = message_index - message_index % 2
    return list(history[:i]), list(answers[: i // 2])


def export_button() -> gr.DownloadButton:
    """The export button, placed where it is created; ``wire_chat_tools`` keeps its file current."""
    return gr.DownloadButton(
        "Export conversation (Markdown)", value=None, size="sm", elem_id="rag-export", interactive=False
    )


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return str(value.get("text") or value.get("content") or "")
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return str(value or "")


def wire_chat_tools(
    chat: gr.Chatbot,
    box: gr.Textbox,
    answers: gr.State,
    export: gr.DownloadButton,
    respond: Callable[..., Any],
    respond_inputs: list[Any],
    outputs: list[Any],
) -> None:
    """Regenerate (retry), edit a question, and keep the export file current."""

    def on_retry(data: gr.RetryData, history: list[dict[str, Any]], held: list[dict[str, Any]]):
        idx = data.index if isinstance(data.index, int) else data.index[0]
        history, held = cut_at(idx, history, held)
        return _text(data.value), history, held

    def on_edit(data: gr.EditData, history: list[dict[str, Any]], held: list[dict[str, Any]]):
        idx = data.index if isinstance(data.index, int) else data.index[0]
        history, held = cut_at(idx, history, held)
        return _text(data.value), history, held

    for event, fn in ((chat.retry, on_retry), (chat.edit, on_edit)):
        event(fn, [chat, answers], [box, chat, answers], api_visibility="private").then(
            respond, respond_inputs, outputs, api_visibility="private"
        )

    def refresh(held: list[dict[str, Any]]) -> Any:
        path = export_file(held)
        return gr.update(value=path, interactive=path is not None)

    answers.change(refresh, answers, export, api_visibility="private")
