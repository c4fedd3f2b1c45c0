import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from rag.answer.verify import CitationVerifier, verify_citation
from rag.types import Answer, Article, Citation

ART = Article("a1", dt.date(2025, 9, 4), "Trump spoke. Macron said “no reward for aggression.”")
D = dt.date(2025, 9, 4)


def cite(quote, start, end, role="answer", aid="a1"):
    return Citation(aid, D, quote, start, end, role)


def test_verify_citation():
    assert verify_citation(ART, "Trump spoke.", 0, 12)
    assert not verify_citation(ART, "Trump spoke", 0, 12)
    assert not verify_citation(ART, "Trump spoke.", 1, 13)
    assert not verify_citation(None, "Trump spoke.", 0, 12)
    assert not verify_citation(ART, "", 0, 0)
    assert not verify_citation(ART, "x", -1, 0)
    # curly vs straight quotes are different characters: not verbatim
    s = ART.text.index("“")
    assert not verify_citation(ART, '"no reward', s, s + 10)


def test_verifier_drops_bad_and_abstains_when_no_answer_left():
    v = CitationVerifier({"a1": ART}.get)
    good = Answer(
        "q", "Trump spoke. [1]", False, (cite("Trump spoke.", 0, 12), cite("made up", 0, 7, "context"))
    )
    out = v.verify(good)
    assert [c.quote for c in out.citations] == ["Trump spoke."]
    assert out.unverified == ("made up",)
    bad = Answer("q", "x", False, (cite("Trump spoke!", 0, 12),))
    out = v.verify(bad)
    assert out.abstained and out.citations == () and out.unverified == ("Trump spoke!",)
    unknown = Answer("q", "x", False, (cite("Trump spoke.", 0, 12, aid="nope"),))
    assert v.verify(unknown).abstained
    assert v.verify(good.__class__("q", "The articles don't say.", True)).abstained


@given(st.integers(0, len(ART.text)), st.integers(0, len(ART.text)), st.text(max_size=20))
def test_verified_means_substring_at_offsets(start, end, quote):
    if verify_citation(ART, quote, start, end):
        assert ART.text[start:end] == quote and quote
    if start < end:
        assert verify_citation(ART, ART.text[start:end], start, end) == bool(ART.text[start:end].strip())
