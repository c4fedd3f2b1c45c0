"""The LLM follow-up rewrite against a real local model (Gemma 3 270M via llama-cpp-python): the
tiny model's rewrite is used only when it passes the check, otherwise the rule rewrite is."""

from __future__ import annotations

import pytest

from rag.answer.followup import rule_rewrite
from rag.answer.generative import OpenAICompatibleLLM
from rag.answer.rewrite_llm import LLMRewriter, accept_llm_rewrite
from rag.types import Turn
from tests.integration.test_llm_real import llm_url  # noqa: F401  (the model server fixture)

pytestmark = pytest.mark.integration
AIR = "At that time, Trump said the U.S. could provide air support but ruled out deploying American ground forces."
HISTORY = [Turn("What did Trump rule out on Aug. 18?", AIR, (AIR,))]


@pytest.mark.parametrize("question", ["What did he offer instead?", "What about Italy?", "Why?"])
def test_real_llm_rewrite_is_checked_or_replaced_by_the_rules(llm_url, question):  # noqa: F811
    rewriter = LLMRewriter(OpenAICompatibleLLM(llm_url, "gemma", None, timeout=120))
    got = rewriter.rewrite(question, HISTORY)
    assert got == rule_rewrite(question, HISTORY) or accept_llm_rewrite(question, got) == got
    assert "Italy" in got if "Italy" in question else got.endswith("?")


def test_unreachable_llm_falls_back_to_the_rules():
    rewriter = LLMRewriter(OpenAICompatibleLLM("http://127.0.0.1:9/v1", "gemma", None, timeout=2))
    assert rewriter.rewrite("What did he offer instead?", HISTORY) == rule_rewrite(
        "What did he offer instead?", HISTORY
    )
