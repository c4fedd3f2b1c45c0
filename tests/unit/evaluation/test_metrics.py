"""Evaluation metrics against hand-computed values."""

from rag.evaluation.metrics import facts_present, hit_at_k, mean, overlaps, percentile, reciprocal_rank


def test_metrics_hand_computed():
    assert facts_present("26 countries are ready", [["26", "twenty-six"]])
    assert not facts_present("ready", [["26"]])
    assert facts_present("Élysée", [["elysee"]])
    assert overlaps((0, 5), (4, 9)) and not overlaps((0, 4), (4, 9))
    assert hit_at_k([False, True], 1) == 0.0 and hit_at_k([False, True], 2) == 1.0
    assert reciprocal_rank([False, True]) == 0.5 and reciprocal_rank([]) == 0.0
    assert mean([1, 0]) == 0.5 and mean([]) == 0.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 95) == 10
