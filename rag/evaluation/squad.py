"""Measure the answerer on a SQuAD-2.0-style folder (``articles/`` + ``questions.jsonl``).

The folder is the one described in ``../shared/data/squad2-open/README.md``: article files in
the project's own format and one JSON question a line with ``answerable`` and gold
``answers``. Its articles are ingested into a throwaway index folder (reused when it already
holds exactly them), every question is asked in-process through the real pipeline, and the
figures the issue defines are reported. The data is read where it lies and never copied into
the repository (SQuAD is CC BY-SA).

Gold match: case-insensitive, whitespace-normalised substring of the first ``answer`` quote.

    rag eval --suite squad2-open [--data DIR] [--form by-title] [--out DIR]
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import RagError
from rag.evaluation.metrics import mean, percentile
from rag.evaluation.span_metrics import span_in_quote, span_scores
from rag.types import Answer

if TYPE_CHECKING:
    from rag.config import Settings
    from rag.pipeline import Pipeline


@dataclass(frozen=True)
class SquadQuestion:
    qid: str
    question: str
    answerable: bool
    answers: tuple[str, ...]
    article_id: str
    title: str  # the Wikipedia title: the unit of leave-one-title-out cross-validation


def check_folder(folder: Path, form: str = "articles") -> Path:
    """The article folder of a squad2-open-style data folder; a RagError naming the fix if absent."""
    arts = folder / form
    qs = folder / "questions.jsonl"
    if not folder.is_dir() or not arts.is_dir() or not qs.is_file():
        raise RagError(
            f"no SQuAD-style data at {folder} (need {form}/ and questions.jsonl): pass --data "
            "pointing at e.g. ../shared/data/squad2-open; the data is not part of the repository"
        )
    return arts


def load_squad_questions(folder: Path) -> list[SquadQuestion]:
    """Parse ``questions.jsonl``; errors name the line."""
    check_folder(folder)
    out = []
    path = folder / "questions.jsonl"
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(
                SquadQuestion(
                    str(d["id"]),
                    str(d["question"]),
                    bool(d["answerable"]),
                    tuple(str(a) for a in d.get("answers", [])),
                    str(d["article_id"]),
                    str(d.get("title_article_id") or d["article_id"]),
                )
            )
        except (json.JSONDecodeError, KeyError) as e:
            raise RagError(f"{path}:{n}: not a question record ({e})") from None
    return out


def norm(text: str) -> str:
    """Case-folded, whitespace-normalised: ``norm(" A\\n b ")`` -> ``"a b"``."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def gold_in(text: str, answers: Sequence[str]) -> bool:
    """Is any gold answer a normalised substring of ``text``? ``gold_in("In 1998 it", ["1998"])`` -> True."""
    t = norm(text)
    return any(norm(a) and norm(a) in t for a in answers)


def first_answer_quote(a: Answer) -> str | None:
    """The quote of the first citation with role ``answer`` (None if there is none)."""
    return next((c.quote for c in a.citations if c.role == "answer"), None)


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve by the rank-sum (Mann-Whitney U) formula, ties counted half.

    ``roc_auc([0.9, 0.1, 0.5], [True, False, False])`` -> ``1.0``. 0.5 when a class is empty.
    """
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return 0.5
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    r_pos = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    return (r_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def score_records(records: Sequence[dict[str, Any]]) -> dict[str, float]:
    """The issue's figures over per-question records (``answerable``, ``abstained``, ``correct``,
    ``confidence``, ``latency_ms``, ``verbatim``)."""
    ans = [r for r in records if r["answerable"]]
    una = [r for r in records if not r["answerable"]]
    correct = sum(1 for r in ans if r["correct"])
    abst = sum(1 for r in una if r["abstained"])
    lat = [r["latency_ms"] for r in records]
    verbatim = [v for r in records for v in r.get("verbatim", [])]
    cited = [r for r in ans if "cited" in r]
    return {
        "questions": len(records),
        "answerable": len(ans),
        "unanswerable": len(una),
        "answerable_correct": round(correct / max(len(ans), 1), 4),
        "false_refusal": round(mean([1.0 if r["abstained"] else 0.0 for r in ans]), 4),
        "unanswerable_abstained": round(abst / max(len(una), 1), 4),
        "overall": round((correct + abst) / max(len(records), 1), 4),
        "confidence_auc": round(
            roc_auc([r["confidence"] for r in records], [r["answerable"] for r in records]), 4
        ),
        "citation_verbatim": round(mean([1.0 if v else 0.0 for v in verbatim]), 4) if verbatim else 1.0,
        # answerable questions whose citations include the gold article (its paragraph, or its
        # title's article in the by-title form)
        "gold_article_cited": round(mean([1.0 if gold_cited(r) else 0.0 for r in cited]), 4)
        if cited
        else 0.0,
        "latency_p50_ms": round(percentile(lat, 50), 2),
        "latency_p95_ms": round(percentile(lat, 95), 2),
    }


def gold_cited(record: dict[str, Any]) -> bool:
    """Does an answer cite the article a question was written from (paragraph or title form)?"""
    return bool({record.get("gold_article"), record.get("gold_title")} & set(record.get("cited", [])))


def by_title(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    titles = sorted({r["title"] for r in records})
    return {t: score_records([r for r in records if r["title"] == t]) for t in titles}


def index_dir(folder: Path, form: str, root: Path | None = None) -> Path:
    """A temp index folder keyed by the data folder, the form and its file list (so it is reused)."""
    arts = check_folder(folder, form)
    names = sorted(p.name + str(p.stat().st_size) for p in arts.iterdir() if p.is_file())
    key = hashlib.sha256((str(folder.resolve()) + form + "|".join(names)).encode()).hexdigest()[:12]
    return (root or Path(tempfile.gettempdir())) / f"rag-squad-{form}-{key}"


def open_pipeline(
    folder: Path, form: str = "articles", settings: Settings | None = None, quiet: bool = True
) -> Pipeline:
    """A pipeline over an index of the folder's articles (built on first use, then reused)."""
    from rag.config import load_settings
    from rag.pipeline import build_pipeline

    arts = check_folder(folder, form)
    data = index_dir(folder, form)
    s = (
        settings.model_copy(update={"data_dir": data})
        if settings is not None
        else load_settings(data_dir=data)
    )
    pipe = build_pipeline(s)
    pipe.corpus.sync(force=True)
    n_files = sum(1 for p in arts.iterdir() if p.is_file())
    if pipe.counts()[0] != n_files:
        report = pipe.ingest([arts], progress=not quiet, rebuild=True)
        if report.failed:
            raise RagError(f"{len(report.failed)} article files failed to index: {report.failed[:3]}")
    pipe.warm_up()
    return pipe


