"""Fitting helpers for ``rag.evaluation.fit``: scikit-learn models exported to the numpy
scorers of ``rag/answer/model.py``, and a reliability table. Needs scikit-learn (a dev extra),
imported only here and only when fitting; answering never imports it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rag.answer.model import LinearModel, Scorer, TreeEnsemble

SEED = 14
TREES = {"max_iter": 150, "learning_rate": 0.05, "max_leaf_nodes": 8, "min_samples_leaf": 40}


def _fit_lr(x: np.ndarray, y: np.ndarray, c: float, w: np.ndarray | None = None) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 1e-9, scaler.scale_, 1.0)
    lr = LogisticRegression(C=c, max_iter=2000, random_state=SEED)
    lr.fit((x - scaler.mean_) / scale, y, sample_weight=w)
    return scaler.mean_, scale, lr


def to_trees(names: tuple[str, ...], clf: Any) -> TreeEnsemble:
    """Export a fitted HistGradientBoostingClassifier (binary, numeric features) to flat arrays."""
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    value: list[float] = []
    roots: list[int] = []
    depth = 0
    for per_class in clf._predictors:
        nodes = per_class[0].nodes
        off = len(feature)
        roots.append(off)
        for i, nd in enumerate(nodes):
            leaf = bool(nd["is_leaf"])
            feature.append(0 if leaf else int(nd["feature_idx"]))
            threshold.append(0.0 if leaf else float(nd["num_threshold"]))
            left.append(off + i if leaf else off + int(nd["left"]))
            right.append(off + i if leaf else off + int(nd["right"]))
            value.append(float(nd["value"]) if leaf else 0.0)
            depth = max(depth, int(nd["depth"]))
    return TreeEnsemble(
        names,
        float(np.ravel(clf._baseline_prediction)[0]),
        np.array(roots),
        np.array(feature),
        np.array(threshold),
        np.array(left),
        np.array(right),
        np.array(value),
        depth,
    )


def fit_scorer(
    kind: str, names: tuple[str, ...], x: np.ndarray, y: np.ndarray, c: float, w: np.ndarray | None = None
) -> Scorer:
    """Fit a logistic regression (``linear``) or small gradient-boosted trees (``trees``);
    ``w``: per-row weights."""
    if kind == "linear":
        return to_linear(names, _fit_lr(x, y, c, w))
    from sklearn.ensemble import HistGradientBoostingClassifier

    clf = HistGradientBoostingClassifier(
        max_iter=TREES["max_iter"],
        learning_rate=TREES["learning_rate"],
        max_leaf_nodes=TREES["max_leaf_nodes"],
        min_samples_leaf=TREES["min_samples_leaf"],
        l2_regularization=1.0,
        early_stopping=False,
        random_state=SEED,
    )
    clf.fit(x, y, sample_weight=w)
    model = to_trees(names, clf)
    check = clf.predict_proba(x[:200])[:, 1]
    if not np.allclose(model.probs_array(x[:200]), check, atol=1e-6):  # the export must score as sklearn does
        raise RuntimeError("exported trees disagree with scikit-learn's predictions")
    return model


def to_linear(names: tuple[str, ...], fitted: Any) -> LinearModel:
    mean, scale, lr = fitted
    return LinearModel(
        names, np.asarray(mean), np.asarray(scale), lr.coef_[0].copy(), float(lr.intercept_[0])
    )


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Reliability table: per probability bin, count, mean predicted and observed rate."""
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        m = (probs >= lo) & ((probs < hi) if b < bins - 1 else (probs <= hi))
        if m.sum():
            out.append(
                {
                    "bin": f"{lo:.1f}-{hi:.1f}",
                    "n": int(m.sum()),
                    "predicted": round(float(probs[m].mean()), 3),
                    "observed": round(float(labels[m].mean()), 3),
                }
            )
    return out
