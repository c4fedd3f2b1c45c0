"""The SQuAD harness: it refuses a missing folder (never passes silently), matches gold, ranks."""

import argparse

import pytest

from rag.errors import RagError
from rag.evaluation.squad import check_folder, gold_in, load_squad_questions, roc_auc, run_suite_cli


def test_harness_refuses_missing_folder(tmp_path):
    with pytest.raises(RagError, match="no SQuAD-style data"):
        check_folder(tmp_path / "absent")
    with pytest.raises(RagError, match=r"questions\.jsonl"):
        load_squad_questions(tmp_path)


def test_gold_match_and_auc():
    assert gold_in("In  1998\nit", ["1998 IT"])
    assert not gold_in("nothing", ["1998"])
    assert roc_auc([0.9, 0.1, 0.5], [True, False, False]) == 1.0
    assert roc_auc([0.5, 0.5], [True, False]) == 0.5


def test_suite_cli_exits_nonzero_without_data(tmp_path, capsys):
    args = argparse.Namespace(data=tmp_path / "absent", form="paragraphs", quiet=True, out=None)
    assert run_suite_cli(args) == 2
    assert "no SQuAD-style data" in capsys.readouterr().err
