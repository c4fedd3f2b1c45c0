"""Fit the answer models (sentence ranker + abstention) on a SQuAD-2.0-style folder.

    python -m rag.evaluation.fit --data ../shared/data/squad2-open [--seed-eval] [--out rag/answer/model.json]

The folder's articles are indexed (``rag.evaluation.squad``), every question goes through the real
retrieval and the answerer's candidate step, and each candidate sentence gets its signals
(``FittedAnswerer.rank`` with no model). Then:

1. the ranker: P(candidate sentence contains a gold answer), fitted on the answerable
   questions;
2. the abstention model: P(question is answerable), on the question's features and its best
   candidates' (ranked by the ranker's CV probabilities); both small gradient-boosted tree
   ensembles (``--ranker``/``--abstainer linear``: logistic regressions);
3. both cross-validated leave-one-title-out; then ``rag.evaluation.decision.choose_point``
   picks ``threshold`` and ``confident`` (below it the hand-set rule's refusals stand): the most
   CV unanswerable questions refused with CV false refusals <= ``--max-false-refusal``, and
   (``--seed-eval``) the final model no worse than the rule on the seed questions;
   ``--decision model``: P(answerable) alone decides; reliability bins, Brier, AUC recorded;
4. the final models are refitted on everything and written as JSON with the feature names,
   the data's name and counts (never the data) and the CV metrics.

``--seed-eval`` adds the project's labelled seed questions (``eval/questions.jsonl`` over
``seeds/``) as one more group. Deterministic: fixed seeds, sorted inputs. Needs scikit-learn
(a dev extra); answering does not.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.base import cite_chunk
from rag.answer.features import CANDIDATE_FEATURES, QUESTION_FEATURES
from rag.answer.fitted import FittedAnswerer
from rag.answer.model import DEFAULT_MODEL_PATH, MODEL_VERSION, AnswerModel, Scorer
from rag.answer.question import analyse_question
from rag.errors import RagError
from rag.evaluation.decision import Rows, choose_point, figures
from rag.evaluation.fit_models import SEED, TREES, fit_scorer, reliability
from rag.evaluation.metrics import facts_present
from rag.evaluation.squad import gold_in, load_squad_questions, open_pipeline
from rag.pipeline import Pipeline
from rag.types import Query


@dataclass
class Example:
    """One question's candidates with their signals and labels."""

    qid: str
    group: str  # the CV fold: a title, or "seed-eval"
    answerable: bool
    question: Any  # QuestionInfo
    cands: list[Any]  # Candidate
    labels: list[bool]
    answerer: FittedAnswerer
    ruled_out: bool = False  # abstained by the rule before any model (a name in no article)
    rule_ok: bool = True  # the hand-set rule would answer (best hand-weighted score high enough)


def collect(pipe: Pipeline, items: list[tuple[str, str, str, bool, Any]], progress: bool) -> list[Example]:
    """Run retrieval and candidate signals for (qid, group, question, answerable, is_gold) items."""
    answerer = FittedAnswerer(pipe.corpus, None, max_quotes=pipe.settings.max_quotes)
    out = []
    it: Any = items
    if progress:
        from tqdm import tqdm

        it = tqdm(items, desc="signals", unit="q", file=sys.stderr)
    for qid, group, text, answerable, is_gold in it:
        found = pipe.retriever.search(Query(text, top_k=pipe.settings.top_k))
        q = analyse_question(text)
        cands = answerer.rank(q, found.hits, found.vector)
        labels = [answerable and is_gold(cite_chunk(c.chunk, "answer").quote) for c in cands]
        rule_ok = bool(cands) and max(c.score for c in cands) >= answerer.config.abstain_below
        out.append(
            Example(
                qid,
                group,
                answerable,
                q,
                cands,
                labels,
                answerer,
                bool(answerer.unknown_entities(q)),
                rule_ok,
            )
        )
    return out


