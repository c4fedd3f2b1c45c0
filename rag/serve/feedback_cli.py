"""``rag feedback export [--out FILE] [--as-questions]``: the stored ratings as JSONL."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports lazily: `rag --help` loads nothing heavy
    from rag.config import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("feedback", help="answer ratings given in the chat or through POST /v1/feedback")
    fsub = s.add_subparsers(dest="feedback_cmd", required=True, metavar="{export}")
    e = fsub.add_parser("export", help="write every rating as JSONL (default: standard output)")
    e.add_argument("--out", type=Path, default=None, help="write to this file instead of standard output")
    e.add_argument(
        "--as-questions",
        action="store_true",
        help="write draft labelled questions for `rag eval --questions FILE` (review the thumbs-down ones)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rag.serve.feedback import FeedbackStore, export_lines

    store = FeedbackStore(settings.feedback_file)
    lines = list(export_lines(store, as_questions=args.as_questions))
    text = "".join(line + "\n" for line in lines)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    print(f"rag feedback: {len(lines)} rating(s) from {store.path}", file=sys.stderr)
    return 0
