"""The fit's decision rule and how its levels are chosen (``rag.evaluation.decision``): P(answerable)
alone (confident = threshold) versus the hand-set rule's refusals standing below ``confident``."""

from __future__ import annotations

import numpy as np
import pytest

from rag.errors import RagError
from rag.evaluation.decision import Rows, answers, choose_point, figures


def _rows(answerable: list[bool], top_ok: list[bool], ruled: list[bool], rule_ok: list[bool]) -> Rows:
    return Rows(*(np.array(v, dtype=bool) for v in (answerable, top_ok, ruled, rule_ok)))


def test_model_alone_answers_what_the_rule_refuses() -> None:
    rows = _rows([True] * 4, [True] * 4, [False, False, True, False], [False, True, True, False])
    p = np.array([0.30, 0.30, 0.90, 0.10])
    # model alone at threshold 0.2: the rule's refusal (row 0) is overruled, the name check
    # (row 2) and a low P (row 3) still refuse
    assert answers(rows, p, 0.2, 0.2).tolist() == [True, True, False, False]
    # model+rule with confident 0.5: row 0 (rule refuses, P 0.30 < 0.5) is refused
    assert answers(rows, p, 0.2, 0.5).tolist() == [False, True, False, False]


def test_figures_count_first_quote_correct_refusals_and_abstentions() -> None:
    rows = _rows([True, True, True, False, False], [True, False, True, False, False], [False] * 5, [True] * 5)
    f = figures(rows, np.array([0.9, 0.8, 0.1, 0.7, 0.2]), 0.5, 0.5)
    assert (f["answerable_correct"], f["false_refusal"], f["unanswerable_abstained"]) == (0.3333, 0.3333, 0.5)
    assert f["overall"] == 0.4  # 1 correct + 1 abstained of 5


def test_choose_point_refuses_most_unanswerable_within_the_false_refusal_bound() -> None:
    answerable = [0.52, 0.58, 0.62, 0.72, 0.78, 0.82, 0.88, 0.92, 0.96, 0.99]
    unanswerable = [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.60, 0.75, 0.85, 0.95]
    p = np.array(answerable + unanswerable)
    rows = _rows([True] * 10 + [False] * 10, [True] * 20, [False] * 20, [True] * 20)
    t, c = choose_point(rows, p, max_fr=0.2, model_alone=True)
    keep = answers(rows, p, t, c)
    assert int((~keep[:10]).sum()) == 2  # the bound: 2 of 10 answerable refused (0.52, 0.58)
    assert int((~keep[10:]).sum()) == 7  # everything under 0.61 of the unanswerable
    assert t == c == pytest.approx(0.61)  # the lowest level that does so
    # no false refusal allowed: only the 5 unanswerable under 0.52 can be refused
    t2, _ = choose_point(rows, p, max_fr=0.0, model_alone=True)
    assert t2 == pytest.approx(0.46) and int((~answers(rows, p, t2, t2)[10:]).sum()) == 5


def test_choose_point_keeps_the_rules_refusals_on_the_seed_questions() -> None:
    cv = _rows([True, False], [True, False], [False, False], [True, True])
    p_cv = np.array([0.9, 0.1])
    # one seed near-miss the rule refuses (rule_ok False) at P 0.4: any threshold <= 0.4 with
    # confident <= 0.4 would answer it, so the chosen pair must refuse it
    seeds = _rows([False], [False], [False], [False])
    t, c = choose_point(cv, p_cv, 0.0, seeds, np.array([0.4]))
    assert not answers(seeds, np.array([0.4]), t, c)[0]


def test_choose_point_names_the_bound_when_nothing_meets_it() -> None:
    cv = _rows([True], [True], [True], [True])  # the name check refuses the only answerable one
    with pytest.raises(RagError, match="--max-false-refusal"):
        choose_point(cv, np.array([0.9]), 0.0)
