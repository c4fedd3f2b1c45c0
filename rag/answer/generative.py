"""Generative answers through any OpenAI-compatible LLM, with quotes the model cannot fabricate.

The model sees numbered evidence sentences (``[S1]`` ...) and cites them by id; the system,
not the model, inserts each cited sentence's verbatim text and offsets. Anything the model
puts in quotation marks is checked against the articles it cited: an exact match stays, a
match that differs only in quote marks, apostrophes or dashes is replaced by the article's
own characters, anything else is removed and listed in ``unverified``. Sentences with no
valid citation are marked unsupported; if none is supported, or the LLM fails in any way,
the extractive answer is returned with ``llm_error`` saying why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from rag.answer.base import ABSTAIN_TEXT, cite_chunk
from rag.answer.compose import reserve_from_other_cluster, source_name
from rag.answer.diversity import cap_per_cluster
from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.prompts import PromptTemplate
from rag.answer.question import analyse_question
from rag.errors import ConfigError
from rag.retrieval.corpus import Corpus
from rag.text import sentence_spans, tokenize
from rag.types import Answer, Article, Chunk, Citation, Hit

NOT_IN_ARTICLES = "NOT IN ARTICLES"
UNSUPPORTED = "[unsupported]"
REMOVED = "[unverified quote removed]"
_IDS = re.compile(r"[\[(]\s*S\s*(\d+)(?:\s*[,;]\s*S?\s*(\d+))*\s*[\])]", re.I)
_ID_NUM = re.compile(r"S?\s*(\d+)", re.I)
_QUOTE = re.compile(r"“([^”]{2,}?)”|\"([^\"]{2,}?)\"|«([^»]{2,}?)»|‘([^’]{3,}?\s[^’]*?)’")
_NORM = str.maketrans(
    {"’": "'", "‘": "'", "ʼ": "'", "“": '"', "”": '"', "«": '"', "»": '"', "–": "-", "—": "-", "\u00a0": " "}
)


class LLM(Protocol):
    name: str

    def complete(self, system: str, user: str) -> str: ...


class OpenAICompatibleLLM:
    """An OpenAI-compatible chat endpoint through llama-index's ``OpenAILike`` (chat mode)."""

    def __init__(
        self, base_url: str, model: str, api_key: str | None, timeout: float, max_tokens: int = 300
    ) -> None:
        if not base_url or not model:
            raise ConfigError("set both RAG_LLM_BASE_URL and RAG_LLM_MODEL to use an LLM")
        self.name = model
        self._kwargs: dict[str, Any] = {
            "model": model,
            "api_base": base_url,
            "api_key": api_key or "unused",
            "is_chat_model": True,
            "timeout": timeout,
            "max_retries": 0,
            "temperature": 0.0,
            "max_tokens": max_tokens,
            "context_window": 8192,
            # a base model tends to echo the prompt's structure; cut it there
            "additional_kwargs": {"stop": ["\nQuestion:", "\nEvidence:", "[/INST]", "\n\n\n"]},
        }
        self._llm: Any = None

    def complete(self, system: str, user: str) -> str:
        from llama_index.core.llms import ChatMessage

        if self._llm is None:
            from llama_index.llms.openai_like import OpenAILike

            self._llm = OpenAILike(**self._kwargs)
        resp = self._llm.chat(
            [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]
        )
        content = resp.message.content
        if not isinstance(content, str) or not content.strip():
            raise ValueError("the model returned an empty answer")
        return content


@dataclass(frozen=True)
class ModelSentence:
    text: str  # without the [S#] markers
    ids: tuple[int, ...]


def parse_model_answer(raw: str) -> list[ModelSentence]:
    """Split model output into sentences and the evidence ids each one cites.

    ``parse_model_answer("Trump ruled it out [S2][S3]. Fine.")``
    -> ``[ModelSentence("Trump ruled it out.", (2, 3)), ModelSentence("Fine.", ())]``
    """
    out: list[ModelSentence] = []
    for s, e in sentence_spans(raw.strip()):
        seg = raw.strip()[s:e]
        ids: list[int] = []
        for m in _IDS.finditer(seg):
            ids.extend(int(n) for n in _ID_NUM.findall(m.group(0)))
        text = _IDS.sub("", seg)
        text = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()
        if text or ids:
            if out and not text:  # a dangling "[S3]." after the sentence it belongs to
                out[-1] = ModelSentence(out[-1].text, out[-1].ids + tuple(ids))
            else:
                out.append(ModelSentence(text, tuple(dict.fromkeys(ids))))
    return out


