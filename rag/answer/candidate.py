"""A candidate sentence for an answer and the signals it was scored on, and the weights the
extractive answerer scores with (shared by the answerers)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rag.types import Chunk, Hit


@dataclass
class Candidate:
    hit: Hit
    vector: np.ndarray | None = None
    toks: frozenset[str] = frozenset()
    dense: float = 0.0
    lex: float = 0.0
    lex_ctx: float = 0.0
    fit: float = 0.0
    penalty: float = 0.0
    score: float = 0.0  # the hand-weighted score (the rule's order; a signal of the fitted model)
    rank: int = -1  # position in the retrieved list; -1 for a neighbour added here
    feats: dict[str, float] = field(default_factory=dict)
    prob: float = 0.0  # the fitted ranker's P(this sentence holds the answer) (after rerank: its P)
    ver: float | None = None  # the answer verifier's P(this sentence answers), if it was asked

    @property
    def chunk(self) -> Chunk:
        return self.hit.chunk


@dataclass(frozen=True)
class AnswererConfig:
    """Weights and thresholds of the extractive answerer (tuned on eval/questions.jsonl)."""

    candidates: int = 12
    w_dense: float = 0.5
    w_lex: float = 0.5
    w_ctx: float = 0.35
    date_bonus: float = 0.15
    fit_bonus: float = 0.08
    fit_penalty: float = 0.3
    entity_penalty: float = 0.4
    entity_cap: float = 0.35
    lex_known_only: bool = True
    unknown_weight: float = 0.5  # weight of question words no article uses (paraphrase vs. near miss)
    abstain_below: float = 0.48
    second_within: float = 0.03
    window_gain: float = 0.15
    same_topic: float = 0.6
    same_fact: float = 0.8
    other_within: float = 0.25
    other_articles: int = 2

    def __post_init__(self) -> None:
        if self.candidates < 1:
            raise ValueError(f"candidates must be >= 1, got {self.candidates}")
        if not 0.0 <= self.abstain_below <= 2.0:
            raise ValueError(f"abstain_below must be in [0, 2], got {self.abstain_below}")
