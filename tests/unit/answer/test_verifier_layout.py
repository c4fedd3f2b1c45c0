"""The verifier's input layout (shared by training and serving) and its card checks."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.answer.verifier import (
    CLS,
    MAX_LEN,
    MAX_PREVIOUS,
    MAX_QUESTION,
    SEP,
    Verifier,
    VerifierCard,
    pad_batch,
    pair_ids,
)
from rag.errors import ConfigError


def test_layout_example():
    ids, types = pair_ids([7], [8, 9], [5])
    assert ids == [CLS, 7, SEP, 8, 9, SEP, 5, SEP]
    assert types == [0, 0, 0, 1, 1, 1, 1, 1]


def test_no_previous_sentence_keeps_the_layout():
    ids, types = pair_ids([7, 7], [], [5, 6])
    assert ids == [CLS, 7, 7, SEP, SEP, 5, 6, SEP]
    assert types == [0, 0, 0, 0, 1, 1, 1, 1]


def test_previous_sentence_keeps_its_end_and_question_its_start():
    q = list(range(1000, 1000 + MAX_QUESTION + 10))
    prev = list(range(2000, 2100))
    ids, _ = pair_ids(q, prev, [5, 6, 7])
    assert ids[1 : 1 + MAX_QUESTION] == q[:MAX_QUESTION]
    p = ids[2 + MAX_QUESTION : ids.index(SEP, 2 + MAX_QUESTION)]
    assert p == prev[-MAX_PREVIOUS:]
    assert ids[-4:] == [5, 6, 7, SEP]


@given(
    st.lists(st.integers(1000, 3000), max_size=80),
    st.lists(st.integers(1000, 3000), max_size=200),
    st.lists(st.integers(1000, 3000), max_size=300),
)
def test_layout_invariants(q, prev, sent):
    ids, types = pair_ids(q, prev, sent)
    assert len(ids) == len(types) <= MAX_LEN
    assert ids[0] == CLS and ids[-1] == SEP and ids.count(SEP) == 3
    # the sentence keeps at least two thirds of the room it can use when it is long
    s = ids[ids.index(SEP, ids.index(SEP) + 1) + 1 : -1]
    assert s == sent[: len(s)]
    room = MAX_LEN - 4 - min(len(q), MAX_QUESTION)
    assert len(s) >= min(len(sent), room * 2 // 3)


def test_pad_batch():
    feed = pad_batch([pair_ids([7], [], [5]), pair_ids([7, 8], [9], [5, 6])])
    assert feed["input_ids"].shape == feed["attention_mask"].shape == feed["token_type_ids"].shape == (2, 9)
    assert feed["attention_mask"][0].tolist() == [1] * 6 + [0] * 3


def test_card_errors(tmp_path):
    with pytest.raises(ConfigError, match="missing"):
        VerifierCard.read(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ConfigError, match="not readable"):
        VerifierCard.read(tmp_path / "bad.json")


def test_a_model_file_other_than_its_card_says_is_refused(tmp_path):
    model, card = tmp_path / "v.onnx", tmp_path / "v.json"
    model.write_bytes(b"not the model")
    card.write_text(json.dumps({"sha256": "0" * 64, "layers": 6}))
    with pytest.raises(ConfigError, match="sha256"):
        Verifier(model, card).warm_up()
    with pytest.raises(ConfigError, match="missing"):
        Verifier(tmp_path / "absent.onnx", card).warm_up()
