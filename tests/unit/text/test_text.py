import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.text import (
    chunk_spans,
    dates_mentioned,
    fold,
    months_mentioned,
    name_forms,
    sentence_spans,
    stem,
    tokenize,
)


def texts(spans, text):
    return [text[s:e] for s, e in spans]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("U.S. aid rose. It fell.", ["U.S. aid rose.", "It fell."]),
        (
            "Trump spoke on Sept. 4 with leaders. Macron said yes.",
            ["Trump spoke on Sept. 4 with leaders.", "Macron said yes."],
        ),
        ("Donald J. Trump spoke. Then he left!", ["Donald J. Trump spoke.", "Then he left!"]),
        (
            "He said “no reward for aggression.” Macron left.",
            ["He said “no reward for aggression.”", "Macron left."],
        ),
        ("Headline\n\nBody sentence one. Two.", ["Headline", "Body sentence one.", "Two."]),
        ("Line one\r\nLine two.", ["Line one", "Line two."]),
        ("", []),
        ("   ", []),
        ("one", ["one"]),
        ("The rate was 3.5 percent. Fine.", ["The rate was 3.5 percent.", "Fine."]),
    ],
)
def test_sentence_spans(text, expected):
    assert texts(sentence_spans(text), text) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([*"ab .!?\n\r“”’—–US", "Sept.", " Mr. ", "  ", "Word", "é"]), max_size=120).map(
        "".join
    )
)
def test_spans_round_trip_and_order(text):
    spans = sentence_spans(text)
    last = -1
    for s, e in spans:
        assert 0 <= s < e <= len(text)
        assert s >= last
        seg = text[s:e]
        assert seg == seg.strip() and seg
        last = e
    for s, e in chunk_spans(text, min_words=2, max_words=5):
        assert 0 <= s < e <= len(text)
        assert text[s:e].strip() == text[s:e]


def test_chunk_spans_merge_short_and_cut_long():
    text = "Briefly.\nTrump spoke by phone on Sept. 4 with leaders. " + " ".join(["word"] * 300) + "."
    spans = chunk_spans(text, min_words=3, max_words=120)
    chunks = texts(spans, text)
    assert chunks[0].startswith("Briefly.\nTrump spoke")
    assert all(len(c.split()) <= 120 for c in chunks)
    assert sum(text[s:e].count("word") for s, e in spans) == 300


def test_chunk_spans_validates():
    with pytest.raises(ValueError, match="min_words"):
        chunk_spans("x", min_words=0)


def test_tokenize_and_fold():
    assert tokenize("Trump's 25% tariffs on U.S. allies") == ["trump", "25", "tariff", "u.s", "alli"]
    assert tokenize("US troops") == tokenize("U.S. troops")
    assert tokenize("Aug. 18") == tokenize("August 18") == ["august", "18"]
    assert "not" in tokenize("would not send")
    assert fold("Élysée’s") == "elysee's"
    assert tokenize("Élysée") == tokenize("Elysee")
    assert stem("ruled") == stem("rule")


@settings(max_examples=300)
@given(st.text(alphabet="aZs'.,1 USthe", max_size=40), st.booleans())
def test_tokenize_memo_equals_the_per_word_rule(text, keep):
    """``tokenize`` remembers each raw word's token; the result is the rule applied word by word."""
    from rag.text.dates import MONTH_CANON
    from rag.text.tokens import _TOKEN, _US, STOPWORDS

    expected = []
    for raw in _TOKEN.findall(fold(_US.sub("U.S.", text)).replace("'s ", " ").replace("'s", "")):
        tok = raw.rstrip(".").replace(",", "") if raw[0].isdigit() else raw.rstrip(".")
        if keep or tok not in STOPWORDS:
            expected.append(MONTH_CANON.get(tok) or stem(tok))
    assert tokenize(text, keep_stopwords=keep) == expected
    assert tokenize(text, keep_stopwords=keep) == expected  # the second time from the memo


def test_dates_mentioned():
    assert dates_mentioned("on Aug. 18 and 20 May, Sept. 3, September 4, 2025-09-05") == {
        (8, 18),
        (5, 20),
        (9, 3),
        (9, 4),
        (9, 5),
    }
    assert dates_mentioned("on Feb. 30") == set()
    assert months_mentioned("in August") == {8}
    assert months_mentioned("it may rain") == set()


