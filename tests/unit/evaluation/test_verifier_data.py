"""Training pairs for the verifier: labels, kinds and perturbations (pure, tiny data)."""

import random

from rag.evaluation.verifier_data import QA, TitleIndex, build_pairs, containing, perturbations, sentences

PARA = (
    "The Eiffel Tower was completed in 1889 for the World's Fair in Paris. "
    "It was designed by the engineer Gustave Eiffel and his company. "
    "The tower is 330 metres tall and was the tallest structure until 1930."
)
OTHER = "The Louvre opened in 1793 as a public museum. It holds the Mona Lisa by Leonardo da Vinci."


def qa(question, answers, answerable=True, plausible=()):
    return QA("Paris", PARA, question, answerable, tuple(answers), tuple(plausible))


def test_containing_is_case_and_space_insensitive():
    s = sentences(PARA)
    assert containing(s, ["gustave  EIFFEL"]) == [1]


def test_pairs_have_a_gold_positive_and_negatives():
    pairs = build_pairs([qa("Who designed the Eiffel Tower?", ["Gustave Eiffel"])], seed=1)
    gold = [p for p in pairs if p.kind == "gold"]
    assert len(gold) == 1 and gold[0].label == 1 and "Gustave Eiffel" in gold[0].sentence
    assert gold[0].previous.startswith("The Eiffel Tower was completed")
    assert all(
        p.label == 0 for p in pairs if p.kind in ("para", "title", "negation", "swap_name", "swap_word")
    )
    assert any(p.kind == "para" for p in pairs)


def test_unanswerable_questions_give_their_plausible_sentence_as_negative():
    pairs = build_pairs([qa("Who painted the Eiffel Tower?", [], False, ["Gustave Eiffel"])], seed=1)
    plaus = [p for p in pairs if p.kind == "plausible"]
    assert len(plaus) == 1 and plaus[0].label == 0 and "designed" in plaus[0].sentence


def test_perturbations_change_the_question_and_not_what_the_sentence_supports():
    idx = TitleIndex([PARA, OTHER])
    s = sentences(PARA)
    rng = random.Random(3)
    q = "When was the Eiffel Tower completed for the World's Fair?"
    seen = {}
    for _ in range(30):
        for kind, q2, s2, _p2 in perturbations(q, s[0], "", idx, rng):
            assert q2 != q
            seen[kind] = (q2, s2)
    assert "negation" in seen and " not " in seen["negation"][0] and seen["negation"][1] is None
    if "swap_number" in seen:
        q2, s2 = seen["swap_number"]
        assert "1889" not in q2 and s2 is not None and "1889" not in s2
    if "swap_name" in seen:
        q2, s2 = seen["swap_name"]
        new = set(q2.split()) - set(q.split())
        assert s2 is None or all(w in s2 for w in new)


def test_deterministic_for_a_seed():
    qs = [
        qa("Who designed the Eiffel Tower?", ["Gustave Eiffel"]),
        qa("How tall is the tower?", ["330 metres"]),
    ]
    assert build_pairs(qs, seed=5) == build_pairs(qs, seed=5)
