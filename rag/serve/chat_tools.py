"""Conversation controls in the chat: regenerate an answer, edit a question, export as Markdown.

Regenerate (the Chatbot's retry button) and edit (a question's pencil) cut the conversation back
to that question and ask it again through the chat's own ``respond`` (so with the history before
it, like any turn). Export writes the conversation, each answer with its quotes and sources, to a
Markdown file that reads as plain text too (``conversation_markdown``); the copy buttons get the
same text (``copy_data``), never the chat's HTML markers.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from rag.serve.format import escape_markdown, format_copy
from rag.types import Answer


def conversation_markdown(answers: Sequence[Mapping[str, Any]]) -> str:
    """The conversation as Markdown that also reads as plain text: each question, the question
    answered, the answer and its numbered sources (headline, date, quote); no HTML, no ids.

    ``conversation_markdown([])`` -> ``"# Conversation\\n\\n(no questions yet)\\n"``.
    """
    if not answers:
        return "# Conversation\n\n(no questions yet)\n"
    out = ["# Conversation", ""]
    for n, a in enumerate(answers, start=1):
        out += [f"## {n}. {escape_markdown(str(a['question']), line_start=False)}", ""]
        out += [format_copy(Answer.from_json(a)), ""]
    return "\n".join(out)


def copy_data(answers: Sequence[Mapping[str, Any]]) -> str:
    """What the chat's copy buttons put on the clipboard, as JSON for the page's script: each
    answer as ``format_copy`` gives it, and the whole conversation (``conversation_markdown``)."""
    return json.dumps(
        {
            "answers": [format_copy(Answer.from_json(a)) for a in answers],
            "conversation": conversation_markdown(answers) if answers else "",
        },
        ensure_ascii=False,
    )


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
    copy_box: gr.Textbox,
    respond: Callable[..., Any],
    respond_inputs: list[Any],
    outputs: list[Any],
    same_as_before: Callable[[list[dict[str, Any]], dict[str, Any] | None], None],
) -> None:
    """Regenerate (retry: says so when the answer is the same), edit a question, and keep the
    export file and the copy text current."""
    before = gr.State(None)  # the answer a retry replaces

    def on_retry(data: gr.RetryData, history: list[dict[str, Any]], held: list[dict[str, Any]]):
        idx = data.index if isinstance(data.index, int) else data.index[0]
        old = held[idx // 2] if 0 <= idx // 2 < len(held) else None
        history, held = cut_at(idx, history, held)
        return _text(data.value), history, held, old

    def on_edit(data: gr.EditData, history: list[dict[str, Any]], held: list[dict[str, Any]]):
        idx = data.index if isinstance(data.index, int) else data.index[0]
        history, held = cut_at(idx, history, held)
        return _text(data.value), history, held, None

    chat.retry(on_retry, [chat, answers], [box, chat, answers, before], api_visibility="private").then(
        respond, respond_inputs, outputs, api_visibility="private"
    ).then(same_as_before, [answers, before], None, api_visibility="private")
    chat.edit(on_edit, [chat, answers], [box, chat, answers, before], api_visibility="private").then(
        respond, respond_inputs, outputs, api_visibility="private"
    )

    def refresh(held: list[dict[str, Any]]) -> Any:
        path = export_file(held)
        return gr.update(value=path, interactive=path is not None), copy_data(held)

    answers.change(refresh, answers, [export, copy_box], api_visibility="private")


# Run once on page load (with the citation script): the chat's copy buttons put ``copy_data``'s
# text on the clipboard, not the message's Markdown with its HTML markers (a question's own copy
# button keeps Gradio's behaviour: its text is what was typed). The retry button's tooltip says
# answers are deterministic.
COPY_JS = r"""
() => {
  const data = () => {
    const el = document.querySelector('#rag-copy-data textarea, #rag-copy-data input');
    try { return JSON.parse((el && el.value) || '{}'); } catch (e) { return {}; }
  };
  const write = async (text) => {
    try { await navigator.clipboard.writeText(text); return; } catch (e) { /* no permission: fall back */ }
    const t = document.createElement('textarea');
    t.value = text; t.style.position = 'fixed'; t.style.left = '-9999px';
    document.body.appendChild(t); t.select();
    try { document.execCommand('copy'); } finally { t.remove(); }
  };
  const copied = (ev) => {
    const btn = ev.target && ev.target.closest ? ev.target.closest('#rag-chat button') : null;
    if (!btn) return;
    const label = btn.getAttribute('aria-label') || '';
    if (label !== 'Copy message' && label !== 'Copy conversation') return;
    const d = data();
    let text = null;
    if (label === 'Copy conversation') {
      text = d.conversation || null;
    } else {
      let row = btn.closest('[class*="message-buttons"]') || btn;
      while (row && !(row.classList && row.classList.contains('message-row'))) row = row.previousElementSibling;
      if (row && row.classList.contains('bot-row')) {
        const bots = [...document.querySelectorAll('#rag-chat .message-row.bot-row')];
        const k = bots.indexOf(row);
        text = (d.answers || [])[k];
        if (text === undefined) text = null;
      }
    }
    if (text === null) return;
    ev.preventDefault(); ev.stopImmediatePropagation();
    write(text);
    btn.setAttribute('title', 'Copied');
    setTimeout(() => btn.setAttribute('title', label), 2000);
  };
  document.addEventListener('click', copied, true);
  const RETRY = "Ask again (answers are deterministic: the same unless the articles changed)";
  new MutationObserver(() => {
    document.querySelectorAll('#rag-chat button[aria-label="Retry"]').forEach((b) => {
      if (b.getAttribute('title') !== RETRY) b.setAttribute('title', RETRY);
    });
  }).observe(document.body, {childList: true, subtree: true});
}
"""
