"""Clickable citations in the chat: inline ``[n]`` markers, the quote on hover, the sources panel
following whichever answer the reader clicks, and the chat kept on the answer, not its source list.

How it fits Gradio 6 under the page's Content-Security-Policy (``rag/serve/guards.py`` allows
same-origin and inline scripts, nothing from elsewhere): each marker is a ``<span class='rag-cite'>``
in the chat Markdown (Gradio's sanitiser keeps spans and their ``data-*``/``title`` attributes;
no ``<a>``, so no link can be made of anything; it drops ``data-*``) whose classes carry the
answer's index, the citation's number and the quote's offsets (``rag-a3 rag-n2 rag-s230 rag-e353``); the quote, HTML-escaped, is its ``title`` (the hover). ``CITE_JS``, run once on page
load, listens for clicks (and Enter) on markers, writes ``"answer:n"`` into a hidden textbox and
presses a hidden button: the Python side (``pick``) answers with that answer's citation list and
its source, and the script scrolls the highlighted quote into view once it is shown. Article
text never reaches the script: it only reads the two numbers and the quote's offsets.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

from rag.answer.base import ABSTAIN_TEXT
from rag.serve.format import format_markdown, role_label
from rag.serve.highlight import highlight_html
from rag.serve.ui_articles import withdrawn_html
from rag.types import Answer, AnswerSpan, Citation

PLACEHOLDER_HTML = (
    "<div class='rag-empty'>Ask a question: its sources appear here, with the quoted words highlighted.</div>"
)
TITLE_MAX = 400  # characters of the quote shown on hover

CITE_CSS = """
#rag-chat .rag-cite { cursor: pointer; color: var(--color-accent); font-weight: 600; white-space: nowrap;
  border-bottom: 1px dotted currentColor; padding: 0 1px; }
#rag-chat .rag-cite:hover, #rag-chat .rag-cite:focus { background: #ffe066; color: #222; outline: none; }
#rag-source mark.rag-span { background: #f4a100; color: #111; font-weight: 600; }
"""

# Run once when the page loads (Gradio's ``js=``): click and keyboard delegation for the markers,
# the quote scrolled into view when its source is shown, and the chat held at the start of a new
# answer instead of the bottom of its source list.
CITE_JS = r"""
() => {
  const pickBox = () => document.querySelector('#rag-cite-pick textarea, #rag-cite-pick input');
  const go = () => document.querySelector('#rag-cite-go');
  let wanted = null, tries = 0, timer = null;
  const reveal = () => {
    const m = wanted && document.querySelector(`#rag-quote[data-start="${wanted[0]}"][data-end="${wanted[1]}"]`);
    if (m) { m.scrollIntoView({block: 'center', inline: 'nearest'}); wanted = null; }
    if ((!m && ++tries < 150) && wanted) { timer = setTimeout(reveal, 100); }
  };
  const num = (el, p) => { const m = el.className.match(new RegExp('\\brag-' + p + '(\\d+)\\b')); return m ? m[1] : null; };
  const open = (el) => {
    const box = pickBox(), btn = go();
    if (!box || !btn) return;
    const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(box), 'value').set;
    setter.call(box, `${num(el, 'a')}:${num(el, 'n')}`);
    box.dispatchEvent(new Event('input', {bubbles: true}));
    wanted = [num(el, 's'), num(el, 'e')]; tries = 0; clearTimeout(timer);
    setTimeout(() => { btn.click(); reveal(); }, 0);
  };
  const hit = (ev) => {
    const el = ev.target && ev.target.closest ? ev.target.closest('.rag-cite') : null;
    if (!el || (ev.type === 'keydown' && ev.key !== 'Enter' && ev.key !== ' ')) return;
    ev.preventDefault(); ev.stopPropagation();
    open(el);
  };
  document.addEventListener('click', hit, true);
  document.addEventListener('keydown', hit, true);
  let seen = 0;
  const hold = () => {
    const chat = document.querySelector('#rag-chat');
    if (!chat) return;
    const bots = chat.querySelectorAll('.message-row.bot-row, .bot-row, [data-testid="bot"]');
    if (bots.length <= seen) { seen = bots.length; return; }
    seen = bots.length;
    const last = bots[bots.length - 1];
    let box = last.parentElement;
    while (box && box !== chat.parentElement && !(box.scrollHeight > box.clientHeight + 4
           && /(auto|scroll)/.test(getComputedStyle(box).overflowY))) { box = box.parentElement; }
    if (!box || box === chat.parentElement) return;
    const users = chat.querySelectorAll('.message-row.user-row, .user-row, [data-testid="user"]');
    const anchor = users.length ? users[users.length - 1] : last;
    box.scrollTop += anchor.getBoundingClientRect().top - box.getBoundingClientRect().top - 36;  // below the label
  };
  new MutationObserver(() => setTimeout(hold, 60)).observe(document.body, {childList: true, subtree: true});
}
"""


def choices(answer: dict[str, Any]) -> list[str]:
    """Radio labels of an answer's citations: ``["[1] 001_x · 2025-09-05", "[2] ... (context)"]``."""
    return [
        f"[{i}] {c.get('headline') or c['article_id']} · {c['published']}"
        + ("" if c["role"] in ("answer", "digest") else f" ({role_label(c['role'])})")
        for i, c in enumerate(answer.get("citations", []), start=1)
    ]


