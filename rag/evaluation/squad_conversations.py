"""Conversations over the squad2-open paragraphs: are follow-ups answered from the right sentence?

``eval/squad2_conversations.jsonl`` holds multi-turn conversations written by the project over
the paragraphs of ``../shared/data/squad2-open`` (see its README). Only article ids and short
expected answer strings are stored: the data itself stays where it lies (SQuAD is CC BY-SA). One
turn a line::

    {"conversation": "s01", "turn": 2, "question": "How long did it actually go on?",
     "answerable": true, "article_ids": ["13_Warsaw_p10"], "expect": ["63 days"],
     "shape": "pronoun", "split": "dev"}

Each conversation is asked in order through the real pipeline, every turn with the earlier turns
and the answers the system gave as history (as the chat does). A turn is answered from the right
sentence when it is not abstained and its first answering quote comes from one of
``article_ids`` and holds one of the ``expect`` strings (case- and space-insensitive); an
unanswerable turn is right when it is abstained. The figure the issue asks for is the share of
follow-ups (turn 2+) right; ``split: "heldout"`` conversations are reported apart.

    rag eval --suite squad2-conversations [--data DIR] [--out DIR]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import RagError
from rag.evaluation.metrics import mean
from rag.types import Answer, Turn

SUITE = "squad2-conversations"


@dataclass(frozen=True)
class ConversationTurn:
    conversation: str
    turn: int
    question: str
    answerable: bool
    article_ids: tuple[str, ...]  # where the right sentence is (any of them)
    expect: tuple[str, ...]  # any one of them in the first answer quote
    shape: str = ""
    split: str = "dev"


def default_path() -> Path:
    from rag.config import PROJECT_ROOT

    return PROJECT_ROOT / "eval" / "squad2_conversations.jsonl"


def load_conversations(path: Path, known_ids: set[str] | None = None) -> list[ConversationTurn]:
    """Parse the conversation file; errors name the line and the field.

    ``known_ids`` (the data folder's article ids): an id not among them is an error naming it.
    """
    out: list[ConversationTurn] = []
    turns: dict[str, int] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            t = ConversationTurn(
                str(d["conversation"]),
                int(d["turn"]),
                str(d["question"]),
                bool(d["answerable"]),
                tuple(str(a) for a in d["article_ids"]),
                tuple(str(e) for e in d["expect"]),
                str(d.get("shape", "")),
                str(d.get("split", "dev")),
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise RagError(f"{path}:{n}: not a conversation turn ({type(e).__name__}: {e})") from None
        if t.turn != turns.get(t.conversation, 0) + 1:
            raise RagError(
                f"{path}:{n}: conversation {t.conversation!r} turn {t.turn} should be "
                f"{turns.get(t.conversation, 0) + 1}: list a conversation's turns in order, numbered from 1"
            )
        turns[t.conversation] = t.turn
        if t.answerable and not (t.article_ids and t.expect):
            raise RagError(f"{path}:{n}: an answerable turn needs article_ids and expect")
        unknown = [a for a in t.article_ids if known_ids is not None and a not in known_ids]
        if unknown:
            raise RagError(f"{path}:{n}: unknown article id(s) {', '.join(unknown)} in the data folder")
        out.append(t)
    return out


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).casefold()


def right_sentence(t: ConversationTurn, a: Answer) -> bool:
    """Was ``t`` answered from the right sentence (or, unanswerable, abstained)?

    ``right_sentence(turn(article_ids=("p10",), expect=("63 days",)), answer quoting p10 "...63 days.")`` -> True.
    """
    if not t.answerable:
        return a.abstained
    first = next((c for c in a.citations if c.role == "answer"), None)
    if a.abstained or first is None or first.article_id not in t.article_ids:
        return False
    quote = _norm(first.quote)
    return any(_norm(e) in quote for e in t.expect)


def run_conversations(
    pipe: Any, turns: Sequence[ConversationTurn], progress: bool = False
) -> list[dict[str, Any]]:
    """Ask every turn with its conversation's earlier turns as history; one record per turn."""
    from rag.answer.followup import turn_of

    it: Any = turns
    if progress:
        from tqdm import tqdm

        it = tqdm(turns, desc=SUITE, unit="turn", file=sys.stderr)
    history: dict[str, list[Turn]] = {}
    records = []
    for t in it:
        earlier = history.setdefault(t.conversation, [])
        a: Answer = pipe.ask(t.question, history=list(earlier))
        earlier.append(turn_of(a))
        first = next((c for c in a.citations if c.role == "answer"), None)
        records.append(
            {
                "conversation": t.conversation,
                "turn": t.turn,
                "question": t.question,
                "rewritten_question": a.rewritten_question,
                "answerable": t.answerable,
                "shape": t.shape,
                "split": t.split,
                "abstained": a.abstained,
                "right_sentence": right_sentence(t, a),
                "first_quote": first.quote if first else None,
                "first_article": first.article_id if first else None,
                "expect": list(t.expect),
                "article_ids": list(t.article_ids),
                "confidence": a.confidence,
                "latency_ms": a.timings_ms.get("total_ms", 0.0),
            }
        )
    return records


def score(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Shares of turns right: follow-ups (all, dev, held-out), first turns, and follow-ups by shape."""

    def share(rs: Sequence[dict[str, Any]]) -> float:
        return round(mean([1.0 if r["right_sentence"] else 0.0 for r in rs]), 4) if rs else 0.0

    follow = [r for r in records if r["turn"] > 1]
    shapes = sorted({r["shape"] for r in follow})
    return {
        "conversations": len({r["conversation"] for r in records}),
        "followups": len(follow),
        "followup_right_sentence": share(follow),
        "followup_right_sentence_dev": share([r for r in follow if r["split"] != "heldout"]),
        "followup_right_sentence_heldout": share([r for r in follow if r["split"] == "heldout"]),
        "heldout_followups": sum(1 for r in follow if r["split"] == "heldout"),
        "first_turn_right_sentence": share([r for r in records if r["turn"] == 1]),
        "by_shape": {
            s: {"n": len(rs), "right": share(rs)}
            for s in shapes
            if (rs := [r for r in follow if r["shape"] == s])
        },
    }


def run_suite_cli(args: Any) -> int:
    """``rag eval --suite squad2-conversations``: exit 2 with a message when the data is absent."""
    from rag.evaluation.squad import check_folder, default_data_dir, open_pipeline

    data: Path = getattr(args, "data", None) or default_data_dir()
    path: Path = getattr(args, "questions", None) or default_path()
    try:
        arts = check_folder(data, "articles")
        turns = load_conversations(path, {p.stem for p in arts.iterdir() if p.is_file()})
        pipe = open_pipeline(data, "articles", quiet=args.quiet)
    except RagError as e:
        print(f"rag eval: {e}", file=sys.stderr)
        return 2
    records = run_conversations(pipe, turns, progress=not args.quiet)
    summary = score(records)
    print(
        json.dumps(
            {"suite": SUITE, "data": str(data), "conversations_file": str(path), "summary": summary}, indent=2
        )
    )
    print(
        f"follow-ups answered from the right sentence: {summary['followup_right_sentence']:.1%} "
        f"of {summary['followups']} (dev {summary['followup_right_sentence_dev']:.1%}, "
        f"held-out {summary['followup_right_sentence_heldout']:.1%} of {summary['heldout_followups']})"
    )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        body = {"suite": SUITE, "data": str(data), "summary": summary, "records": records}
        (args.out / "squad2_conversations.json").write_text(
            json.dumps(body, indent=1, ensure_ascii=False) + "\n"
        )
        print(f"rag eval: wrote {args.out}/squad2_conversations.json", file=sys.stderr)
    return 0
