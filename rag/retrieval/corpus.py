"""The answerer's view of what the store has committed, read on demand and bounded in memory.

Nothing here holds the archive: a question's hits name article versions, whose rows (text and
sentence vectors) are read from the archive when first needed and kept in an LRU of
``VIEW_CACHE`` articles (about 40 KB each: text, chunks, float16 vectors). Chunks are
re-derived from the committed text with the writer's ``chunk_article`` (~50 µs an article), so
a hit whose version is not committed (a crashed or replaced write) finds no row and is dropped:
readers only ever quote committed text. Document frequencies, the sentence count and the
vocabulary come from the lexical index on disk, cached per generation in bounded dicts.

``sync`` follows the store's generation marker (one SQLite read, at most every
``refresh_seconds``); a change makes the lexical index and (embedded, after another process's
write) Chroma reread what was committed, and empties the per-generation caches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

import numpy as np

from rag.protocols import ArticleStore
from rag.retrieval.views import VIEW_CACHE, ArticleView, ArticleViews
from rag.text import form_base, name_forms, tokenize
from rag.types import Article, ArticleInfo, Chunk, DateRange

log = logging.getLogger(__name__)
TOKEN_CACHE = 20_000  # chunks' token sets
TERM_CACHE = 50_000  # document frequencies, corrections (per generation)
PASSAGES_PER_HIT = 2  # passages asked of Chroma per sentence asked for (see ``dense``)


class Corpus:
    """Committed chunks, their vectors and BM25 statistics, read through a bounded cache."""

    def __init__(
        self, store: ArticleStore, refresh_seconds: float = 0.5, view_cache: int = VIEW_CACHE
    ) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self.generation: str | None = None
        self._checked = 0.0
        self._syncing = threading.Lock()  # one refresh at a time; answers go on meanwhile
        self._lock = threading.RLock()  # the caches
        self._cache = ArticleViews(store, view_cache)
        self._tokens: dict[str, frozenset[str]] = {}
        self._df: dict[str, int] = {}
        self._corrections: dict[str, str | None] = {}
        self._forms: dict[str, frozenset[str]] = {}
        self._letters: OrderedDict[str, list[str]] = OrderedDict()
        self._size: int | None = None

    # ----------------------------------------------------------------- sync
    def sync(self, force: bool = False) -> bool:
        """Follow the store if it changed; returns True when the view moved to a new generation.

        While one thread refreshes, the others keep answering from the current view; a failed
        refresh keeps it too (and is retried at the next check)."""
        now = time.monotonic()
        if not force and self.generation is not None and now - self._checked < self.refresh_seconds:
            return False
        if not self._syncing.acquire(blocking=force or self.generation is None):
            return False
        try:
            if self.generation is None:
                self.store.check()  # an index of another setup is refused before any answer
            gen = self.store.generation()
            self._checked = time.monotonic()
            if gen == self.generation and not force:
                return False
            self.store.refresh()
            self._df, self._corrections, self._forms, self._size = {}, {}, {}, None
            self._cache.follow()
            self._letters = OrderedDict()
            changed, self.generation = gen != self.generation, gen
            if changed:
                log.info("corpus: generation %s", gen)
            return changed
        except Exception:
            if self.generation is None or force:
                raise
            log.exception("corpus: refresh failed; still answering from generation %s", self.generation)
            return False
        finally:
            self._syncing.release()

    # ----------------------------------------------------------------- article views
    def views(self, vids: list[int]) -> dict[int, ArticleView]:
        """Committed versions among ``vids`` (others are dropped), from the cache or the archive."""
        return self._cache.get(vids)

    def view_of(self, article_id: str) -> ArticleView | None:
        """The committed version of an article, or None."""
        return self._cache.of(article_id)

    def _view_of_chunk(self, chunk: Chunk) -> ArticleView | None:
        view = self.view_of(chunk.article_id)
        return view if view is not None and view.info.digest == chunk.article_digest else None

    # ----------------------------------------------------------------- reads
    def article(self, article_id: str) -> Article | None:
        """The committed text of an article (what citation offsets index)."""
        view = self.view_of(article_id)
        return None if view is None else view.article

    def info(self, article_id: str) -> ArticleInfo | None:
        """What lists show of a committed article (its headline), or None."""
        view = self.view_of(article_id)
        return None if view is None else view.info

    def chunk(self, chunk_id: str) -> Chunk | None:
        """A committed chunk by id (None: uncommitted, replaced or deleted)."""
        article_id, _, seq = chunk_id.rpartition(":")[0].rpartition(":")
        view = self.view_of(article_id) if seq.isdigit() else None
        if view is None or int(seq) >= len(view.chunks):
            return None
        c = view.chunks[int(seq)]
        return c if c.chunk_id == chunk_id else None

    def neighbour(self, chunk: Chunk, step: int) -> Chunk | None:
        """The chunk ``step`` places after (or before, if negative) ``chunk`` in its article."""
        view = self._view_of_chunk(chunk)
        j = chunk.seq + step
        return view.chunks[j] if view is not None and 0 <= j < len(view.chunks) else None

    def vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """The stored (float16) vectors of committed chunks, as float32."""
        out: dict[str, np.ndarray] = {}
        for cid in chunk_ids:
            c = self.chunk(cid)
            view = self.view_of(c.article_id) if c is not None else None
            if c is not None and view is not None:
                out[cid] = view.vectors[c.seq].astype(np.float32)
        return out

    def tokens(self, chunk: Chunk) -> frozenset[str]:
        """BM25 tokens of a chunk, cached (the answerer asks for the same chunks often)."""
        toks = self._tokens.get(chunk.chunk_id)
        if toks is None:
            if len(self._tokens) >= TOKEN_CACHE:
                self._tokens.clear()
            view = self._view_of_chunk(chunk)
            lines = (
                view.token_lines.split("\n") if view is not None and view.token_lines is not None else None
            )
            words = (
                lines[chunk.seq].split()
                if lines is not None and chunk.seq < len(lines)
                else tokenize(chunk.text)
            )
            toks = self._tokens[chunk.chunk_id] = frozenset(words)
        return toks

    def article_tokens(self, article_id: str) -> frozenset[str]:
        """Every BM25 token of a committed article (empty if it is not committed)."""
        view = self.view_of(article_id)
        if view is None:
            return frozenset()
        if view._tokens is None and view.token_lines is not None:  # as the writer tokenized it
            view._tokens = frozenset(view.token_lines.split())
        elif view._tokens is None:
            # chunks are substrings of the text and no token spans a space: joining them with
            # spaces gives the union of their tokens in one pass
            view._tokens = frozenset(tokenize(" ".join(c.text for c in view.chunks)))
        return view._tokens

    def __len__(self) -> int:
        """Number of committed chunks (the documents BM25 counts)."""
        if self._size is None:
            self._size = self.store.num_chunks()
        return self._size

    def doc_freq(self, token: str) -> int:
        """In how many committed chunks ``token`` occurs (cached per generation)."""
        n = self._df.get(token)
        if n is None:
            if len(self._df) >= TERM_CACHE:
                self._df.clear()
            n = self._df[token] = self.store.doc_freq(token)
        return n

    def knows_term(self, token: str, prefix: int = 5) -> bool:
        """Is ``token`` (or, for long tokens, a word sharing its first ``prefix`` letters) in the corpus?"""
        if self.doc_freq(token):
            return True
        if len(token) < prefix + 1 or not token.isalpha():
            return False
        return bool(self.store.terms(token[:prefix], limit=1))

    def correct_term(self, token: str, min_ratio: float = 84.0) -> str | None:
        """The vocabulary word a misspelt token most likely stands for, or None.

        Only for alphabetic tokens of 5+ letters that no chunk uses: the closest vocabulary
        word (same first letter) by Levenshtein ratio (rapidfuzz), if at least ``min_ratio``:
        ``correct_term("contri")`` -> ``"countri"``. Cached per corpus generation.
        """
        if len(token) < 5 or not token.isalpha() or self.doc_freq(token):
            return None
        if token in self._corrections:
            return self._corrections[token]
        with self._lock:
            choices = self._letters.get(token[0])
            if choices is None:
                words = self.store.terms(token[0])
                choices = sorted(w for w, _ in words if len(w) >= 4 and w.isalpha())
                self._letters[token[0]] = choices
                while len(self._letters) > 4:  # a letter's words are kept for its next typos
                    self._letters.popitem(last=False)
        from rapidfuzz import fuzz, process

        found = process.extractOne(token, choices, scorer=fuzz.ratio, score_cutoff=min_ratio)
        fixed = found[0] if found else None
        if len(self._corrections) >= TERM_CACHE:
            self._corrections.clear()
        self._corrections[token] = fixed
        return fixed

    def name_forms(self, token: str) -> frozenset[str]:
        """Indexed adjective forms of a name's token (``"itali"`` -> ``{"italian"}``), cached."""
        forms = self._forms.get(token)
        if forms is None:
            base = form_base(token)
            vocab = [w for w, _ in self.store.terms(base)] if base is not None else []
            if len(self._forms) >= TERM_CACHE:
                self._forms.clear()
            forms = self._forms[token] = name_forms(token, vocab)
        return forms

    def canonical(self, token: str) -> str:
        """The index's spelling of a token: itself, or the word its typo stands for."""
        if self.doc_freq(token):
            return token
        return self.correct_term(token) or token

    # ----------------------------------------------------------------- retrieval
    def dense(self, vector: np.ndarray, k: int, dr: DateRange) -> list[tuple[Chunk, float]]:
        """The ``k`` committed chunks nearest ``vector`` (cosine of their own vectors), within ``dr``.

        Chroma finds the ``PASSAGES_PER_HIT * k`` nearest passages; every sentence of their
        articles (whose vectors come with the article) is then scored by its own vector, and the
        ``k`` best are kept. Measured on 24,577 SQuAD-train sentences in news-sized articles (gold
        sentence in the top 30 / top 5): exact search over sentences 89.2% / 76.7%; these
        passages, 30 of them and only their sentences 85.8% / 74.6%, 60 with whole articles
        87.5% / 75.4% (docs/capacity.md)."""
        hits = self.store.passage_hits(vector, max(1, PASSAGES_PER_HIT * k), dr)
        order = list(dict.fromkeys(vid for vid, _, _ in hits))
        views = self.views(order)
        kept = [
            v
            for v in (views.get(vid) for vid in order)
            if v is not None and v.info.chunks and dr.contains(v.article.published)
        ]
        if not kept:
            return []
        # one conversion and one product for every sentence of every article, in article order:
        # a stable sort then breaks ties by (article rank, sentence number)
        sims = np.concatenate([v.vectors for v in kept]).astype(np.float32) @ np.asarray(vector, np.float32)
        starts = np.cumsum([0] + [len(v.vectors) for v in kept])
        top = np.argsort(-sims, kind="stable")[:k]
        found = [
            (kept[a].chunks, int(i - starts[a]), float(sims[i]))
            for i, a in zip(top, np.searchsorted(starts, top, "right") - 1, strict=True)
        ]
        return [(chunks[seq], sim) for chunks, seq, sim in found if seq < len(chunks)]

    def lexical(self, text: str, k: int, dr: DateRange) -> list[tuple[Chunk, float]]:
        """The ``k`` best BM25 committed chunks for ``text``, within ``dr``."""
        return self.chunks_of(self.lexical_hits(text, k, dr))

    def lexical_hits(self, text: str, k: int, dr: DateRange) -> list[tuple[int, int, float]]:
        """(version, chunk number, BM25 score) of the ``k`` best for ``text`` (a word no chunk uses
        is looked up as the vocabulary word it is a typo of, if any); no article is read."""
        return self.store.lexical_hits([self.correct_term(t) or t for t in tokenize(text)], k, dr)

    def chunks_of(self, hits: list[tuple[int, int, float]]) -> list[tuple[Chunk, float]]:
        """The committed chunks of (version, chunk number, score) hits, with their scores."""
        views = self.views([vid for vid, _, _ in hits])
        out = []
        for vid, seq, score in hits:
            view = views.get(vid)
            if view is not None and seq < len(view.chunks):
                out.append((view.chunks[seq], score))
        return out
