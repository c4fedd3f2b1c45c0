"""What every answerer shares: the abstention text, and citing a chunk verbatim."""

from __future__ import annotations

from rag.types import Answer, Chunk, Citation

ABSTAIN_TEXT = "The articles don't say."


def cite_chunk(chunk: Chunk, role: str) -> Citation:
    """A citation of a chunk's verbatim text (a merged headline is trimmed off the quote)."""
    start, end, text = chunk.start, chunk.end, chunk.text
    # A headline merged into its chunk is context for retrieval, not part of the quote.
    cut = text.rfind("\n")
    if cut != -1 and text[cut + 1 :].strip():
        lead = len(text[cut + 1 :]) - len(text[cut + 1 :].lstrip())
        start = chunk.start + cut + 1 + lead
        text = text[cut + 1 + lead :]
    return Citation(chunk.article_id, chunk.published, text, start, end, role)


def abstain(question: str, reason: str | None, confidence: float = 0.0) -> Answer:
    text = ABSTAIN_TEXT if not reason else f"{ABSTAIN_TEXT} {reason}"
    return Answer(question=question, answer=text, abstained=True, confidence=confidence)
