"""The ``rag`` command line. Imports stay lazy so ``rag --help`` never loads torch or Chroma."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rag.serve import feedback_cli

if TYPE_CHECKING:  # only for annotations: the commands import what they need when they run
    from rag.config import Settings
    from rag.pipeline import Pipeline
    from rag.types import DateRange

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rag",
        description="The newsroom's grounded Q&A assistant: answers with verbatim, offset-checked quotes.",
        epilog="Configuration: RAG_DATA_DIR (index folder), RAG_CHROMA_URL (use a Chroma server), "
        "RAG_TOP_K, RAG_MAX_QUOTES, RAG_LLM_BASE_URL... See docs/configuration.md.",
    )
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    s = sub.add_parser("ingest", help="index article files (default: seeds/)")
    s.add_argument("paths", nargs="*", type=Path, help="files or folders (folders: *.txt, recursively)")
    s.add_argument(
        "--rebuild", action="store_true", help="drop the index first and rebuild it from these files"
    )
    s.add_argument("--json", action="store_true", help="print the summary as JSON")
    s.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    s = sub.add_parser("delete", help="delete articles (their text and chunks) by id")
    s.add_argument("article_ids", nargs="+", metavar="ID", help="article ids (file names without .txt)")
    s.add_argument("--missing-ok", action="store_true", help="skip unknown ids instead of failing")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("ask", help="answer questions with quoted citations")
    s.add_argument("questions", nargs="+", metavar="QUESTION")
    s.add_argument("--json", action="store_true", help="one JSON object per question per line")
    s.add_argument("--top-k", type=int, default=None, help="chunks to retrieve (default RAG_TOP_K=30)")
    s.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="only articles published on/after")
    s.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="only articles published on/before")

    s = sub.add_parser("show", help="print an article (the text citation offsets index)")
    s.add_argument("article_id")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("status", help="what is indexed")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("serve", help="serve the chat UI, the answer API and the OpenAI-compatible endpoint")
    s.add_argument("--host", default=None, help="default RAG_HOST or 127.0.0.1")
    s.add_argument("--port", type=int, default=None, help="default RAG_PORT or 7860")
    s.add_argument("--no-ui", action="store_true", help="API only (no Gradio chat)")

    sub.add_parser(
        "build-model",
        help="make the int8 ONNX embedding model from the bundled weights (run by `make setup`)",
    )

    s = sub.add_parser(
        "bench", help="benchmarks beside LlamaIndex's default pipeline; writes bench/results.*"
    )
    s.add_argument("--sizes", default="3,1000,10000", help="corpus sizes in articles (3 = seeds/)")
    s.add_argument("--out", type=Path, default=None, help="default: bench/ in the project")
    s.add_argument("--no-http", action="store_true", help="skip the `rag serve` HTTP measurements")
    s.add_argument("--no-anchor", action="store_true", help="skip the LlamaIndex default pipeline")

    s = sub.add_parser("eval", help="run the labelled question set and score it")
    s.add_argument("--questions", type=Path, default=None, help="default: eval/questions.jsonl")
    s.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write report.html/.md, PNG charts, changes.json, summary.json, questions.jsonl here",
    )
    s.add_argument("--baseline", type=Path, default=None, help="compare with this baseline and gate on it")
    s.add_argument("--update-baseline", action="store_true", help="write the run as the new baseline")
    s.add_argument(
        "--suite",
        choices=("seeds", "squad2-open", "squad2-conversations"),
        default="seeds",
        help="default: seeds; squad2-conversations: eval/squad2_conversations.jsonl over squad2-open's paragraphs",
    )
    s.add_argument("--data", type=Path, default=None, help="squad2-*: default ../shared/data/squad2-open")
    s.add_argument("--form", choices=("paragraphs", "by-title"), default="paragraphs", help="squad2-open")
    s.add_argument("--quiet", "-q", action="store_true")
    feedback_cli.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from rag.config import load_settings, set_offline_env
    from rag.errors import BadQuestionError, ConfigError, NotFoundError, RagError, StoreUnavailableError

    set_offline_env()
    _quiet_libraries()
    try:
        settings = load_settings()
        handler = {
            "ingest": _ingest,
            "delete": _delete,
            "ask": _ask,
            "show": _show,
            "status": _status,
            "eval": _eval,
            "serve": _serve,
            "bench": _bench,
            "build-model": _build_model,
            "feedback": feedback_cli.run,
        }[args.cmd]
        return handler(args, settings)
    except (BadQuestionError, ConfigError, NotFoundError) as e:
        print(f"rag: {e}", file=sys.stderr)
        return EXIT_USAGE
    except StoreUnavailableError as e:
        print(f"rag: {e}", file=sys.stderr)
        return EXIT_FAIL
    except RagError as e:
        print(f"rag: {e}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print(
            "rag: interrupted; every article written so far is complete, run again to finish", file=sys.stderr
        )
        return 130


def _quiet_libraries() -> None:
    import logging
    import os
    import warnings

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def _pipeline(settings: Settings) -> Pipeline:
    from rag.pipeline import build_pipeline

    return build_pipeline(settings)


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    pipe = _pipeline(settings)
    paths = args.paths or [settings.seeds_dir]
    mismatch = pipe.format_mismatch()
    if mismatch and not args.rebuild:
        print(
            f"rag: the index at {pipe.location} was built with {mismatch}; "
            "re-indexing it with this setup (its stored articles are carried over)",
            file=sys.stderr,
        )
    report = pipe.ingest(paths, progress=not args.quiet and not args.json, rebuild=args.rebuild)
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        print(
            f"articles: {len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.failed)} failed "
            f"({report.chunks_written} chunks written) -> {pipe.location}"
        )
        for f in report.failed:
            print(f"  failed: {f.path}: {f.reason}", file=sys.stderr)
    return EXIT_FAIL if report.failed else EXIT_OK


def _delete(args: argparse.Namespace, settings: Settings) -> int:
    from rag.serve.commands import delete_command

    return delete_command(_pipeline(settings), args.article_ids, args.missing_ok, args.json)


def _date_range(args: argparse.Namespace) -> DateRange:
    from rag.types import DateRange

    return DateRange.parse(args.date_from, args.date_to, ("--from", "--to"))


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.serve.format import format_text

    dr = _date_range(args)
    pipe = _pipeline(settings)
    for q in args.questions:
        pipe.check_question(q)
    _ensure_indexed(pipe)
    for q in args.questions:
        ans = pipe.ask(q, top_k=args.top_k, date_range=dr)
        if args.json:
            print(json.dumps(ans.to_json(), ensure_ascii=False), flush=True)
        else:
            print(format_text(ans), flush=True)
    return EXIT_OK


def _ensure_indexed(pipe: Pipeline) -> None:
    from rag.errors import RagError

    if pipe.is_empty():
        raise RagError(f"the index at {pipe.location} is empty: run `rag ingest` (or `make run`) first")


def _show(args: argparse.Namespace, settings: Settings) -> int:
    from rag.errors import NotFoundError

    pipe = _pipeline(settings)
    art = pipe.article(args.article_id)
    if art is None:
        raise NotFoundError(f"no article {args.article_id!r} in {pipe.location}: `rag status` lists them")
    if args.json:
        print(
            json.dumps(
                {"article_id": art.article_id, "published": art.published_iso, "text": art.text},
                ensure_ascii=False,
            )
        )
    else:
        print(f"{art.article_id} — published {art.published_iso}\n\n{art.text}")
    return EXIT_OK


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from rag.serve.commands import status_command

    return status_command(settings, args.json)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import logging

    import uvicorn

    from rag.config import load_settings
    from rag.serve.api import create_app

    overrides = {k: v for k, v in {"host": args.host, "port": args.port}.items() if v is not None}
    if overrides:
        settings = load_settings(
            **{
                **settings.model_dump(exclude={"api_key", "llm_api_key"}),
                **overrides,
                "api_key": settings.api_key,
                "llm_api_key": settings.llm_api_key,
            }
        )
    logging.getLogger("rag").setLevel(logging.INFO)
    app = create_app(settings, with_ui=not args.no_ui, defer_ui=True)  # the API first, then the chat
    url = f"http://{settings.host}:{settings.port}/"
    print(
        f"rag: serving the chat at {url} (API docs at {url}docs); Ctrl+C to stop", file=sys.stderr, flush=True
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=5)
    return EXIT_OK


def _build_model(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from rag.index.onnx_model import ensure_int8_model

    t = time.perf_counter()
    path = ensure_int8_model(settings.model_dir, log=lambda m: print(m, file=sys.stderr))
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t:.1f} s)")
    return EXIT_OK


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    """Runs the benchmark tools that live beside the package (``python -m bench`` in a checkout)."""
    import subprocess

    from rag.config import PROJECT_ROOT
    from rag.errors import ConfigError

    if not (PROJECT_ROOT / "bench" / "__main__.py").exists():
        raise ConfigError(
            "rag bench runs from a project checkout (bench/ beside rag/): use `make bench` there"
        )
    cmd = [sys.executable, "-m", "bench", "--sizes", args.sizes]
    cmd += ["--out", str(args.out)] if args.out else []
    cmd += ["--no-http"] if args.no_http else []
    cmd += ["--no-anchor"] if args.no_anchor else []
    return subprocess.run(cmd, cwd=PROJECT_ROOT).returncode


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from rag.evaluation.run import run_eval_cli

    return run_eval_cli(args, settings)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
