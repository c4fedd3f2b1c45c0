"""Broad questions and the digest's sentence selection (pure parts)."""

import numpy as np
import pytest

from rag.answer.digest import DigestConfig, digest_text, is_broad, select, topic_of
from rag.types import Citation


@pytest.mark.parametrize(
    "q",
    [
        "Summarize what was agreed in Paris",
        "summarise the talks",
        "Give me an overview of the security guarantees",
        "What happened in Paris?",
        "What do we know about the coalition of the willing?",
        "Can you recap the summit?",
        "Tell me about Zelensky's call with Trump",
        "What was agreed in Paris?",
    ],
)
def test_broad(q):
    assert is_broad(q)


@pytest.mark.parametrize(
    "q",
    [
        "What did Trump rule out on Aug. 18?",
        "How many countries are ready to send troops?",
        "Who summarized the talks?",
        "What happens next?",
        "What happened to him a few days later?",
        "Which summit was held in Paris?",
    ],
)
def test_not_broad(q):
    assert not is_broad(q)


def test_topic():
    assert topic_of("Summarize what was agreed in Paris") == "what was agreed in Paris"
    assert topic_of("Give me an overview of the security guarantees.") == "the security guarantees"
    assert topic_of("What do we know about Rubio?") == "Rubio"
    assert topic_of("What was agreed in Paris?") == "What was agreed in Paris?"
    assert topic_of("Summarize") == "Summarize"


def test_select_spans_articles_and_skips_copies():
    m = np.eye(4)
    m[1] = m[0]  # a copy of the first
    rel = np.array([0.9, 0.9, 0.5, 0.4])
    picked = select(m, rel, ["a", "b", "a", "c"], DigestConfig(sentences=3, per_article=1))
    assert picked[0] in (0, 1) and not {0, 1} <= set(picked)
    assert len(picked) == 3


def test_select_example_from_docstring():
    assert select(np.eye(3), np.array([0.9, 0.8, 0.1]), ["a", "a", "b"], DigestConfig(2, 1)) == [0, 2]


def test_digest_text():
    import datetime as dt

    c = Citation("a", dt.date(2025, 9, 4), "One.", 0, 4, "digest")
    assert digest_text([c, c]) == "- One. [1]\n- One. [2]"


def test_config_checked():
    with pytest.raises(ValueError):
        DigestConfig(sentences=0)
