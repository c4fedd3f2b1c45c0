"""The parts of a question a follow-up's phrase may replace (rag.answer.slots, pure)."""

from rag.answer.slots import pp_slots


def test_a_prepositional_phrase_runs_over_a_months_abbreviation():
    got = [s.text for s in pp_slots("What did Trump tell CBS News on Sept. 3 about the war?")]
    assert got == ["on Sept. 3", "about the war"]


def test_a_full_stop_still_ends_a_phrase():
    assert [s.text for s in pp_slots("They met in the old city. later they left")] == ["in the old city"]
