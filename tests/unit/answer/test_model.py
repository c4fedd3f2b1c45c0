"""The answer-model file: scoring, the packaged model, and clear errors for a missing or bad file."""

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
    assert m.describe()["version"] == 1 and len(str(m.describe()["sha256"])) == 16
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
