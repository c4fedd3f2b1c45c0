"""The fit's decision rule: P(answerable) alone (``--decision model``: confident = threshold)
versus the hand-set rule's refusals standing below ``confident`` (``model+rule``)."""

from __future__ import annotations

import numpy as np

from rag.evaluation.fit import Example, answers


def _ex(ruled_out: bool, rule_ok: bool) -> Example:
    # a fake question: only the decision flags matter to ``answers``
    return Example("q", "g", True, None, [], [], None, ruled_out, rule_ok)  # type: ignore[arg-type]


def test_model_alone_answers_what_the_rule_refuses() -> None:
    exs = [_ex(False, False), _ex(False, True), _ex(True, True), _ex(False, False)]
    p = np.array([0.30, 0.30, 0.90, 0.10])
    # model alone at threshold 0.2: the rule's refusal (row 0) is overruled, the name check
    # (row 2) and a low P (row 3) still refuse
    assert answers(exs, p, 0.2, 0.2).tolist() == [True, True, False, False]
    # model+rule with confident 0.5: row 0 (rule refuses, P 0.30 < 0.5) is refused
    assert answers(exs, p, 0.2, 0.5).tolist() == [False, True, False, False]
