"""The outlet an article names in its dateline (rag.text.outlet): shown on source cards, never guessed."""

import pytest

from rag.text.outlet import outlet
from tests.conftest import SEEDS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("KYIV (Reuters) — Talks stalled on Friday.", "Reuters"),
        ("WASHINGTON, Sept. 4 (AP) - Talks went on.", "AP"),
        ("(CNN) — Leaders met.", "CNN"),
        ("Kyiv talks stall\n\nKYIV, Ukraine (Kyiv Independent) – Talks stalled.", "Kyiv Independent"),
        ("The council (in Kyiv) - said no.", ""),  # not a dateline: mixed case, lower-case bracket
        ("Talks stalled (Reuters reported) on Friday.", ""),  # an outlet named mid-sentence
        ("U.S. President Donald Trump spoke by phone.", ""),
        ("", ""),
    ],
)
def test_outlet_from_the_dateline_only(text, expected):
    assert outlet(text) == expected


def test_the_seed_articles_name_no_outlet():
    for path in SEEDS.glob("*.txt"):
        assert outlet(path.read_text(encoding="utf-8").split(" ", 2)[2]) == ""
