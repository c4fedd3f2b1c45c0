"""The fitted answerer's decision and how its two levels are chosen (for ``rag.evaluation.fit``).

An answer is given when no name the question turns on is missing from every article, P(answerable)
>= ``threshold``, and either P >= ``confident`` or the hand-set rule agrees (its best score is
high enough). ``choose_point`` picks the pair on data: the one that refuses the most unanswerable
questions under cross-validation while CV false refusals stay within a bound, and (when the seed
questions are given) the final model refuses every seed near-miss the hand-set rule refuses on
its own and answers every answerable seed question the rule answers. Pure numpy over flags.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.errors import RagError
from rag.evaluation.squad import roc_auc


@dataclass(frozen=True)
class Rows:
    """Per question: answerable (label), top candidate holds the answer, ruled out by the name
    check, the hand-set rule would answer."""

    answerable: np.ndarray
    top_ok: np.ndarray
    ruled_out: np.ndarray
    rule_ok: np.ndarray

    def __len__(self) -> int:
        return len(self.answerable)

    def take(self, mask: np.ndarray) -> Rows:
        return Rows(self.answerable[mask], self.top_ok[mask], self.ruled_out[mask], self.rule_ok[mask])


def answers(rows: Rows, p_ans: np.ndarray, threshold: float, confident: float) -> np.ndarray:
    """Which questions get answered: not ruled out, P(answerable) >= threshold, and either
    P(answerable) >= confident or the hand-set rule agrees."""
    return ~rows.ruled_out & (p_ans >= threshold) & ((p_ans >= confident) | rows.rule_ok)


def figures(rows: Rows, p_ans: np.ndarray, threshold: float, confident: float) -> dict[str, float]:
    """The issue's figures for given P(answerable) and levels, first quote = top candidate."""
    ans, una = rows.answerable, ~rows.answerable
    keep = answers(rows, p_ans, threshold, confident)
    n_ans, n_una = max(int(ans.sum()), 1), max(int(una.sum()), 1)
    correct = int((keep & ans & rows.top_ok).sum())
    abst = int((~keep & una).sum())
    return {
        "questions": len(rows),
        "answerable_correct": round(correct / n_ans, 4),
        "false_refusal": round(int((~keep & ans).sum()) / n_ans, 4),
        "unanswerable_abstained": round(abst / n_una, 4),
        "overall": round((correct + abst) / max(len(rows), 1), 4),
        "auc": round(roc_auc(list(p_ans), [bool(a) for a in ans]), 4),
        "top1_has_gold_when_answerable": round(int((ans & rows.top_ok).sum()) / n_ans, 4),
    }


def choose_point(
    cv: Rows,
    p_cv: np.ndarray,
    max_fr: float,
    seeds: Rows | None = None,
    p_seeds: np.ndarray | None = None,
    model_alone: bool = False,
    step: float = 0.01,
    seed_floor: tuple[float, float] | None = None,
) -> tuple[float, float]:
    """``(threshold, confident)`` on a ``step`` grid: the most CV unanswerable questions
    abstained (ties: more answered correctly, then the lower levels) with CV false refusals,
    the name check's included, at or under ``max_fr``; on ``seeds`` (the final model's P) no
    near-miss the rule refuses is answered and no answerable question it answers is refused.
    ``model_alone``: confident = threshold (the rule never vetoes). ``seed_floor`` (answered
    correctly, unanswerable refused): instead of agreeing with the rule question by question, the
    seed questions need only reach these shares.

    Raises:
        RagError: no pair meets the bounds (name the bound to raise).
    """
    if not 0.0 <= max_fr < 1.0:
        raise RagError(f"max false refusal {max_fr} must be in [0, 1)")
    n_ans = max(int(cv.answerable.sum()), 1)
    rule_seed = ~seeds.ruled_out & seeds.rule_ok if seeds is not None else None
    best: tuple[float, float, float, float] | None = None  # (-abstained, -correct, t, c)
    levels = np.round(np.arange(step, 1.0, step), 6)
    for t in levels:
        for c in [t] if model_alone else levels[levels >= t]:
            keep = answers(cv, p_cv, float(t), float(c))
            if int((~keep & cv.answerable).sum()) > max_fr * n_ans:
                continue
            if seeds is not None and p_seeds is not None and rule_seed is not None:
                k = answers(seeds, p_seeds, float(t), float(c))
                if seed_floor is not None:
                    ok = (k & seeds.answerable & seeds.top_ok).sum() / max(int(seeds.answerable.sum()), 1)
                    refused = (~k & ~seeds.answerable).sum() / max(int((~seeds.answerable).sum()), 1)
                    if ok < seed_floor[0] or refused < seed_floor[1]:
                        continue
                # per question: what the rule gets right stays right
                elif (k & ~seeds.answerable & ~rule_seed).any() or (~k & seeds.answerable & rule_seed).any():
                    continue
            key = (
                -float((~keep & ~cv.answerable).sum()),
                -float((keep & cv.answerable & cv.top_ok).sum()),
                float(t),
                float(c),
            )
            if best is None or key < best:
                best = key
    if best is None:
        raise RagError(
            f"no threshold keeps CV false refusals at or under {max_fr:.0%} "
            "with the seed questions' refusals; raise --max-false-refusal"
        )
    return best[2], best[3]