@given(st.text(alphabet="aZ.. é1U", max_size=12))
def test_word_before_matches_its_regex_definition(prefix):
    import re

    from rag.text.sentences import _word_before

    line = prefix + "."
    m = re.search(r"([A-Za-z][A-Za-z.]*)\.$", line)
    assert _word_before(line, len(line) - 1) == (m.group(1) if m else None)


def test_stemmer_loads_without_nltk_init_and_matches_nltk():
    """The light Porter import gives NLTK's stems and leaves no partial ``nltk`` behind."""
    import subprocess
    import sys

    words = "ruled countries dying lying news skies proceeding generously tariffs allies".split()
    code = (
        "import sys, json\n"
        "from rag.text import stem\n"
        f"ours = [stem(w) for w in {words!r}]\n"
        "left = sorted(m for m in sys.modules if m == 'nltk' or m.startswith('nltk.'))\n"
        "import nltk\n"
        "from nltk.stem.porter import PorterStemmer\n"
        f"ref = [PorterStemmer().stem(w, to_lowercase=False) for w in {words!r}]\n"
        "print(json.dumps([ours, ref, left, hasattr(nltk, 'word_tokenize')]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    import json

    ours, ref, left, whole = json.loads(out.stdout)
    assert ours == ref and ours[0] == "rule"
    assert left == []  # no placeholder package stays in sys.modules
    assert whole  # a later `import nltk` is the real package


@settings(max_examples=300)
@given(st.text(max_size=60))
def test_fold_equals_its_definition(text):
    """fold looks only at non-ASCII characters for combining marks; the result must equal
    the plain definition (NFKD, drop every combining character, lower-case, unify quotes)."""
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    assert fold(text) == plain.lower().replace("’", "'").replace("ʼ", "'").replace("‘", "'")


def test_stemmer_first_load_is_safe_from_many_threads_at_once():
    """Sixteen threads asking for the stemmer first, at once, all get the one loaded stemmer
    (the loader used to return another thread's half-initialised ``nltk.stem.porter``)."""
    import threading

    from rag.text import tokens

    for _ in range(10):  # the old loader failed about one round in two
        tokens._PORTER = None  # as in a fresh process
        barrier = threading.Barrier(16)
        got: list[object] = []
        errors: list[BaseException] = []

        def first_call(barrier=barrier, got=got, errors=errors) -> None:
            barrier.wait()
            try:
                got.append(tokens._porter())
            except BaseException as e:  # the test reports whatever breaks
                errors.append(e)

        threads = [threading.Thread(target=first_call) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not errors, errors
        assert len(got) == 16 and len({id(p) for p in got}) == 1
    assert tokens.stem("countries") == "countri"


@pytest.mark.parametrize(
    ("name", "vocabulary", "forms"),
    [
        ("Italy", ["Italian", "Italiano", "Italy"], {"Italian"}),
        ("Germany", ["German", "Germanic"], {"German"}),
        ("Russia", ["Russian", "Rush"], {"Russian"}),
        ("China", ["Chinese", "Chin"], {"Chinese", "Chin"}),
        ("Ukraine", ["Ukrainian"], {"Ukrainian"}),
        ("Iraq", ["Iraqi", "Iranian"], {"Iraqi"}),  # not Iran's adjective
        ("Austria", ["Austrian", "Australian"], {"Austrian"}),
        ("Japan", ["Japanese"], {"Japanese"}),
        ("Poland", ["Polish"], set()),  # irregular: the alias table's job, not this one's
        ("Rome", ["Roman", "Romania"], {"Roman"}),
    ],
)
def test_name_forms_are_the_adjectives_of_a_place_in_the_vocabulary(name, vocabulary, forms):
    (token,) = tokenize(name)
    vocab = [t for w in vocabulary for t in tokenize(w)]
    assert name_forms(token, vocab) == {t for w in forms for t in tokenize(w)}


def test_short_or_non_alphabetic_tokens_have_no_forms():
    assert name_forms("us", ["usa", "usan"]) == frozenset()
    assert name_forms("g7", ["g7an"]) == frozenset()
