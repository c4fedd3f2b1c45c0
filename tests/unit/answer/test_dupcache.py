"""The cached near-duplicate clustering equals the plain one, and forgets on a new generation."""

import random

import pytest

from rag.answer.conflict import contradicts, quantities
from rag.answer.diversity import near_duplicate_clusters
from rag.answer.dupcache import NearDuplicateCache
from rag.text import dates_mentioned

WORDS = "council approved bridge budget forty million dollars tuesday debate mayor river city vote".split()


def _story(rng: random.Random, n: int = 40) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _edit(rng: random.Random, text: str, every: int) -> str:
    return " ".join(w + "x" if rng.randrange(every) == 0 else w for w in text.split())


def _corpus(rng: random.Random) -> dict[str, str]:
    """A few stories, each with copies edited lightly (near duplicates) or heavily (not)."""
    texts: dict[str, str] = {}
    for s in range(rng.randint(1, 5)):
        story = _story(rng)
        texts[f"s{s}"] = story
        for c in range(rng.randint(0, 3)):
            texts[f"s{s}c{c}"] = _edit(rng, story, rng.choice([3, 12, 40]))
    keys = list(texts)
    rng.shuffle(keys)
    return {k: texts[k] for k in keys}


def test_cached_clusters_equal_plain_ones_on_random_corpora():
    rng = random.Random(7)
    cache = NearDuplicateCache()
    merged = 0
    for _ in range(200):
        texts = _corpus(rng)
        expected = near_duplicate_clusters(texts)
        assert cache.clusters(texts, "g1") == expected
        assert cache.clusters(texts, "g1") == expected  # the second time from cached verdicts
        merged += sum(k != v for k, v in expected.items())
    assert merged > 50  # the corpora did have near duplicates to find
    assert len(cache) > 0


def test_a_new_generation_empties_the_cache():
    rng = random.Random(3)
    texts = _corpus(rng)
    while len(texts) < 3:
        texts = _corpus(rng)
    cache = NearDuplicateCache()
    cache.clusters(texts, "g1")
    held = len(cache)
    assert held > 0
    cache.clusters({"a": "one story here", "b": "another story entirely"}, "g2")
    assert cache.generation == "g2"
    assert len(cache) == 2  # only the new pair (both orders): the old verdicts are gone
    assert cache.clusters(texts, "g2") == near_duplicate_clusters(texts)


def test_verdicts_belong_to_texts_not_ids():
    """Within one generation an id whose text differs (another view) is compared afresh."""
    base = "the council approved the bridge budget of forty million dollars on tuesday after a long debate"
    cache = NearDuplicateCache()
    assert cache.clusters({"a": base, "b": base + " today"}, "g") == {"a": "a", "b": "a"}
    other = "an unrelated story about the weather in spring and the rain that fell all week long"
    assert cache.clusters({"a": base, "b": other}, "g") == {"a": "a", "b": "b"}


def test_the_cache_stays_bounded_and_correct():
    rng = random.Random(11)
    cache = NearDuplicateCache(max_pairs=10)
    for _ in range(50):
        texts = _corpus(rng)
        assert cache.clusters(texts, "g") == near_duplicate_clusters(texts)
        assert len(cache) <= 10 + 1
    with pytest.raises(ValueError, match="max_pairs"):
        NearDuplicateCache(max_pairs=0)
    with pytest.raises(ValueError, match="threshold"):
        NearDuplicateCache(threshold=1.5)


def test_cached_text_readers_hand_out_fresh_values():
    """``dates_mentioned`` and ``quantities`` are cached inside; what callers get is theirs to change."""
    first = dates_mentioned("on Aug. 18 and 20 May")
    first.add((1, 1))
    assert dates_mentioned("on Aug. 18 and 20 May") == {(8, 18), (5, 20)}
    q = quantities("26 countries and 3 leaders met")
    q["extra"] = frozenset({"1"})
    assert quantities("26 countries and 3 leaders met") == {"countri": {"26"}, "leader": {"3"}}
    # and the verdicts read from the cached pieces are the same on every call
    for _ in range(2):
        assert contradicts("12 people were killed.", "15 people were killed.") == "numbers"
        assert contradicts("Talks resume on Aug. 18.", "Talks resume on Aug. 20.") == "dates"
        assert (
            contradicts("Talks resume on Aug. 18.", "Talks resume on Aug. 20.", "talks on Aug. 18?") is None
        )