def check_quotes(text: str, sources: list[Article]) -> tuple[str, list[str]]:
    """Keep quoted passages only if they are verbatim in one of ``sources``.

    Returns the text (near-misses that differ only in quote marks, apostrophes or dashes are
    replaced by the article's exact characters; others by ``[unverified quote removed]``) and
    the list of quotes that could not be verified.
    """
    bad: list[str] = []

    def fix(m: re.Match[str]) -> str:
        inner = next(g for g in m.groups() if g is not None)
        core = inner.strip().rstrip(",.;:")
        if not core:
            return m.group(0)
        for art in sources:
            if core in art.text:
                return m.group(0)
        want = core.translate(_NORM)
        for art in sources:
            i = art.text.translate(_NORM).find(want)
            if i != -1:
                return "“" + art.text[i : i + len(core)] + "”"
        bad.append(core)
        return REMOVED

    return _QUOTE.sub(fix, text), bad


MIN_SUPPORT = 0.5


def support(sentence: str, cited: list[str]) -> float:
    """Share of a sentence's content words found in the cited evidence (0..1).

    ``support("Trump ruled out ground troops", ["Trump ruled out deploying U.S. ground troops."])`` -> 1.0
    """
    words = set(tokenize(sentence))
    if not words:
        return 0.0
    have = {t for c in cited for t in tokenize(c)}
    return len(words & have) / len(words)


def assemble_generative(
    question: str, raw: str, evidence: list[Chunk], articles: dict[str, Article]
) -> Answer | None:
    """Turn raw model output into a verified Answer, or None when nothing in it is supported."""
    if NOT_IN_ARTICLES in raw.upper().replace("’", "'") or raw.strip().lower().startswith(
        "the articles don't say"
    ):
        return Answer(question, ABSTAIN_TEXT, True, mode="generative")
    # Quotes are checked on the whole output first, so a quote spanning a sentence break is
    # caught too; they must be verbatim in an article the answer cites.
    cited = {i for sent in parse_model_answer(raw) for i in sent.ids if 1 <= i <= len(evidence)}
    sources = [
        articles[a] for a in dict.fromkeys(evidence[i - 1].article_id for i in sorted(cited)) if a in articles
    ]
    checked, unverified = check_quotes(raw, sources)
    numbers: dict[int, int] = {}  # evidence id -> citation number
    citations: list[Citation] = []
    parts: list[str] = []
    supported = 0
    seen: set[str] = set()
    for sent in parse_model_answer(checked):
        valid = [i for i in sent.ids if 1 <= i <= len(evidence)]
        text = sent.text
        if not text.strip(" .[]") or text.strip(" .") == REMOVED or text in seen:
            continue
        seen.add(text)
        # A citation must plausibly support its sentence: most of the sentence's words must
        # appear in the cited evidence, or the sentence is treated as uncited.
        if valid and support(text.replace(REMOVED, ""), [evidence[i - 1].text for i in valid]) < MIN_SUPPORT:
            valid = []
        if not valid:
            parts.append(f"{text} {UNSUPPORTED}")
            continue
        supported += 1
        marks = []
        for i in valid:
            if i not in numbers:
                numbers[i] = len(citations) + 1
                citations.append(cite_chunk(evidence[i - 1], "answer"))
            marks.append(f"[{numbers[i]}]")
        parts.append(f"{text} {''.join(marks)}")
    if not supported:
        return None
    return Answer(
        question, " ".join(parts), False, tuple(citations), mode="generative", unverified=tuple(unverified)
    )


