"""The answer-model file: scoring, the packaged model, and clear errors for a missing or bad file."""

import itertools
import json

import numpy as np
import pytest

from rag.answer.features import CANDIDATE_FEATURES, QUESTION_FEATURES
from rag.answer.model import DEFAULT_MODEL_PATH, LinearModel, TreeEnsemble, load_answer_model, sigmoid
from rag.errors import ConfigError


def test_linear_and_trees_score():
    lm = LinearModel(("a",), np.array([0.0]), np.array([1.0]), np.array([2.0]), 0.0)
    assert lm.prob({"a": 0.0}) == 0.5
    assert lm.prob({"a": 1.0}) == pytest.approx(sigmoid(2.0))
    # one stump: x <= 0.5 -> -1, else +1 (leaves point to themselves)
    t = TreeEnsemble(
        ("a",), 0.0, np.array([0]), np.array([0, 0, 0]), np.array([0.5, 0, 0]),
        np.array([1, 1, 2]), np.array([2, 1, 2]), np.array([0.0, -1.0, 1.0]), 1,
    )  # fmt: skip
    assert t.probs([{"a": 0.0}, {"a": 1.0}]) == pytest.approx([sigmoid(-1), sigmoid(1)])


def test_packaged_model_loads():
    m = load_answer_model(known=CANDIDATE_FEATURES + QUESTION_FEATURES)
    assert m.describe()["version"] == 2 and len(str(m.describe()["sha256"])) == 16
    assert 0 < m.threshold <= m.confident <= 1
    assert m.meta["cv"]["scheme"].startswith("leave one")


def test_model_loader_errors(tmp_path):
    with pytest.raises(ConfigError, match="missing"):
        load_answer_model(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not readable JSON"):
        load_answer_model(bad)
    d = json.loads(DEFAULT_MODEL_PATH.read_text())
    bad.write_text(json.dumps({**d, "version": 99}))
    with pytest.raises(ConfigError, match="version"):
        load_answer_model(bad)
    bad.write_text(json.dumps({**d, "threshold": 3}))
    with pytest.raises(ConfigError, match="probability"):
        load_answer_model(bad)
    bad.write_text(json.dumps({**d, "ranker": {**d["ranker"], "left": [0]}}))
    with pytest.raises(ConfigError, match="ranker"):
        load_answer_model(bad)
    with pytest.raises(ConfigError, match="does not compute"):
        load_answer_model(DEFAULT_MODEL_PATH, known=["dense"])


def test_levels_for_another_false_refusal_bound(tmp_path):
    m = load_answer_model()
    points = m.points()
    assert {0.06, 0.08, 0.1, 0.12} <= set(points)
    # each kept pair is the one ``choose_point`` picked for its bound: a looser bound never
    # refuses at a lower level than a tighter one
    ordered = [points[b] for b in sorted(points)]
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(ordered))
    six = load_answer_model(max_false_refusal=0.06)
    assert (six.threshold, six.confident) == points[0.06]
    assert six.describe()["threshold"] == points[0.06][0] and six.digest == m.digest
    assert (m.threshold, m.confident) == points[m.meta["settings"]["max_false_refusal"]]
    with pytest.raises(ConfigError, match=r"RAG_MAX_FALSE_REFUSAL=0.07.*0.06, 0.08, 0.1, 0.12"):
        load_answer_model(max_false_refusal=0.07)
    d = json.loads(DEFAULT_MODEL_PATH.read_text())
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {**d, "operating_points": [{"max_false_refusal": 0.1, "threshold": 0.5, "confident": 0.2}]}
        )
    )
    with pytest.raises(ConfigError, match="threshold > confident"):
        load_answer_model(bad)
    bad.write_text(json.dumps({**d, "operating_points": [{"threshold": 0.5}]}))
    with pytest.raises(ConfigError, match="malformed"):
        load_answer_model(bad)


def test_verifier_fields_are_checked(tmp_path):
    d = json.loads(DEFAULT_MODEL_PATH.read_text())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**d, "verify_top": 4, "verifier_sha256": ""}))
    with pytest.raises(ConfigError, match="verifier_sha256"):
        load_answer_model(bad)
    bad.write_text(json.dumps({**d, "verify_top": -1}))
    with pytest.raises(ConfigError, match="verify_top"):
        load_answer_model(bad)
    rr = {"kind": "linear", "features": ["s1_logit"], "mean": [0], "scale": [1], "coef": [1], "intercept": 0}
    ok = tmp_path / "ok.json"
    ok.write_text(json.dumps({**d, "verify_top": 3, "verifier_sha256": "ab" * 32, "rerank": rr}))
    m = load_answer_model(ok)
    assert m.verify_top == 3 and m.rerank is not None and m.rerank.prob({"s1_logit": 0.0}) == 0.5
    assert load_answer_model(ok.__class__(ok)).to_json()["rerank"]["features"] == ["s1_logit"]
    with pytest.raises(ConfigError, match="does not compute"):
        load_answer_model(ok, known=[*d["ranker"]["features"], *d["abstain"]["features"]])