def run(pipe: Any, questions: Sequence[SquadQuestion], progress: bool = False) -> list[dict[str, Any]]:
    """Ask every question; one record per question."""
    it: Any = questions
    if progress:
        from tqdm import tqdm

        it = tqdm(questions, desc="squad", unit="q", file=sys.stderr)
    records = []
    for q in it:
        a = pipe.ask(q.question)
        quote = first_answer_quote(a)
        verbatim = [
            (art := pipe.corpus.article(c.article_id)) is not None and art.text[c.start : c.end] == c.quote
            for c in a.citations
        ]
        records.append(
            {
                "id": q.qid,
                "title": q.title,
                "question": q.question,
                "answerable": q.answerable,
                "abstained": a.abstained,
                "correct": (not a.abstained) and quote is not None and gold_in(quote, q.answers),
                "first_quote": quote,
                "answer": a.answer,
                "confidence": a.confidence,
                "latency_ms": a.timings_ms.get("total_ms", 0.0),
                "verbatim": verbatim,
                "cited": sorted({c.article_id for c in a.citations}),
                "gold_article": q.article_id,
                "gold_title": q.title,
                "gold": list(q.answers),
                "span": span_in_quote(a),
            }
        )
    return records


FORMS = {"paragraphs": "articles", "articles": "articles", "by-title": "articles_by_title"}


def default_data_dir() -> Path:
    """``../shared/data/squad2-open`` relative to the project root."""
    from rag.config import PROJECT_ROOT

    return PROJECT_ROOT.parent / "shared" / "data" / "squad2-open"


def run_suite_cli(args: Any) -> int:
    """``rag eval --suite squad2-open``: exit 2 with a message when the data is absent."""
    data: Path = getattr(args, "data", None) or default_data_dir()
    form = FORMS.get(getattr(args, "form", None) or "paragraphs")
    if form is None:
        print(f"rag eval: --form must be one of {', '.join(FORMS)}", file=sys.stderr)
        return 2
    try:
        questions = load_squad_questions(data)
        pipe = open_pipeline(data, form, quiet=args.quiet)
    except RagError as e:
        print(f"rag eval: {e}", file=sys.stderr)
        return 2
    limit = getattr(args, "limit", 0) or 0
    records = run(pipe, questions[:limit] if limit else questions, progress=not args.quiet)
    summary = {**score_records(records), **span_scores(records)}
    out = {"suite": "squad2-open", "data": str(data), "form": form, "summary": summary}
    print(json.dumps({**out, "by_title": by_title(records)}, indent=2))
    print(render_summary(summary))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        body = {**out, "by_title": by_title(records), "records": records}
        (args.out / "squad.json").write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n")
        print(f"rag eval: wrote {args.out}/squad.json", file=sys.stderr)
    return 0


def render_summary(s: dict[str, float]) -> str:
    """One line per figure, for people."""
    return "\n".join(
        [
            f"answerable correct (first quote) {s['answerable_correct']:.1%}",
            f"false refusals                   {s['false_refusal']:.1%}",
            f"gold article cited (answerable)  {s.get('gold_article_cited', 0):.1%}",
            f"unanswerable abstained           {s['unanswerable_abstained']:.1%}",
            f"overall                          {s['overall']:.1%}",
            f"AUC of confidence                {s['confidence_auc']:.3f}",
            f"latency p50 / p95 (ms)           {s['latency_p50_ms']:.1f} / {s['latency_p95_ms']:.1f}",
            f"answer span exact / overlap      {s.get('answer_span_exact', 0):.1%} / "
            f"{s.get('answer_span_overlap', 0):.1%} (span given {s.get('answer_span_given', 0):.1%})",
        ]
    )
