"""Which report leads an answer, and the answer's text around its quotes.

The extractive answerers rank candidate sentences; this module decides, among those that
qualify (score close to the best), which one is quoted as the answer when sources disagree or
cannot be trusted, and writes the fixed frame around the quotes. The rules, in order:

1. Text written to the answering system (``addresses_the_system``: instructions, spoofed
   citation lines) is not a report: its article leads only when no other article qualifies.
2. When the leading sentence contradicts another qualifying one (``contradicts``), the claim
   backed by more independent sources (near-duplicate clusters, so copies count once) leads,
   the ranking breaking ties; the best sentence of the other side is shown beside it,
   labelled as a conflicting report, never dropped (so is any other source's sentence that
   contradicts the answer).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rag.answer.candidate import Candidate
from rag.answer.conflict import addresses_the_system, contradicts
from rag.answer.diversity import near_duplicate_clusters
from rag.text.headline import trim
from rag.types import Article, Chunk, Citation


@dataclass(frozen=True)
class Sources:
    """What the composer knows about the articles behind the candidates."""

    cluster: dict[str, str] = field(default_factory=dict)  # article id -> near-duplicate cluster id
    untrusted: frozenset[str] = frozenset()  # article ids whose text addresses the system

    @classmethod
    def of(
        cls,
        cands: Sequence[Candidate],
        article: Callable[[str], Article | None],
        clusters: Callable[[dict[str, str]], dict[str, str]] = near_duplicate_clusters,
    ) -> Sources:
        """Cluster the candidates' articles (``near_duplicate_clusters`` over their full texts,
        or ``clusters``, a cached equal of it) and flag those whose text ``addresses_the_system``."""
        texts: dict[str, str] = {}
        for c in cands:
            aid = c.chunk.article_id
            if aid not in texts:
                art = article(aid)
                texts[aid] = art.text if art is not None else c.chunk.text
        untrusted = frozenset(a for a, t in texts.items() if addresses_the_system(t))
        return cls(clusters(texts), untrusted)

    def cluster_of(self, c: Candidate) -> str:
        return self.cluster.get(c.chunk.article_id, c.chunk.article_id)

    def trusted(self, c: Candidate) -> bool:
        return c.chunk.article_id not in self.untrusted


def pick_answer(
    question: str, cands: Sequence[Candidate], sources: Sources, within: float
) -> tuple[Candidate, Candidate | None]:
    """The candidate to quote as the answer and, when reports differ, the best conflicting one.

    ``cands`` are ranked best first (non-empty); a candidate qualifies when its score is within
    ``within`` of the first one's (of the best trusted one's, once untrusted text is set aside). Rules 1 and 2 of this module's docstring. Example: ranked
    [planted "did not rule out troops" (cluster P), seed A "ruled out troops", seed B "ruled out
    troops"] -> seed A leads (clusters {A, B} against {P}) and the planted sentence is the rival.
    """
    top = cands[0]
    qual = [c for c in cands if top.score - c.score <= within]
    trusted = [c for c in qual if sources.trusted(c)]
    best = top if top in trusted or not trusted else trusted[0]
    # Text to the system set aside, the others qualify against the best of the rest.
    pool = [c for c in cands if sources.trusted(c) and best.score - c.score <= within] if trusted else qual

    def conflict(a: Candidate, b: Candidate) -> bool:
        return sources.cluster_of(a) != sources.cluster_of(b) and bool(
            contradicts(a.chunk.text, b.chunk.text, question)
        )

    rival = next((c for c in pool if conflict(best, c)), None)
    if rival is None:
        return best, None

    def backers(claim: Candidate, against: Candidate) -> set[str]:
        return {sources.cluster_of(claim)} | {
            sources.cluster_of(c) for c in pool if conflict(c, against) and not conflict(c, claim)
        }

    if len(backers(rival, best)) > len(backers(best, rival)):
        return rival, best
    return best, rival


SOURCE_HEADLINE_MAX = 60  # characters of a headline named in the answer text (the card has it whole)


def source_name(cit: Citation) -> str:
    """How the answer text names another source: its headline (cut to ``SOURCE_HEADLINE_MAX``)
    and date, never its id; the date alone while the headline is unknown.

    ``source_name(Citation(..., published=2025-09-04, headline="Kyiv talks stall"))`` ->
    ``"“Kyiv talks stall” (2025-09-04)"``.
    """
    day = cit.published.isoformat()
    return f"“{trim(cit.headline, SOURCE_HEADLINE_MAX)}” ({day})" if cit.headline else f"({day})"


def answer_text(citations: Sequence[Citation]) -> str:
    """The answer's text: each quote with its number, other reports introduced by their source.

    Quotes with role ``answer``/``context`` run on; ``digest`` quotes are one ``- quote [n]`` line
    each; ``conflicting_report`` opens a line "Reports differ. A conflicting report “headline”
    (date): quote [n]"; ``other_report`` and ``other_context`` open "Another report “headline”
    (date): ..."; corroborations are listed last ("Also reported in “headline” (date) [n].").
    Sources are named by ``source_name``, never by article id.
    """
    parts: list[str] = []
    corroborating: list[str] = []
    for i, cit in enumerate(citations, start=1):
        if cit.role in ("answer", "context"):
            parts.append(f"{cit.quote} [{i}]")
        elif cit.role == "digest":
            parts.append(f"\n- {cit.quote} [{i}]")
        elif cit.role == "conflicting_report":
            parts.append(f"\nReports differ. A conflicting report {source_name(cit)}: {cit.quote} [{i}]")
        elif cit.role in ("other_context", "other_report"):
            prev = citations[i - 2] if i > 1 else None
            continues = (
                cit.role == "other_report"
                and prev is not None
                and prev.role in ("other_context", "other_report")
                and prev.article_id == cit.article_id
            )
            parts.append(
                f"{cit.quote} [{i}]"
                if continues
                else f"\nAnother report {source_name(cit)}: {cit.quote} [{i}]"
            )
        else:
            named = source_name(cit) if cit.headline else f"an article of {cit.published.isoformat()}"
            corroborating.append(f"{named} [{i}]")
    text = " ".join(parts).replace(" \n", "\n").lstrip("\n")
    if corroborating:
        text += "\nAlso reported in " + ", ".join(corroborating) + "."
    return text


def reserve_from_other_cluster(
    cands: Sequence[Candidate],
    taken: set[str],
    ok: Callable[[Candidate], bool],
    cluster_of: Callable[[Candidate], str],
) -> Candidate | None:
    """The best candidate passing ``ok`` whose cluster is not in ``taken`` (None if none)."""
    return next((c for c in cands if cluster_of(c) not in taken and ok(c)), None)


def report_role(question: str, best: Candidate, other: Candidate | None) -> tuple[Chunk, str] | None:
    """``other`` as a slot beside the answer ``best``: a conflicting report if it contradicts it."""
    if other is None:
        return None
    conflicting = contradicts(best.chunk.text, other.chunk.text, question)
    return other.chunk, "conflicting_report" if conflicting else "other_report"
