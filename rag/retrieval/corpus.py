"""An in-process view of what the store has committed: article texts, their chunks, and BM25.

The store is the source of truth; this view is refreshed when the store's generation
marker changes (after an ingest in this or another process), at most every
``refresh_seconds``. Chunks are re-derived from the committed article texts (the same
``chunk_article`` the writer used, ~50 µs an article), so readers only ever see chunks of
committed articles: the rows of a crashed, half-written ingest are never looked up.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path

import numpy as np

from rag.protocols import ArticleStore
from rag.retrieval.bm25 import BM25Index
from rag.text import chunk_article, sentence_spans, tokenize
from rag.types import Article, ArticleInfo, Chunk, DateRange

log = logging.getLogger(__name__)


class Corpus:
    """Committed chunks by id, a BM25 index over them, and a cache of article texts."""

    def __init__(
        self, store: ArticleStore, cache_dir: Path | None = None, refresh_seconds: float = 2.0
    ) -> None:
        self.store = store
        self.cache_dir = cache_dir
        self.refresh_seconds = refresh_seconds
        self.generation: str | None = None
        self.articles: dict[str, ArticleInfo] = {}
        self.chunks: dict[str, Chunk] = {}
        self.bm25 = BM25Index()
        self.by_article: dict[str, list[Chunk]] = {}
        self.vocab: list[str] = []
        self._published = np.zeros(0, dtype=np.int64)
        self._texts: dict[str, Article] = {}  # every committed article, loaded by _reload
        self._sentences: dict[str, list[tuple[int, int]]] = {}
        self._checked = 0.0
        self._tokens: dict[str, frozenset[str]] = {}
        self._vectors: dict[str, np.ndarray] = {}
        self._article_tokens: dict[str, frozenset[str]] = {}
        self._corrections: dict[str, str | None] = {}
        self._vocab_by_letter: dict[str, list[str]] = {}
        self._lock = threading.RLock()

    # ----------------------------------------------------------------- sync
    def sync(self, force: bool = False) -> bool:
        """Reload if the store changed; returns True when a reload happened.

        While one thread reloads, the others keep answering from the current view; a failed
        reload keeps the current view too (and is retried at the next check). The store is
        reopened first (``ArticleStore.refresh``), so its vectors cover everything the new view
        holds: a view never names a chunk its store cannot find.
        """
        now = time.monotonic()
        if not force and self.generation is not None and now - self._checked < self.refresh_seconds:
            return False
        if not self._lock.acquire(blocking=force or self.generation is None):
            return False  # another thread is reloading: serve the current view meanwhile
        try:
            gen = self.store.generation()
            self._checked = time.monotonic()
            if gen == self.generation and not force:
                return False
            if self.generation is not None:
                self.store.refresh()
            self._reload(gen)
            return True
        except Exception:
            if self.generation is None or force:
                raise
            log.exception("corpus: reload failed; still answering from generation %s", self.generation)
            return False
        finally:
            self._lock.release()

    def _reload(self, gen: str) -> None:
        t0 = time.perf_counter()
        infos: dict[str, ArticleInfo] = {}
        texts: dict[str, Article] = {}
        chunks: dict[str, Chunk] = {}
        for info, art in self.store.iter_articles():
            if art.digest != info.digest:  # not what its writer committed: leave it out
                log.warning("article %s: text does not match its digest; re-ingest it", info.article_id)
                continue
            infos[info.article_id] = info
            texts[info.article_id] = art
            chunks.update((c.chunk_id, c) for c in chunk_article(art))
        infos = dict(sorted(infos.items(), key=lambda kv: (kv[1].published, kv[0])))
        ordered = sorted(chunks.values(), key=lambda c: (c.article_id, c.seq))
        ids = [c.chunk_id for c in ordered]
        index = BM25Index.load(self.cache_dir, gen) if self.cache_dir else None
        if index is None or index.ids != ids:
            index = BM25Index.build(ids, [tokenize(c.text) for c in ordered])
            if self.cache_dir:
                try:
                    index.save(self.cache_dir, gen)
                except OSError as e:  # a read-only cache is not fatal
                    log.warning("could not save BM25 index to %s: %s", self.cache_dir, e)
        by_article: dict[str, list[Chunk]] = {}
        for c in ordered:
            by_article.setdefault(c.article_id, []).append(c)
        vocab = sorted(index.postings)
        published = np.array([_int_date(c.published) for c in ordered], dtype=np.int64)
        # one statement, so a question never meets a BM25 index beside dates of another view
        self.articles, self.chunks, self.bm25, self.by_article, self.vocab, self._published, self._texts = (
            infos,
            chunks,
            index,
            by_article,
            vocab,
            published,
            texts,
        )
        self._sentences = {}
        self._tokens = {}
        self._article_tokens = {}
        self._corrections = {}
        self._vocab_by_letter = {}
        self._vectors = {k: v for k, v in self._vectors.items() if k in chunks}
        self.generation = gen
        log.info(
            "corpus: %d articles, %d chunks (%.0f ms)",
            len(infos),
            len(chunks),
            (time.perf_counter() - t0) * 1e3,
        )

    # ----------------------------------------------------------------- reads
    def is_committed(self, chunk: Chunk) -> bool:
        info = self.articles.get(chunk.article_id)
        return info is not None and info.digest == chunk.article_digest

    def article(self, article_id: str) -> Article | None:
        """The committed text of an article (held in memory since the last reload)."""
        return self._texts.get(article_id)

    def sentences(self, article_id: str) -> list[tuple[int, int]]:
        spans = self._sentences.get(article_id)
        if spans is None:
            art = self.article(article_id)
            spans = sentence_spans(art.text) if art else []
            self._sentences[article_id] = spans
        return spans

    def vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """Stored vectors of chunks, through a bounded in-process cache (one store call for misses)."""
        missing = [c for c in chunk_ids if c not in self._vectors]
        if missing:
            if len(self._vectors) > 50_000:
                self._vectors.clear()
            self._vectors.update(self.store.embeddings_for(missing))
        return {c: self._vectors[c] for c in chunk_ids if c in self._vectors}

    def tokens(self, chunk: Chunk) -> frozenset[str]:
        """BM25 tokens of a chunk, cached (the answerer asks for the same chunks often)."""
        toks = self._tokens.get(chunk.chunk_id)
        if toks is None:
            if len(self._tokens) > 100_000:
                self._tokens.clear()
            toks = self._tokens[chunk.chunk_id] = frozenset(tokenize(chunk.text))
        return toks

    def article_tokens(self, article_id: str) -> frozenset[str]:
        toks = self._article_tokens.get(article_id)
        if toks is None:
            if len(self._article_tokens) > 10_000:
                self._article_tokens.clear()
            # the union of its chunks' tokens, in one pass: chunks are substrings of the text
            # and no token spans a space, so joining them with spaces changes no token
            toks = frozenset(tokenize(" ".join(c.text for c in self.by_article.get(article_id, []))))
            self._article_tokens[article_id] = toks
        return toks

    def neighbour(self, chunk: Chunk, step: int) -> Chunk | None:
        """The chunk ``step`` places after (or before, if negative) ``chunk`` in its article."""
        siblings = self.by_article.get(chunk.article_id, [])
        j = chunk.seq + step
        if 0 <= j < len(siblings) and siblings[j].seq == j:
            return siblings[j]
        return next((c for c in siblings if c.seq == j), None)

    def knows_term(self, token: str, prefix: int = 5) -> bool:
        """Is ``token`` (or, for long tokens, a word sharing its first ``prefix`` letters) in the corpus?"""
        if self.bm25.doc_freq(token):
            return True
        if len(token) < prefix + 1 or not token.isalpha():
            return False
        import bisect

        head = token[:prefix]
        i = bisect.bisect_left(self.vocab, head)
        return i < len(self.vocab) and self.vocab[i].startswith(head)

    def correct_term(self, token: str, min_ratio: float = 84.0) -> str | None:
        """The vocabulary word a misspelt token most likely stands for, or None.

        Only for alphabetic tokens of 5+ letters that no chunk uses: the closest vocabulary
        word (same first letter) by Levenshtein ratio (rapidfuzz), if at least ``min_ratio``:
        ``correct_term("contri")`` -> ``"countri"``. Cached per corpus generation.
        """
        if len(token) < 5 or not token.isalpha() or self.bm25.doc_freq(token):
            return None
        with self._lock:
            if token in self._corrections:
                return self._corrections[token]
            choices = self._vocab_by_letter.get(token[0])
            if choices is None:
                choices = [w for w in self.vocab if w[:1] == token[0] and len(w) >= 4 and w.isalpha()]
                self._vocab_by_letter[token[0]] = choices
        from rapidfuzz import fuzz, process

        found = process.extractOne(token, choices, scorer=fuzz.ratio, score_cutoff=min_ratio)
        fixed = found[0] if found else None
        with self._lock:
            if len(self._corrections) > 10_000:
                self._corrections.clear()
            self._corrections[token] = fixed
        return fixed

    def canonical(self, token: str) -> str:
        """The index's spelling of a token: itself, or the word its typo stands for."""
        if self.bm25.doc_freq(token):
            return token
        return self.correct_term(token) or token

    def chunk(self, chunk_id: str) -> Chunk | None:
        """A committed chunk by id (None: uncommitted, or newer than this view)."""
        return self.chunks.get(chunk_id)

    def __len__(self) -> int:
        """Number of committed chunks (the documents BM25 counts)."""
        return len(self.bm25)

    def doc_freq(self, token: str) -> int:
        """In how many committed chunks ``token`` occurs."""
        return self.bm25.doc_freq(token)

    def dense(self, vector: np.ndarray, k: int, dr: DateRange) -> list[tuple[str, float]]:
        """The store's ``k`` nearest committed chunk ids to ``vector`` with cosine similarity,
        within ``dr`` (checked here too: a store changed by another process may answer unfiltered)."""
        chunks = self.chunks
        pairs = self.store.dense(vector, k, dr, n_hint=len(chunks))
        if dr.is_open:
            return pairs
        lo = _int_date(dr.start) if dr.start else 0
        hi = _int_date(dr.end) if dr.end else 99999999
        inside = [
            (cid, s) for cid, s in pairs if cid in chunks and lo <= _int_date(chunks[cid].published) <= hi
        ]
        return inside[:k]

    def lexical(self, text: str, k: int, dr: DateRange) -> list[tuple[str, float]]:
        """The ``k`` best BM25 (chunk id, score) pairs for ``text``, within ``dr`` (a word no
        chunk uses is looked up as the vocabulary word it is a typo of, if any)."""
        tokens = [self.correct_term(t) or t for t in tokenize(text)]
        bm25, mask = self.bm25, self.date_mask(dr)
        if mask is not None and len(mask) != len(bm25):  # a reload swapped the view in between
            bm25, mask = self.bm25, self.date_mask(dr)
        return bm25.top(tokens, k, mask)

    def date_mask(self, dr: DateRange) -> np.ndarray | None:
        if dr.is_open:
            return None
        lo = 0 if dr.start is None else _int_date(dr.start)
        hi = 99999999 if dr.end is None else _int_date(dr.end)
        return (self._published >= lo) & (self._published <= hi)


def _int_date(d: dt.date) -> int:
    return d.year * 10000 + d.month * 100 + d.day
