"""A candidate sentence for an answer and the signals it was scored on (shared by the answerers)."""

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
