"""The fitted answer models: a sentence ranker and an abstention model, scored with numpy.

Both are small gradient-boosted tree ensembles (or, fitted with ``--ranker/--abstainer
linear``, logistic regressions) over named signals (``rag/answer/signals.py``, assembled by the
answerer): the ranker gives P(this candidate sentence holds the answer), the abstention model
P(the question is answerable from the articles), which is also the confidence an answer
reports. Weights live in a small versioned JSON file inside the package
(``rag/answer/model.json``), written by ``python -m rag.evaluation.fit``, together with the
feature names, the data they were fitted on (name and counts, never the data) and the
cross-validated metrics. Inference needs numpy only, not scikit-learn.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rag.answer.scorers import LinearModel, Scorer, TreeEnsemble, feature_vector, scorer_from_json, sigmoid
from rag.errors import ConfigError

__all__ = [
    "AnswerModel",
    "LinearModel",
    "Scorer",
    "TreeEnsemble",
    "feature_vector",
    "load_answer_model",
    "scorer_from_json",
    "sigmoid",
]

MODEL_VERSION = 2  # 2: the verifier, its rerank stage and its sha256
DEFAULT_MODEL_PATH = Path(__file__).with_name("model.json")


@dataclass(frozen=True)
class AnswerModel:
    """The ranker, the abstention model and the threshold on P(answerable) below which to abstain.

    With a verifier (``verify_top`` > 0): the ranker's first ``verify_top`` candidates are read by
    the answer verifier (``rag/answer/verifier.py``, the file whose sha256 is ``verifier_sha256``)
    and ordered again by ``rerank``, which sees the ranker's and the verifier's opinions.
    """

    ranker: Scorer
    abstain: Scorer
    threshold: float
    meta: Mapping[str, Any]
    digest: str = ""  # sha256 of the file it was read from (first 16 hex digits)
    rerank: Scorer | None = None
    verify_top: int = 0
    verifier_sha256: str = ""

    def describe(self) -> dict[str, object]:
        """What the eval fingerprint records: the file's version and digest, the levels in use."""
        return {"version": MODEL_VERSION, "sha256": self.digest, "threshold": self.threshold,
                "confident": self.confident, "verify_top": self.verify_top,
                "verifier_sha256": self.verifier_sha256[:16]}  # fmt: skip

    def points(self) -> dict[float, tuple[float, float]]:
        """The fitted levels kept in the file: bound on CV false refusals -> (threshold, confident)."""
        out = {}
        for p in self.meta.get("operating_points") or []:
            out[float(p["max_false_refusal"])] = (float(p["threshold"]), float(p["confident"]))
        return out

    def at(self, max_false_refusal: float) -> AnswerModel:
        """The same models deciding with the levels fitted for another false-refusal bound.

        Raises:
            ConfigError: the file keeps no levels for that bound (names the ones it has).
        """
        found = next((v for k, v in self.points().items() if abs(k - max_false_refusal) < 1e-9), None)
        if found is None:
            have = ", ".join(f"{k:g}" for k in sorted(self.points())) or "none"
            raise ConfigError(
                f"RAG_MAX_FALSE_REFUSAL={max_false_refusal:g}: the answer model has levels for {have}; "
                "use one of them or refit with python -m rag.evaluation.fit --other-bounds"
            )
        return replace(self, threshold=found[0], meta={**self.meta, "confident": found[1]})

    @property
    def confident(self) -> float:
        """Below this P(answerable) the hand-set rule must also agree to answer."""
        return float(self.meta.get("confident", self.threshold))

    def to_json(self) -> dict[str, Any]:
        own = ("version", "ranker", "abstain", "threshold", "rerank", "verify_top", "verifier_sha256")
        return {
            "version": MODEL_VERSION,
            "ranker": self.ranker.to_json(),
            "abstain": self.abstain.to_json(),
            "threshold": round(self.threshold, 6),
            "verify_top": self.verify_top,
            "verifier_sha256": self.verifier_sha256,
            **({"rerank": self.rerank.to_json()} if self.rerank is not None else {}),
            **{k: v for k, v in self.meta.items() if k not in own},
        }


def load_answer_model(
    path: Path = DEFAULT_MODEL_PATH,
    known: Sequence[str] | None = None,
    max_false_refusal: float | None = None,
) -> AnswerModel:
    """Read and check a model file.

    Args:
        path: the JSON written by ``python -m rag.evaluation.fit``.
        known: the feature names the answerer computes; a model asking for others is refused.
        max_false_refusal: decide with the levels fitted for this bound (``AnswerModel.at``);
            None: the file's default levels.
    Raises:
        ConfigError: the file is missing, not JSON, of another version, or malformed.
    """
    try:
        raw = path.read_bytes()
        d = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"answer model {path} is missing; refit it with python -m rag.evaluation.fit --data DIR"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"answer model {path} is not readable JSON ({e}); refit it") from None
    if not isinstance(d, dict) or d.get("version") != MODEL_VERSION:
        got = d.get("version") if isinstance(d, dict) else type(d).__name__
        raise ConfigError(f"answer model {path} has version {got!r}, this code reads version {MODEL_VERSION}")
    ranker = scorer_from_json(d.get("ranker") or {}, f"{path} ranker")
    abstain = scorer_from_json(d.get("abstain") or {}, f"{path} abstain")
    try:
        threshold = float(d["threshold"])
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"answer model {path}: threshold missing or not a number") from None
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"answer model {path}: threshold {threshold} is not a probability")
    confident = d.get("confident", threshold)
    if not isinstance(confident, int | float) or not threshold <= confident <= 1.0:
        raise ConfigError(f"answer model {path}: confident {confident!r} must be in [threshold, 1]")
    rerank = scorer_from_json(d["rerank"], f"{path} rerank") if d.get("rerank") is not None else None
    verify_top = d.get("verify_top", 0)
    verifier_sha = d.get("verifier_sha256", "")
    if not isinstance(verify_top, int) or not 0 <= verify_top <= 50 or not isinstance(verifier_sha, str):
        raise ConfigError(
            f"answer model {path}: verify_top must be an integer in [0, 50] with a verifier_sha256"
        )
    if verify_top and not verifier_sha:
        raise ConfigError(f"answer model {path}: verify_top is set but verifier_sha256 is missing; refit it")
    if known is not None:
        names = set(ranker.names) | set(abstain.names) | (set(rerank.names) if rerank else set())
        unknown = sorted(names - set(known))
        if unknown:
            raise ConfigError(f"answer model {path} uses features this code does not compute: {unknown}")
    model = AnswerModel(
        ranker, abstain, threshold, d, hashlib.sha256(raw).hexdigest()[:16], rerank, verify_top, verifier_sha
    )
    try:
        levels = model.points()
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ConfigError(f"answer model {path}: operating_points are malformed; refit it") from None
    if any(not 0.0 <= t <= c <= 1.0 for t, c in levels.values()):
        raise ConfigError(
            f"answer model {path}: an operating point has threshold > confident or is not in [0, 1]"
        )
    return model if max_false_refusal is None else model.at(max_false_refusal)
