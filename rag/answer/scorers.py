"""The numpy scorers the answer models are made of: a logistic regression and gradient-boosted
trees exported from scikit-learn, read from and written to the model file's JSON."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.errors import ConfigError


def sigmoid(z: float) -> float:
    """Logistic function, overflow-safe: ``sigmoid(0.0)`` -> ``0.5``."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def feature_vector(names: tuple[str, ...], feats: Mapping[str, float]) -> np.ndarray:
    """The features in a model's order (a missing name is a bug in the caller: KeyError)."""
    return np.array([feats[n] for n in names], dtype=np.float64)


@dataclass(frozen=True)
class LinearModel:
    """``sigmoid(((x - mean) / scale) @ coef + intercept)`` over features named ``names``."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def vector(self, feats: Mapping[str, float]) -> np.ndarray:
        return feature_vector(self.names, feats)

    def logit(self, feats: Mapping[str, float]) -> float:
        x = (self.vector(feats) - self.mean) / self.scale
        return float(x @ self.coef + self.intercept)

    def prob(self, feats: Mapping[str, float]) -> float:
        """P(positive) for one feature mapping: ``1 / (1 + exp(-logit))``."""
        return sigmoid(self.logit(feats))

    def probs(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        return self.probs_array(np.array([[r[n] for n in self.names] for r in rows], dtype=np.float64))

    def probs_array(self, x: np.ndarray) -> np.ndarray:
        """P(positive) for rows of features in ``names`` order."""
        return 1.0 / (1.0 + np.exp(-(((x - self.mean) / self.scale) @ self.coef + self.intercept)))

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "linear",
            "features": list(self.names),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coef": [round(float(v), 6) for v in self.coef],
            "intercept": round(self.intercept, 6),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any], where: str) -> LinearModel:
        try:
            names = tuple(str(n) for n in d["features"])
            arrays = [np.asarray(d[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
            intercept = float(d["intercept"])
        except (KeyError, TypeError, ValueError) as e:
            raise ConfigError(
                f"{where}: missing or bad field ({e}); refit with python -m rag.evaluation.fit"
            ) from None
        if any(a.shape != (len(names),) for a in arrays) or not names:
            raise ConfigError(
                f"{where}: features, mean, scale and coef must be lists of one length; "
                "refit with python -m rag.evaluation.fit"
            )
        if np.any(arrays[1] <= 0) or not all(np.all(np.isfinite(a)) for a in arrays):
            raise ConfigError(f"{where}: scale must be positive and all weights finite")
        return cls(names, arrays[0], arrays[1], arrays[2], intercept)


@dataclass(frozen=True)
class TreeEnsemble:
    """Gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier, exported):
    ``sigmoid(baseline + sum of the leaf values each row reaches)``.

    All trees' nodes sit in flat arrays (children as global indices; a leaf points to
    itself), so scoring walks every row through every tree at once, one numpy step per
    level: a few tens of microseconds for 20 candidates and 150 trees. A row goes left when
    ``x[feature] <= threshold``, as in scikit-learn.
    """

    names: tuple[str, ...]
    baseline: float
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int

    def vector(self, feats: Mapping[str, float]) -> np.ndarray:
        return feature_vector(self.names, feats)

    def __post_init__(self) -> None:
        # children interleaved (right, left) so one gather per level picks the branch taken
        object.__setattr__(self, "_kids", np.stack([self.right, self.left], axis=1).ravel())

    def logits(self, x: np.ndarray) -> np.ndarray:
        n, width = x.shape
        idx = np.tile(self.roots, (n, 1))
        base = (np.arange(n) * width)[:, None]
        flat = np.ascontiguousarray(x, dtype=np.float64).ravel()
        kids: np.ndarray = self._kids  # type: ignore[attr-defined]
        for _ in range(self.depth):
            go_left = flat[base + self.feature[idx]] <= self.threshold[idx]
            idx = kids[2 * idx + go_left]
        return self.baseline + self.value[idx].sum(axis=1)

    def prob(self, feats: Mapping[str, float]) -> float:
        return sigmoid(float(self.logits(self.vector(feats)[None, :])[0]))

    def probs(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        return self.probs_array(np.array([[r[n] for n in self.names] for r in rows], dtype=np.float64))

    def probs_array(self, x: np.ndarray) -> np.ndarray:
        """P(positive) for rows of features in ``names`` order."""
        return 1.0 / (1.0 + np.exp(-self.logits(x)))

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "trees",
            "features": list(self.names),
            "baseline": round(self.baseline, 8),
            "depth": self.depth,
            "roots": self.roots.tolist(),
            "feature": self.feature.tolist(),
            # exact (a split may sit on a training value: rounding it sends that row the other way)
            "threshold": [float(v) for v in self.threshold],
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "value": [float(f"{v:.8g}") for v in self.value],
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any], where: str) -> TreeEnsemble:
        try:
            names = tuple(str(n) for n in d["features"])
            ints = {k: np.asarray(d[k], dtype=np.int64) for k in ("roots", "feature", "left", "right")}
            floats = {k: np.asarray(d[k], dtype=np.float64) for k in ("threshold", "value")}
            baseline, depth = float(d["baseline"]), int(d["depth"])
        except (KeyError, TypeError, ValueError) as e:
            raise ConfigError(
                f"{where}: missing or bad field ({e}); refit with python -m rag.evaluation.fit"
            ) from None
        n = len(ints["feature"])
        if not names or any(
            len(a) != n for a in (*ints.values(), *floats.values()) if a is not ints["roots"]
        ):
            raise ConfigError(
                f"{where}: node arrays must have one length; refit with python -m rag.evaluation.fit"
            )
        idx = np.concatenate([ints["roots"], ints["left"], ints["right"]])
        if (
            n == 0
            or idx.min() < 0
            or idx.max() >= n
            or ints["feature"].min() < 0
            or ints["feature"].max() >= len(names)
        ):
            raise ConfigError(f"{where}: a node index or feature index is out of range")
        return cls(names, baseline, ints["roots"], ints["feature"], floats["threshold"], ints["left"],
                   ints["right"], floats["value"], depth)  # fmt: skip


Scorer = LinearModel | TreeEnsemble


def scorer_from_json(d: Mapping[str, Any], where: str) -> Scorer:
    """A LinearModel or, for ``"kind": "trees"``, a TreeEnsemble."""
    if not isinstance(d, Mapping):
        raise ConfigError(f"{where}: not a JSON object; refit with python -m rag.evaluation.fit")
    kind = d.get("kind", "linear")
    if kind == "trees":
        return TreeEnsemble.from_json(d, where)
    if kind == "linear":
        return LinearModel.from_json(d, where)
    raise ConfigError(f"{where}: kind {kind!r} is not one of 'linear', 'trees'")