class GenerativeAnswerer:
    """LLM answers over numbered evidence, falling back to the extractive answerer."""

    mode = "generative"

    def __init__(
        self,
        llm: LLM,
        extractive: ExtractiveAnswerer,
        corpus: Corpus,
        prompt: PromptTemplate,
        evidence: int = 8,
    ) -> None:
        if evidence < 1:
            raise ConfigError(f"evidence must be >= 1, got {evidence}")
        self.llm = llm
        self.extractive = extractive
        self.corpus = corpus
        self.prompt = prompt
        self.n_evidence = evidence

    def describe(self) -> dict[str, object]:
        """The fingerprint: the extractive answerer it falls back on, this mode, the model."""
        return {
            **self.extractive.describe(),
            "mode": self.mode,
            "llm": self.llm.name,
            "evidence": self.n_evidence,
        }

    def evidence(self, question: str, hits: list[Hit], qvec: np.ndarray | None) -> list[Chunk]:
        """The best candidate sentences. Text addressed to the system (instructions, spoofed
        citations) reaches the model only when nothing else does, and one near-duplicate
        cluster never fills every evidence slot when another source has a candidate."""
        ranked = self.extractive.rank(analyse_question(question), hits, qvec)
        src = self.extractive.sources(ranked)
        ranked = [c for c in ranked if src.trusted(c)] or ranked
        picked = ranked[: self.n_evidence]
        taken = {src.cluster_of(c) for c in picked}
        reserve = reserve_from_other_cluster(ranked, taken, lambda c: True, src.cluster_of)
        return [c.chunk for c in cap_per_cluster(picked, src.cluster_of, reserve)]

    def answer(self, question: str, hits: list[Hit], query_vector: np.ndarray | None = None) -> Answer:
        fallback = self.extractive.answer(question, hits, query_vector)
        if fallback.abstained:
            # The model may phrase, never overrule: when the evidence is not good enough for a
            # quote, it is not good enough for a paraphrase either (and no LLM call is spent).
            return replace(fallback, mode="generative")
        evidence = self.evidence(question, hits, query_vector)
        if not evidence:
            return fallback
        block = "\n".join(
            f"[S{i}] ({c.article_id}, {c.published.isoformat()}) {c.text.replace(chr(10), ' ')}"
            for i, c in enumerate(evidence, 1)
        )
        system, user = self.prompt.render(question=question, evidence=block)
        try:
            raw = self.llm.complete(system, user)
        except Exception as e:  # unreachable, timeout, HTTP error, garbage: never a 500
            return replace(fallback, llm_error=f"{type(e).__name__}: {str(e)[:200]}")
        articles = {c.article_id: a for c in evidence if (a := self.corpus.article(c.article_id)) is not None}
        result = assemble_generative(question, raw, evidence, articles)
        if result is None:
            _, bad = check_quotes(raw, list(articles.values()))
            return replace(
                fallback,
                llm_error="no sentence of the model's answer was supported by the evidence it cited; extractive answer shown",
                unverified=tuple(bad),
            )
        return with_conflicts(replace(result, confidence=fallback.confidence), fallback)


def with_conflicts(result: Answer, extractive: Answer) -> Answer:
    """The model's answer with the conflicting reports the extractive answer found: a quote the
    model cites is relabelled ``conflicting_report`` (and the extractive answer's quote is added
    beside it); one it left out is added after a "Reports differ." line, so a contradiction is
    never shown as the answer alone."""
    conflicts = [c for c in extractive.citations if c.role == "conflicting_report"]
    if not conflicts:
        return result
    key = {(c.article_id, c.start, c.end) for c in conflicts}
    cites = [
        replace(c, role="conflicting_report") if (c.article_id, c.start, c.end) in key else c
        for c in result.citations
    ]
    have = {(c.article_id, c.start, c.end) for c in cites}
    text = result.answer
    lead = next((c for c in extractive.citations if c.role == "answer"), None)
    if key & have and (lead is None or (lead.article_id, lead.start, lead.end) in have):
        # the model quoted both sides: say so, naming the conflicting ones
        marks = ", ".join(f"[{i}]" for i, c in enumerate(cites, 1) if c.role == "conflicting_report")
        text += f"\nReports differ. {marks} conflicts with the other reports."
        return replace(result, answer=text, citations=tuple(cites))
    if key & have and lead is not None:
        # the model leaned on the conflicting report: show the one more sources back beside it
        cites.append(lead)
        text += (
            f"\nReports differ. The report more sources back {source_name(lead)}: {lead.quote} [{len(cites)}]"
        )
        return replace(result, answer=text, citations=tuple(cites))
    for c in conflicts:
        if (c.article_id, c.start, c.end) not in have:
            cites.append(c)
            text += f"\nReports differ. A conflicting report {source_name(c)}: {c.quote} [{len(cites)}]"
    return replace(result, answer=text, citations=tuple(cites))
