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
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.features import CANDIDATE_FEATURES, QUESTION_FEATURES
from rag.answer.model import DEFAULT_MODEL_PATH, MODEL_VERSION, AnswerModel
from rag.answer.verifier import VERIFIER_PATH
from rag.errors import RagError
from rag.evaluation.decision import choose_point, figures
from rag.evaluation.fit_cv import (
    Choice,
    cached_verifier,
    collect,
    cross_validate,
    drop,
    final_fit,
    rows_of,
)
from rag.evaluation.fit_models import SEED, TREES, reliability
from rag.evaluation.metrics import facts_present
from rag.evaluation.squad import gold_in, load_squad_questions, open_pipeline


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
    p.add_argument("--verify-top", type=int, default=4, help="candidates the answer verifier reads (0: none)")
    p.add_argument(
        "--verifier", type=Path, default=VERIFIER_PATH, help="the verifier's ONNX file (card beside)"
    )
    p.add_argument(
        "--seed-floor",
        default="",
        help="'correct,refused' shares the seed questions must reach (default: agree with the rule per question)",
    )
    p.add_argument("--drop", default="", help="comma-separated feature names (or prefixes*) left out")
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

    choice = Choice(
        ranker=args.ranker,
        abstainer=args.abstainer,
        c_ranker=args.c_ranker,
        c_abstain=args.c_abstain,
        seed_weight=args.seed_weight,
        verify_top=args.verify_top,
        ranker_features=drop(CANDIDATE_FEATURES, args.drop),
        abstain_features=drop(QUESTION_FEATURES, args.drop),
    )
    reader = cached_verifier(args) if args.verify_top else None
    groups = sorted({e.group for e in exs})
    gidx = np.array([e.group for e in exs])
    p_cv, rows_cv = cross_validate(exs, choice, reader)
    y_all = np.array([e.answerable for e in exs], dtype=np.int64)
    ext = gidx != "seed-eval"  # the external data; the seed group is checked on the final model
    # ---- final fit on everything
    ranker, rerank, abstain, p_fin = final_fit(exs, choice, reader)
    y = np.array([lab for e in exs if e.answerable for lab in e.labels], dtype=np.int64)
    seeds = rows_of(exs).take(~ext) if (~ext).any() else None
    p_seeds = p_fin[~ext] if seeds is not None else None
    floor = None
    if args.seed_floor:
        a, b = (float(x) for x in args.seed_floor.split(","))
        floor = (a, b)
    points = []
    try:
        bounds = [args.max_false_refusal, *(float(b) for b in args.other_bounds.split(",") if b.strip())]
        for bound in sorted(set(bounds)):
            t, c = choose_point(
                rows_cv.take(ext), p_cv[ext], bound, seeds, p_seeds, args.decision == "model",
                seed_floor=floor,
            )  # fmt: skip
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
            "verify_top": args.verify_top,
            "dropped": args.drop,
            "seed_floor": args.seed_floor,
        },
        "data": data_info,
        "ranker_rows": {"candidates": len(y), "positive": int(y.sum())},
        "cv": cv,
        "operating_points": points,
    }
    model = AnswerModel(
        ranker,
        abstain,
        threshold,
        {**meta, "confident": round(confident, 6)},
        rerank=rerank,
        verify_top=choice.verify_top,
        verifier_sha256=reader.card.sha256 if reader is not None else "",
    )
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
