"""Pure text functions: sentence spans and chunks, BM25 tokens, dates named in text."""

from rag.text.dates import MONTH_RE, dates_mentioned, months_mentioned
from rag.text.sentences import CHUNKER, MAX_WORDS, MIN_WORDS, chunk_article, chunk_spans, sentence_spans
from rag.text.tokens import STOPWORDS, fold, form_base, name_forms, stem, tokenize

__all__ = [
    "CHUNKER",
    "MAX_WORDS",
    "MIN_WORDS",
    "MONTH_RE",
    "STOPWORDS",
    "chunk_article",
    "chunk_spans",
    "dates_mentioned",
    "fold",
    "form_base",
    "months_mentioned",
    "name_forms",
    "sentence_spans",
    "stem",
    "tokenize",
]
