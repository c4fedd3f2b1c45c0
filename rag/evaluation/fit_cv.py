"""The fit's stages on collected examples: each question's candidates with their signals and
labels (``collect``), the ranker, the verifier's reading and the rerank model, the abstention
model, cross-validated leave one group (title) out (``cross_validate``) and fitted on
everything (``final_fit``). ``rag.evaluation.fit`` runs them and writes the model file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.base import cite_chunk
from rag.answer.features import CANDIDATE_FEATURES, QUESTION_FEATURES, RERANK_FEATURES
from rag.answer.fitted import FittedAnswerer, rerank_features
from rag.answer.model import Scorer
from rag.answer.question import analyse_question
from rag.answer.verifier import Verifier
from rag.evaluation.decision import Rows
from rag.evaluation.fit_models import fit_scorer
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


def ranker_rows(
    exs: list[Example], names: tuple[str, ...] = CANDIDATE_FEATURES
) -> tuple[np.ndarray, np.ndarray]:
    rows = [[c.feats[n] for n in names] for e in exs if e.answerable for c in e.cands]
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


def verify(exs: list[Example], top: int, reader: Any) -> None:
    """The verifier's P for each example's first ``top`` candidates (in their current order)."""
    for e in exs:
        for c in e.cands:
            c.ver = None
        if top:
            e.answerer.verifier = reader
            e.answerer.read_with_verifier(e.question, e.cands[:top])


def rerank_rows(exs: list[Example], top: int) -> tuple[np.ndarray, np.ndarray]:
    """``RERANK_FEATURES`` rows of the answerable questions' verified candidates, with labels."""
    rows: list[list[float]] = []
    ys: list[bool] = []
    for e in exs:
        if e.answerable and e.cands[:top]:
            feats = rerank_features(e.cands[:top])
            rows += [[f[n] for n in RERANK_FEATURES] for f in feats]
            ys += e.labels[:top]
    return np.array(rows, dtype=np.float64).reshape(-1, len(RERANK_FEATURES)), np.array(ys, dtype=np.int64)


def apply_rerank(model: Scorer, exs: list[Example], top: int) -> None:
    """Order each example's verified candidates by the rerank model (as the answerer does)."""
    for e in exs:
        head = e.cands[:top]
        if not head:
            continue
        probs = model.probs(rerank_features(head))
        for c, p in zip(head, probs, strict=True):
            c.prob = float(p)
        order = sorted(range(len(head)), key=lambda i: (-head[i].prob, -head[i].score))
        e.cands[: len(head)] = [head[i] for i in order]
        e.labels[: len(head)] = [e.labels[: len(head)][i] for i in order]


def abstain_rows(
    exs: list[Example], names: tuple[str, ...] = QUESTION_FEATURES
) -> tuple[np.ndarray, np.ndarray]:
    rows = [[e.answerer.question_features(e.question, e.cands)[n] for n in names] for e in exs]
    return np.array(rows, dtype=np.float64), np.array([e.answerable for e in exs], dtype=np.int64)


def rows_of(exs: list[Example]) -> Rows:
    """The decision's flags per question (top candidate = the first after ``apply_ranker``)."""
    return Rows(
        np.array([e.answerable for e in exs], dtype=bool),
        np.array([bool(e.labels and e.labels[0]) for e in exs], dtype=bool),
        np.array([e.ruled_out for e in exs], dtype=bool),
        np.array([e.rule_ok for e in exs], dtype=bool),
    )


@dataclass(frozen=True)
class Choice:
    """What a fit is made of: the model kinds, their regularisation, how many candidates the
    verifier reads, and the features each model sees."""

    ranker: str = "trees"
    abstainer: str = "trees"
    c_ranker: float = 1.0
    c_abstain: float = 0.3
    seed_weight: float = 15.0
    verify_top: int = 0
    ranker_features: tuple[str, ...] = CANDIDATE_FEATURES
    abstain_features: tuple[str, ...] = QUESTION_FEATURES


def drop(names: tuple[str, ...], spec: str) -> tuple[str, ...]:
    """``names`` without those listed in ``spec`` (``a,b*``: ``a`` and every name starting ``b``)."""
    parts = [x.strip() for x in spec.split(",") if x.strip()]
    gone = {n for n in names for x in parts if n == x or (x.endswith("*") and n.startswith(x[:-1]))}
    return tuple(n for n in names if n not in gone)


