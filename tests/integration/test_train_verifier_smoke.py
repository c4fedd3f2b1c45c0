"""Smoke test of the verifier's training code: a few pairs, a few steps, exported, loaded, resumed.

The data are made up here (four tiny "titles"), so the test needs nothing from ../shared and
says nothing about quality: it checks that one command builds pairs, trains, checkpoints,
exports an int8 ONNX file whose card matches it, and that a second run resumes instead of
starting over. Training the real model is not part of the tests (see rag/answer/verifier.md).
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration

PARAGRAPHS = {
    "t0": (
        "The bridge opened in 1932 after six years of work. It carries eight lanes of traffic. "
        "Its chief engineer was John Bradfield.",
        [
            ("When did the bridge open?", "1932"),
            ("Who was the chief engineer?", "John Bradfield"),
            ("How many lanes does it carry?", "eight"),
        ],
    ),
    "t1": (
        "The river floods every spring. Farmers plant rice when the water recedes in May. "
        "The delta covers 40,000 square kilometres.",
        [
            ("When do farmers plant rice?", "May"),
            ("How large is the delta?", "40,000 square kilometres"),
            ("When does the river flood?", "every spring"),
        ],
    ),
    "t2": (
        "The orchestra was founded by Clara Weiss in 1901. It gives forty concerts a year. "
        "Its home is the Stadthalle in Graz.",
        [
            ("Who founded the orchestra?", "Clara Weiss"),
            ("Where is its home?", "the Stadthalle in Graz"),
            ("How many concerts does it give a year?", "forty"),
        ],
    ),
    "t3": (
        "The comet returns every 76 years. It was last seen in 1986. Astronomers expect it again in 2061.",
        [
            ("How often does the comet return?", "every 76 years"),
            ("When was it last seen?", "1986"),
            ("When is it expected again?", "2061"),
        ],
    ),
}


@pytest.fixture()
def tiny_data(tmp_path):
    folder = tmp_path / "data"
    (folder / "articles").mkdir(parents=True)
    lines = []
    for title, (text, qas) in PARAGRAPHS.items():
        (folder / "articles" / f"{title}_p00.txt").write_text(f"date 2020-01-01\n{text}\n", encoding="utf-8")
        for n, (q, a) in enumerate(qas):
            lines.append(
                {
                    "id": f"{title}-{n}",
                    "question": q,
                    "answerable": True,
                    "answers": [a],
                    "article_id": f"{title}_p00",
                    "title_article_id": title,
                    "plausible_answers": [],
                }
            )
    (folder / "questions.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return folder


def test_train_export_load_and_resume(tiny_data, tmp_path):
    from rag.answer.verifier import Verifier, file_digest
    from rag.evaluation.train_verifier import main

    work, out, card = tmp_path / "work", tmp_path / "v.onnx", tmp_path / "v.json"
    argv = ["--data", str(tiny_data), "--work", str(work), "--max-steps", "2", "--batch", "4",
            "--threads", "1", "--val-titles", "1", "--val-pairs", "8", "--save-every", "1",
            "--eval-every", "2", "--export", "--out", str(out), "--card", str(card)]  # fmt: skip
    assert main(argv) == 0
    events = [json.loads(x) for x in (work / "train.log").read_text().splitlines()]
    assert events[0]["event"] == "pairs" and events[0]["n"] > 0
    assert [e["step"] for e in events if e["event"] == "checkpoint"] == [1, 2]
    assert "auc_l6" in next(e for e in events if e["event"] == "checkpoint" and e["step"] == 2)
    meta = json.loads(card.read_text())
    assert meta["sha256"] == file_digest(out) and meta["layers"] == 6
    assert meta["onnx_vs_torch_max_abs_diff"] < 0.1  # int8 stays close to the trained model

    v = Verifier(out, card)
    p = v.scores(
        "When did the bridge open?", [("The bridge opened in 1932.", ""), ("It has eight lanes.", "")]
    )
    assert len(p) == 2 and all(0.0 <= x <= 1.0 for x in p)

    assert main(argv) == 0  # a second run resumes at the end instead of training again
    events = [json.loads(x) for x in (work / "train.log").read_text().splitlines()]
    assert events[-2]["event"] == "resumed" and events[-2]["step"] == 2
    assert sum(e["event"] == "checkpoint" for e in events) == 2


def test_missing_data_is_named(tmp_path, capsys):
    from rag.evaluation.train_verifier import main

    assert main(["--data", str(tmp_path / "nowhere"), "--work", str(tmp_path / "w")]) == 2
    assert "no training data" in capsys.readouterr().err
