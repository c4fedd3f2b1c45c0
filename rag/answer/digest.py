"""Extractive digests for broad questions: a few central, non-redundant sentences, no LLM.

"Summarize what was agreed in Paris" or "What do we know about the security guarantees?"
asks for an overview, not one fact, so answering with the single best sentence (or refusing
because no sentence answers it) would fail the asker. ``is_broad`` recognises such requests by
their opening words; ``Digester`` then picks sentences from the retrieved ones:

1. relevance: each candidate's cosine to the topic (the request without its opening words);
   candidates far below the best (``RELEVANT_WITHIN``) are dropped;
2. centrality: its mean cosine to the other relevant candidates (what many sentences say is
   what the articles are about: the idea of LexRank, Erkan & Radev 2004, in one step);
3. maximal marginal relevance (Carbonell & Goldstein 1998): greedily the candidate with the best
   ``(relevance + centrality) / 2 - REDUNDANCY * max cosine to those already taken``, skipping
   near-copies (cosine >= ``NEAR_COPY``) and capping sentences per article, so the digest
   spans the articles;
4. order: by publication date, then position in the article, so it reads as a sequence.

Each item is a verbatim sentence cited with its offsets (role ``digest``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer.base import abstain, cite_chunk
from rag.retrieval.corpus import Corpus
from rag.types import Answer, Citation, Hit

# Opening words of a request for an overview rather than one fact (matched case-insensitively
# at the start of the question). The topic is what follows them. "What happened to him then?"
# asks one fact (someone's fate), not for an overview.
_BROAD = re.compile(
    r"^\s*(?:(?:can|could|would) you |please )?(?:"
    r"summari[sz]e|sum up|recap|brief me on|give (?:me )?(?:a |an )?(?:summary|overview|recap|rundown|digest)"
    r"(?: of| on)?|(?:a |an )?(?:summary|overview|recap|rundown|digest) of|what happened(?: at| in| on| with)?(?! to\b)"
    r"|what do we know about|what is known about|what's known about|tell me about|catch me up on"
    r"|what are the (?:key|main) points(?: of| about| on)?|what'?s the latest (?:on|about|in)"
    r"|what was (?:agreed|decided|announced)(?= )"
    r")\b[\s:,]*",
    re.I,
)
RELEVANT_WITHIN = 0.25  # cosine below the best candidate's: off the topic
NEAR_COPY = 0.85  # cosine between two sentences that say the same thing
REDUNDANCY = 0.5  # weight of similarity to sentences already taken


def is_broad(question: str) -> bool:
    """Does the question ask for an overview? ``is_broad("Summarize what was agreed in Paris")``
    -> True; ``is_broad("What did Trump rule out on Aug. 18?")`` -> False."""
    return _BROAD.match(question) is not None


def topic_of(question: str) -> str:
    """The request without its opening words (``"Summarize what was agreed in Paris"`` ->
    ``"what was agreed in Paris"``), or the question itself when that leaves nothing."""
    m = _BROAD.match(question)
    if m is None:
        return question
    rest = question[m.end() :].strip(" ?.!")
    keep = m.group(0).strip().lower()
    if keep.startswith(("what was agreed", "what was decided", "what was announced")):
        return question.strip()
    return rest or question.strip()


@dataclass(frozen=True)
class DigestConfig:
    sentences: int = 5
    per_article: int = 2

    def __post_init__(self) -> None:
        if self.sentences < 1 or self.per_article < 1:
            raise ValueError(
                f"sentences and per_article must be >= 1, got {self.sentences}, {self.per_article}"
            )


class Digester:
    """Picks a digest's sentences from retrieved chunks (see the module docstring)."""

    def __init__(
        self,
        corpus: Corpus,
        missing: Callable[[str], str | None] = lambda topic: None,
        config: DigestConfig | None = None,
    ) -> None:
        """``missing(topic)``: why no article can cover the topic (a name no article uses), or None."""
        self.corpus = corpus
        self.missing = missing
        self.config = config or DigestConfig()

    def digest(self, question: str, hits: list[Hit], topic_vector: np.ndarray | None) -> Answer:
        gone = self.missing(topic_of(question))
        if gone:
            return abstain(question, gone)
        chunks = {h.chunk.chunk_id: h.chunk for h in hits}
        if not chunks or topic_vector is None:
            return abstain(question, "No article matches the question.")
        vecs = self.corpus.vectors(list(chunks))
        ids = [c for c in chunks if c in vecs]
        if not ids:
            return abstain(question, "No article matches the question.")
        m = np.stack([vecs[c] for c in ids])
        rel = m @ topic_vector
        keep = rel >= rel.max() - RELEVANT_WITHIN
        ids = [c for c, k in zip(ids, keep, strict=True) if k]
        m, rel = m[keep], rel[keep]
        picked = select(m, rel, [chunks[c].article_id for c in ids], self.config)
        chosen = sorted((chunks[ids[i]] for i in picked), key=lambda c: (c.published, c.article_id, c.seq))
        citations = tuple(cite_chunk(c, "digest") for c in chosen)
        return Answer(
            question=question,
            answer=digest_text(citations),
            abstained=False,
            citations=citations,
            confidence=float(rel.max()),
        )


def select(m: np.ndarray, rel: np.ndarray, articles: list[str], cfg: DigestConfig) -> list[int]:
    """Indexes of the digest's sentences by maximal marginal relevance over unit vectors ``m``.

    ``select(np.eye(3), np.array([0.9, 0.8, 0.1]), ["a", "a", "b"], DigestConfig(2, 1))`` ->
    ``[0, 2]`` (one sentence per article).
    """
    n = len(rel)
    sim = m @ m.T
    cent = (sim.sum(axis=1) - 1.0) / max(n - 1, 1) if n > 1 else np.zeros(n)
    base = (rel + cent) / 2
    taken: list[int] = []
    per: dict[str, int] = {}
    capped = True  # while articles not yet quoted can still give a sentence
    while len(taken) < min(cfg.sentences, n):
        best, best_score = -1, -np.inf
        for i in range(n):
            if i in taken or (capped and per.get(articles[i], 0) >= cfg.per_article):
                continue
            red = max((sim[i, j] for j in taken), default=0.0)
            if red >= NEAR_COPY:
                continue
            score = base[i] - REDUNDANCY * red
            if score > best_score:
                best, best_score = i, score
        if best < 0:
            if not capped:
                break
            capped = False  # every article had its share: take more from any
            continue
        taken.append(best)
        per[articles[best]] = per.get(articles[best], 0) + 1
    return taken


def digest_text(citations: Sequence[Citation]) -> str:
    """A digest as lines "- quote [n]", in the citations' order."""
    return "\n".join(f"- {c.quote} [{i}]" for i, c in enumerate(citations, start=1))
