"""The headline rule (rag.text.headline): a headline line when the file gives one, else the
first sentence, trimmed at a word boundary."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.text.headline import HEADLINE_MAX, SENTENCE_MAX, headline, is_headline_line, trim


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the file gives a headline: a short first line that does not end like a sentence
        ("Kyiv talks stall\nTalks in Kyiv stalled on Monday.", "Kyiv talks stall"),
        ("Kyiv talks stall\r\n\r\nTalks stalled.", "Kyiv talks stall"),
        (
            "  Who pays for Ukraine's skies?\n\nThe question hung over the summit.",
            "Who pays for Ukraine's skies?",
        ),
        ("“No troops,” Trump says\nBody.", "“No troops,” Trump says"),
        ("Kyiv   talks\tstall\nBody.", "Kyiv talks stall"),  # white space folded
        # no headline line: the first sentence
        ("Talks stalled on Monday. Both sides left.", "Talks stalled on Monday."),
        ("U.S. envoy arrives in Kyiv. He met Zelensky.", "U.S. envoy arrives in Kyiv."),
        (
            "Talks stalled on Monday.\nBoth sides left.",
            "Talks stalled on Monday.",
        ),  # the line ends a sentence
        ("As officials said:\nmore talks follow.", "As officials said:"),  # ends like a clause
        ("Kyiv talks stall", "Kyiv talks stall"),  # one line and nothing after: the first sentence
        ("", ""),
        ("   \n ", ""),
    ],
)
def test_headline_rule(text, expected):
    assert headline(text) == expected


def test_the_seed_articles_get_their_first_sentence_trimmed():
    text = (
        "U.S. President Donald Trump spoke by phone with President Volodymyr Zelensky and European leaders "
        "on Sept. 4, hours after the summit.\n\nMore."
    )
    h = headline(text)
    assert h.endswith("…") and len(h) <= SENTENCE_MAX
    assert h.startswith("U.S. President Donald Trump spoke by phone") and text.startswith(h[:-1])
    assert not h[:-1].endswith(" ")


def test_a_long_first_line_is_not_a_headline():
    line = "word " * (HEADLINE_MAX // 5 + 2)
    assert not is_headline_line(line.strip())
    assert len(headline(line + "\nBody.")) <= SENTENCE_MAX


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("one two three", 20, "one two three"),
        ("one two three", 10, "one two…"),
        ("supercalifragilistic", 10, "supercali…"),  # one long word is cut inside it
        ("one two, three", 9, "one two…"),  # no dangling comma before the ellipsis
    ],
)
def test_trim(text, limit, expected):
    assert trim(text, limit) == expected


@given(st.text(max_size=400))
def test_a_headline_is_one_bounded_line(text):
    h = headline(text)
    assert "\n" not in h and len(h) <= HEADLINE_MAX
    assert h == "" or text.strip()