def cite_marker(answer_index: int, ans: Answer) -> Callable[[int], str]:
    """The chat's marker for citation ``n`` of answer ``answer_index``: a focusable span whose
    hover title is the quote (HTML-escaped, one line) and whose data names the answer and offsets."""

    def marker(n: int) -> str:
        c = ans.citations[n - 1]
        quote = " ".join(c.quote.split())
        title = quote if len(quote) <= TITLE_MAX else quote[: TITLE_MAX - 1] + "…"
        return (
            f'<span class="rag-cite rag-a{answer_index} rag-n{n} rag-s{c.start} rag-e{c.end}" '
            f'role="button" tabindex="0" title="{html.escape(f"[{n}] {title}", quote=True)}">[{n}]</span>'
        )

    return marker


def chat_markdown(ans: Answer, answer_index: int) -> str:
    """``format_markdown`` with clickable, hoverable markers that know their answer."""
    return format_markdown(ans, marker=cite_marker(answer_index, ans))


def parse_pick(value: str | None) -> tuple[int, int] | None:
    """``"3:2"`` (answer 3, citation 2) -> ``(3, 1)`` (zero-based citation); None for anything else."""
    m = re.fullmatch(r"\s*(\d{1,6}):(\d{1,3})\s*", value or "")
    if not m or int(m.group(2)) < 1:
        return None
    return int(m.group(1)), int(m.group(2)) - 1


def answer_of_message(content: Any) -> int | None:
    """The answer index a chat message's markers carry (class ``rag-a{k}``), or None."""
    text = content.get("text", "") if isinstance(content, dict) else str(content or "")
    m = re.search(r"\brag-a(\d+)\b", text)
    return int(m.group(1)) if m else None


def select_value(content: Any, answers: list[dict[str, Any]]) -> str:
    """The pick (``"answer:n"``) for a click on an answer's message: its first answer quote."""
    k = answer_of_message(content)
    if k is None or k >= len(answers):
        return ""
    roles = [c["role"] for c in answers[k].get("citations", [])]
    return f"{k}:{roles.index('answer') + 1 if 'answer' in roles else 1}"


def source_html(article_of: Callable[[str], Any], answer: dict[str, Any] | None, index: int) -> str:
    """The sources panel for citation ``index`` of an answer (its JSON): the article with the quote
    highlighted, the answer span marked inside it, and the full article on demand."""
    if not answer:
        return PLACEHOLDER_HTML
    cites = answer.get("citations", [])
    if not cites:
        why = "because no article says it" if answer["answer"].startswith(ABSTAIN_TEXT) else "for this answer"
        return f"<div class='rag-abstain'><b>{html.escape(answer['answer'])}</b><br>No quote is shown {why}.</div>"
    c = cites[max(0, min(index, len(cites) - 1))]
    art = article_of(c["article_id"])
    if art is None or art.text[c["start"] : c["end"]] != c["quote"]:  # deleted or replaced since
        return withdrawn_html(c, changed=art is not None)
    cit = Citation(
        c["article_id"], dt.date.fromisoformat(c["published"]), c["quote"], c["start"], c["end"], c["role"]
    )
    sp = answer.get("answer_span")
    span = AnswerSpan(sp["article_id"], sp["start"], sp["end"], sp["text"]) if sp else None
    head = c.get("headline", "")
    excerpt = highlight_html(art, cit, context_chars=500, span=span, headline=head)
    full = highlight_html(art, cit, span=span, headline=head).replace("id='rag-quote'", "")
    return f"{excerpt}<details class='rag-full'><summary>Show the full article</summary>{full}</details>"


def pick(
    article_of: Callable[[str], Any], value: str | None, answers: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, str | None, int | None]:
    """A marker click: (radio update, source HTML, shown answer) for ``"answer:n"``; Nones when
    ``value`` names no answer (the panel stays as it is)."""
    parsed = parse_pick(value)
    if parsed is None or parsed[0] >= len(answers):
        return None, None, None
    k, i = parsed
    labels = choices(answers[k])
    if not labels:
        return {"choices": [], "value": None}, source_html(article_of, answers[k], 0), k
    i = min(i, len(labels) - 1)
    return {"choices": labels, "value": labels[i]}, source_html(article_of, answers[k], i), k
