"""Ratings in the chat: the Chatbot's 👍/👎 on every answer, and a box for an optional comment.

A click stores the rating at once (``rag.serve.feedback``) with the answer's JSON as the chat
holds it; the comment box then adds a comment to the last rating. The chat module only calls
``attach_feedback``; everything else is here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gradio as gr

from rag.errors import RagError
from rag.protocols import AnswerService
from rag.serve.feedback import FeedbackStore
from rag.types import Answer


def answer_from_json(d: Mapping[str, Any]) -> Answer:
    """The domain answer back from ``Answer.to_json`` (what the chat keeps per answer)."""
    return Answer.from_json(d)


def rating_of(liked: bool | str | None) -> str | None:
    """Gradio's like value as ``up``/``down``; None when a rating was taken back."""
    if liked is True or liked == "Like":
        return "up"
    if liked is False or liked == "Dislike":
        return "down"
    return None


def answer_index(message_index: int | tuple[int, int] | list[int]) -> int:
    """Which answer a chat message is: messages alternate question, answer (index 1 -> answer 0)."""
    i = message_index if isinstance(message_index, int) else message_index[0]
    return i // 2


def attach_feedback(
    chat: gr.Chatbot, answers: gr.State, service: AnswerService, store: FeedbackStore
) -> None:
    """Wire the like buttons of ``chat`` and add the comment box below it (inside the current layout)."""
    last = gr.State(None)
    with gr.Row():
        comment = gr.Textbox(
            placeholder="Optional: a comment on your last rating (thumbs up/down under an answer)",
            show_label=False,
            scale=5,
            max_lines=3,
            elem_id="rag-feedback-comment",
        )
        send = gr.Button("Send comment", scale=1, min_width=80, size="sm", elem_id="rag-feedback-send")
    status = gr.Markdown("", elem_id="rag-feedback-status")

    def on_like(data: gr.LikeData, held: list[dict[str, Any]]) -> tuple[Any, str]:
        rating = rating_of(data.liked)
        k = answer_index(data.index)
        if rating is None or not 0 <= k < len(held):
            return gr.update(), ""
        try:
            fid = store.add(rating, answer_from_json(held[k]), service.fingerprint(), channel="chat")
        except RagError as e:
            gr.Warning(str(e))
            return gr.update(), ""
        return fid, f"Rating saved (thumbs {rating}). Add a comment below if you like."

    def on_comment(text: str, fid: int | None) -> tuple[str, str]:
        if fid is None:
            gr.Warning("Rate an answer with thumbs up or down first; the comment is added to that rating.")
            return text, ""
        try:
            store.set_comment(fid, text)
        except RagError as e:
            gr.Warning(str(e))
            return text, ""
        return "", "Comment saved."

    chat.like(on_like, [answers], [last, status], api_visibility="private")
    gr.on(
        [send.click, comment.submit], on_comment, [comment, last], [comment, status], api_visibility="private"
    )