def _rank_stages(
    exs: list[Example], ranker: Scorer, choice: Choice, reader: Any, fit_on: list[Example]
) -> Scorer | None:
    """Order ``exs`` by ``ranker``, have the verifier read their first candidates, and (fitted on
    ``fit_on``, ranked the same way before) order those by the rerank model, which is returned."""
    apply_ranker(ranker, exs)
    if not choice.verify_top:
        return None
    verify(exs, choice.verify_top, reader)
    x, y = rerank_rows(fit_on, choice.verify_top)
    rerank = fit_scorer("linear", RERANK_FEATURES, x, y, 1.0)
    apply_rerank(rerank, exs, choice.verify_top)
    return rerank


def cross_validate(exs: list[Example], choice: Choice, reader: Any) -> tuple[np.ndarray, Rows]:
    """Leave-one-group-out P(answerable) and decision flags (each group ranked and judged by
    models fitted without it; the rerank model on the other groups' CV-ranked candidates)."""
    groups = sorted({e.group for e in exs})
    gidx = np.array([e.group for e in exs])
    ranked: dict[str, Scorer] = {}
    for g in groups:
        x, y = ranker_rows([e for e in exs if e.group != g], choice.ranker_features)
        ranked[g] = fit_scorer(choice.ranker, choice.ranker_features, x, y, choice.c_ranker)
    for g in groups:
        apply_ranker(ranked[g], [e for e in exs if e.group == g])
    if choice.verify_top:
        verify(exs, choice.verify_top, reader)
        for g in groups:
            x, y = rerank_rows([e for e in exs if e.group != g], choice.verify_top)
            rr = fit_scorer("linear", RERANK_FEATURES, x, y, 1.0)
            apply_rerank(rr, [e for e in exs if e.group == g], choice.verify_top)
    x_all, y_all = abstain_rows(exs, choice.abstain_features)
    w_all = np.array([choice.seed_weight if e.group == "seed-eval" else 1.0 for e in exs])
    p_cv = np.zeros(len(exs))
    for g in groups:
        tr, te = gidx != g, gidx == g
        m = fit_scorer(
            choice.abstainer, choice.abstain_features, x_all[tr], y_all[tr], choice.c_abstain, w_all[tr]
        )
        p_cv[te] = m.probs_array(x_all[te])
    return p_cv, rows_of(exs)


def final_fit(
    exs: list[Example], choice: Choice, reader: Any
) -> tuple[Scorer, Scorer | None, Scorer, np.ndarray]:
    """The models fitted on everything, and their in-sample P(answerable) per example."""
    x, y = ranker_rows(exs, choice.ranker_features)
    ranker = fit_scorer(choice.ranker, choice.ranker_features, x, y, choice.c_ranker)
    rerank = _rank_stages(exs, ranker, choice, reader, exs)
    x_fin, y_fin = abstain_rows(exs, choice.abstain_features)
    w_all = np.array([choice.seed_weight if e.group == "seed-eval" else 1.0 for e in exs])
    abstain = fit_scorer(choice.abstainer, choice.abstain_features, x_fin, y_fin, choice.c_abstain, w_all)
    return ranker, rerank, abstain, abstain.probs_array(x_fin)


class CachedVerifier:
    """The answer verifier with its scores kept in a JSONL file (fits ask the same pairs again)."""

    def __init__(self, inner: Verifier, path: Path) -> None:
        self.inner = inner
        self.card = inner.card
        self.path = path
        self.cache: dict[str, float] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                k, v = json.loads(line)
                self.cache[k] = float(v)

    def scores(self, question: str, pairs: list[tuple[str, str]]) -> np.ndarray:
        keys = [hashlib.sha1("\x00".join((question, s, p)).encode()).hexdigest() for s, p in pairs]
        todo = [i for i, k in enumerate(keys) if k not in self.cache]
        if todo:
            got = self.inner.scores(question, [pairs[i] for i in todo])
            with open(self.path, "a", encoding="utf-8") as f:
                for i, v in zip(todo, got, strict=True):
                    self.cache[keys[i]] = float(v)
                    f.write(json.dumps([keys[i], round(float(v), 6)]) + "\n")
        return np.array([self.cache[k] for k in keys])


def cached_verifier(args: argparse.Namespace) -> CachedVerifier:
    inner = Verifier(args.verifier, args.verifier.with_suffix(".json"))
    folder = Path(tempfile.gettempdir()) / "rag-verifier-cache"
    folder.mkdir(exist_ok=True)
    return CachedVerifier(inner, folder / f"{inner.card.sha256[:16]}.jsonl")