def ranker_rows(exs: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    rows = [[c.feats[n] for n in CANDIDATE_FEATURES] for e in exs if e.answerable for c in e.cands]
    ys = [y for e in exs if e.answerable for y in e.labels]
    return np.array(rows, dtype=np.float64), np.array(ys, dtype=np.int64)


def apply_ranker(model: Scorer, exs: list[Example]) -> None:
    for e in exs:
        probs = model.probs([c.feats for c in e.cands])
        for c, p in zip(e.cands, probs, strict=True):
            c.prob = float(p)
        order = sorted(range(len(e.cands)), key=lambda i: (-e.cands[i].prob, -e.cands[i].score))
        e.cands = [e.cands[i] for i in order]
        e.labels = [e.labels[i] for i in order]


def abstain_rows(exs: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    rows = [[e.answerer.question_features(e.question, e.cands)[n] for n in QUESTION_FEATURES] for e in exs]
    return np.array(rows, dtype=np.float64), np.array([e.answerable for e in exs], dtype=np.int64)


def rows_of(exs: list[Example]) -> Rows:
    """The decision's flags per question (top candidate = the first after ``apply_ranker``)."""
    return Rows(
        np.array([e.answerable for e in exs], dtype=bool),
        np.array([bool(e.labels and e.labels[0]) for e in exs], dtype=bool),
        np.array([e.ruled_out for e in exs], dtype=bool),
        np.array([e.rule_ok for e in exs], dtype=bool),
    )


def main(argv: list[str] | None = None) -> int:
    from rag.config import PROJECT_ROOT, load_settings, set_offline_env

    set_offline_env()
    p = argparse.ArgumentParser(prog="python -m rag.evaluation.fit", description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=Path("../shared/data/squad2-open"))
    p.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    p.add_argument("--seed-eval", action="store_true", help="add eval/questions.jsonl over seeds/ as a group")
    p.add_argument(
        "--seed-weight", type=float, default=15.0, help="weight of a seed-eval question in the abstention fit"
    )
    p.add_argument(
        "--max-false-refusal",
        type=float,
        default=0.10,
        help="bound on CV false refusals (share of answerable) of the default levels",
    )
    p.add_argument(
        "--other-bounds",
        default="0.06,0.08,0.12",
        help="more bounds whose levels the file keeps (RAG_MAX_FALSE_REFUSAL picks one)",
    )
    p.add_argument("--decision", choices=("model", "model+rule"), default="model+rule", help="see step 3")
    p.add_argument("--c-ranker", type=float, default=1.0)
    p.add_argument("--c-abstain", type=float, default=0.3)
    p.add_argument("--ranker", choices=("linear", "trees"), default="trees")
    p.add_argument("--abstainer", choices=("linear", "trees"), default="trees")
    p.add_argument("--form", default="articles", help="articles (paragraphs) or articles_by_title")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    np.random.seed(SEED)
    try:
        questions = load_squad_questions(args.data)
        pipe = open_pipeline(args.data, args.form, quiet=args.quiet)
    except RagError as e:
        print(f"rag.fit_answerer: {e}", file=sys.stderr)
        return 2
    items = [
        (q.qid, q.title, q.question, q.answerable, (lambda text, a=q.answers: gold_in(text, a)))
        for q in questions
    ]
    exs = collect(pipe, items, progress=not args.quiet)
    data_info: list[dict[str, Any]] = [
        {
            "name": args.data.name,
            "source": "SQuAD 2.0 dev (CC BY-SA 4.0), titles "
            + ", ".join(sorted({q.title for q in questions})),
            "articles": pipe.counts()[0],
            "questions": len(questions),
            "answerable": sum(q.answerable for q in questions),
        }
    ]
    if args.seed_eval:
        from rag.evaluation.questions import load_questions

        seed_dir = Path(tempfile.gettempdir()) / "rag-fit-seeds"
        settings = load_settings(data_dir=seed_dir)
        from rag.pipeline import build_pipeline

        spipe = build_pipeline(settings)
        spipe.corpus.sync(force=True)
        if not spipe.counts()[0]:
            spipe.ingest([settings.seeds_dir])
        spipe.warm_up()
        lq = load_questions(PROJECT_ROOT / "eval" / "questions.jsonl")
        sitems = [
            (
                q.qid,
                "seed-eval",
                q.question,
                q.answerable,
                (lambda text, ex=q.expect: facts_present(text, ex[:1])),
            )
            for q in lq
            if not q.conversation  # a follow-up asked alone is not its question: conversations stay out
        ]
        exs += collect(spipe, sitems, progress=False)
        data_info.append(
            {
                "name": "eval/questions.jsonl over seeds/",
                "questions": len(lq),
                "answerable": sum(q.answerable for q in lq),
            }
        )

    groups = sorted({e.group for e in exs})
    # ---- ranker, leave one group out
    cv_rank: dict[str, Scorer] = {}
    for g in groups:
        x, y = ranker_rows([e for e in exs if e.group != g])
        cv_rank[g] = fit_scorer(args.ranker, CANDIDATE_FEATURES, x, y, args.c_ranker)
    for g in groups:
        apply_ranker(cv_rank[g], [e for e in exs if e.group == g])
    # ---- abstention, leave one group out, on CV-ranked candidates
    x_all, y_all = abstain_rows(exs)
    w_all = np.array([args.seed_weight if e.group == "seed-eval" else 1.0 for e in exs])
    p_cv = np.zeros(len(exs))
    gidx = np.array([e.group for e in exs])
    for g in groups:
        tr, te = gidx != g, gidx == g
        m = fit_scorer(args.abstainer, QUESTION_FEATURES, x_all[tr], y_all[tr], args.c_abstain, w_all[tr])
        p_cv[te] = m.probs_array(x_all[te])
    rows_cv = rows_of(exs)  # CV-ranked: the top candidate is the CV ranker's
    ext = gidx != "seed-eval"  # the external data; the seed group is checked on the final model
    # ---- final fit on everything
    x, y = ranker_rows(exs)
    ranker = fit_scorer(args.ranker, CANDIDATE_FEATURES, x, y, args.c_ranker)
    apply_ranker(ranker, exs)
    x_fin, y_fin = abstain_rows(exs)
    abstain = fit_scorer(args.abstainer, QUESTION_FEATURES, x_fin, y_fin, args.c_abstain, w_all)
    seeds = rows_of(exs).take(~ext) if (~ext).any() else None
    p_seeds = abstain.probs_array(x_fin[~ext]) if seeds is not None else None
    points = []
    try:
        bounds = [args.max_false_refusal, *(float(b) for b in args.other_bounds.split(",") if b.strip())]
        for bound in sorted(set(bounds)):
            t, c = choose_point(rows_cv.take(ext), p_cv[ext], bound, seeds, p_seeds, args.decision == "model")
            cv_b = figures(rows_cv.take(ext), p_cv[ext], t, c)
            points.append({"max_false_refusal": bound, "threshold": t, "confident": c, "cv": cv_b})
    except (RagError, ValueError) as e:
        print(f"rag.evaluation.fit: {e}", file=sys.stderr)
        return 1
    default = next(p for p in points if p["max_false_refusal"] == args.max_false_refusal)
    threshold, confident = default["threshold"], default["confident"]
    cv = {
        "scheme": "leave one group (title) out",
        "threshold": round(threshold, 4),
        "confident": round(confident, 4),
        "all": default["cv"],
        "brier": round(float(np.mean((p_cv - y_all) ** 2)), 4),
        "reliability": reliability(p_cv, y_all),
        "by_group": {
            g: figures(rows_cv.take(gidx == g), p_cv[gidx == g], threshold, confident) for g in groups
        },
    }
    if seeds is not None and p_seeds is not None:
        cv["seed_eval_final_model"] = figures(seeds, p_seeds, threshold, confident)
    meta = {
        "fitted_by": "python -m rag.evaluation.fit",
        "settings": {
            "seed": SEED,
            "c_ranker": args.c_ranker,
            "c_abstain": args.c_abstain,
            "max_false_refusal": args.max_false_refusal,
            "decision": args.decision,
            "seed_eval": args.seed_eval,
            "seed_weight": args.seed_weight,
            "top_k": pipe.settings.top_k,
            "ranker": args.ranker,
            "abstainer": args.abstainer,
            "trees": TREES,
        },
        "data": data_info,
        "ranker_rows": {"candidates": len(y), "positive": int(y.sum())},
        "cv": cv,
        "operating_points": points,
    }
    model = AnswerModel(ranker, abstain, threshold, {**meta, "confident": round(confident, 6)})
    args.out.write_text(json.dumps(model.to_json(), indent=1) + "\n")
    print(
        json.dumps(
            {"version": MODEL_VERSION, "cv": {k: v for k, v in cv.items() if k != "reliability"}}, indent=1
        )
    )
    print(json.dumps(cv["reliability"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
