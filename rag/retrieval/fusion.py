"""Rank fusion: pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def rrf(
    rankings: Sequence[Sequence[Hashable]], k: int = 60, weights: Sequence[float] | None = None
) -> dict[Hashable, float]:
    """Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009).

    score(d) = Σ_i w_i / (k + rank_i(d)), ranks starting at 1.
    ``rrf([["a", "b"], ["b"]], k=60)`` -> ``{"a": 1/61, "b": 1/62 + 1/61}``.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if weights is not None and len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    out: dict[Hashable, float] = {}
    for i, ranking in enumerate(rankings):
        w = 1.0 if weights is None else weights[i]
        for rank, key in enumerate(ranking, start=1):
            out[key] = out.get(key, 0.0) + w / (k + rank)
    return out
