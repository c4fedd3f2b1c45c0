"""Near-duplicate clustering and the per-cluster slot rule (pure functions, no store)."""

import pytest

from rag.answer.diversity import (
    NEAR_DUPLICATE,
    cap_per_cluster,
    near_duplicate_clusters,
    resemblance,
    shingles,
)
from rag.index.loader import load_file
from tests.conftest import SEEDS


def test_shingles_and_resemblance_worked_examples():
    assert shingles("Trump ruled out troops", k=3) == {("trump", "ruled", "out"), ("ruled", "out", "troops")}
    assert shingles("two words", k=3) == {("two", "words")}
    assert shingles("", k=3) == frozenset()
    assert resemblance("a b c d", "a b c e", k=2) == pytest.approx(0.5)
    assert resemblance("same text here", "same text here") == 1.0
    assert resemblance("", "") == 0.0
    with pytest.raises(ValueError, match="k must be"):
        shingles("x", k=0)


@pytest.mark.parametrize("every", [20, 12])
def test_threshold_separates_edited_copies_from_independent_reports(every):
    """The docstring's reasoning on real text: a copy with one word in ``every`` changed stays
    above the threshold; the seed articles, three independent reports of one event, stay far below."""
    seeds = {p.stem: load_file(p).text for p in sorted(SEEDS.glob("*.txt"))}
    original = next(iter(seeds.values()))
    words = original.split(" ")
    edited = " ".join(w + "x" if i % every == every // 2 else w for i, w in enumerate(words))
    assert resemblance(original, edited) >= NEAR_DUPLICATE
    texts = list(seeds.values())
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            assert resemblance(a, b) < 0.1
    assert len(set(near_duplicate_clusters(seeds).values())) == len(seeds)


def test_clusters_are_transitive_and_named_by_first_member():
    base = "the council approved the bridge budget of forty million dollars on tuesday after a long debate"
    texts = {
        "c": "an unrelated story about the weather in spring and the rain that fell all week long",
        "a": base,
        "b": base + " today",
        "d": base + " today, officials said",
    }
    assert near_duplicate_clusters(texts) == {"c": "c", "a": "a", "b": "a", "d": "a"}
    assert near_duplicate_clusters({}) == {}
    with pytest.raises(ValueError, match="threshold"):
        near_duplicate_clusters(texts, threshold=0.0)


@pytest.mark.parametrize(
    ("slots", "reserve", "expected"),
    [
        (["a1", "a2", "a3"], "b1", ["a1", "a2", "b1"]),  # one cluster had every slot
        (["a1", "b1", "a2"], "c1", ["a1", "b1", "a2"]),  # already two clusters
        (["a1", "a2"], None, ["a1", "a2"]),  # nothing else qualifies
        (["a1"], "b1", ["a1"]),  # one slot cannot be split
        (["a1", "a2"], "a3", ["a1", "a2"]),  # the reserve is from the same cluster
        ([], "b1", []),
    ],
)
def test_cap_per_cluster(slots, reserve, expected):
    assert cap_per_cluster(slots, lambda s: s[0], reserve) == expected
