"""Training pairs for the answer verifier, made from SQuAD 2.0 train-split paragraphs.

A pair is (question, candidate sentence, the sentence before it, label): 1 when the sentence
holds a gold answer of the question, 0 when it does not. Sentences are the product's own
chunks (``rag.text.chunk_spans``), so the verifier learns on what it will be shown. Kinds:

- ``gold``: the first sentence holding a gold answer (label 1);
- ``para``: the paragraph's other sentence sharing the most idf-weighted question words (0);
- ``title``: the best-matching sentence of another paragraph of the same title (0): what
  retrieval brings up over a whole archive;
- ``plausible``: for SQuAD's own unanswerable questions, the sentence holding the tempting
  wrong span their writers aimed at (0);
- perturbations, made the way SQuAD 2.0's unanswerable questions were written (Rajpurkar,
  Jia & Liang 2018, table 2): the question with a name, number, date or content word the
  sentence states swapped for another from the same title, a word swapped for its antonym, or
  a negation added, paired with the gold sentence (0). With the same swap applied to the
  sentence too, the pair is a counterfactual positive (1): the model must check that question
  and sentence agree, not learn what a perturbed question looks like.

Only train-split data goes in: never ``../shared/data/squad2-open`` (the measurement).
Deterministic for a seed.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rag.evaluation.perturb import _CAPS, _NUM, _WORD, perturbations
from rag.text import chunk_spans, tokenize

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Pair:
    question: str
    sentence: str
    previous: str
    label: int
    kind: str
    title: str


@dataclass(frozen=True)
class QA:
    """One question over one paragraph (SQuAD train split)."""

    title: str
    context: str
    question: str
    answerable: bool
    answers: tuple[str, ...]
    plausible: tuple[str, ...]


def norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def read_sample(folder: Path) -> list[QA]:
    """A squad2-train-sample-style folder: ``articles/<id>.txt`` and ``questions.jsonl``."""
    texts: dict[str, str] = {}
    for path in sorted((folder / "articles").glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        texts[path.stem] = raw.split("\n", 1)[1].strip("\n") if raw.startswith("date ") else raw
    out = []
    for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        ctx = texts.get(d["article_id"])
        if ctx is None:
            continue
        out.append(
            QA(
                str(d.get("title_article_id") or d["article_id"]),
                ctx,
                d["question"],
                bool(d["answerable"]),
                tuple(d.get("answers") or ()),
                tuple(d.get("plausible_answers") or ()),
            )
        )
    return out


def read_extra(path: Path) -> list[QA]:
    """A JSONL of questions with their paragraph: ``title``, ``context``, ``question``,
    ``answerable``, ``answers``, ``plausible_answers``."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                out.append(
                    QA(
                        d["title"],
                        d["context"],
                        d["question"],
                        bool(d["answerable"]),
                        tuple(d.get("answers") or ()),
                        tuple(d.get("plausible_answers") or ()),
                    )
                )
    return out


def sentences(context: str) -> list[str]:
    return [context[s:e] for s, e in chunk_spans(context)]


def containing(sents: list[str], answers: Iterable[str]) -> list[int]:
    """Indexes of the sentences holding any of ``answers`` (normalised substring)."""
    golds = [norm(a) for a in answers if norm(a)]
    return [i for i, s in enumerate(sents) if any(g in norm(s) for g in golds)]


class TitleIndex:
    """A title's sentences with their tokens and idf, for finding hard negatives and swaps."""

    def __init__(self, paragraphs: list[str]) -> None:
        self.paragraphs = paragraphs
        self.sents = [sentences(p) for p in paragraphs]
        self.toks = [[frozenset(tokenize(s)) for s in ss] for ss in self.sents]
        df: Counter[str] = Counter(t for ts in self.toks for s in ts for t in s)
        n = sum(len(ts) for ts in self.toks) + 1
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        joined = "\n".join(paragraphs)
        self.entities = sorted({m.group(0).strip(".") for m in _CAPS.finditer(joined) if len(m.group(0)) > 2})
        self.numbers = sorted(set(_NUM.findall(joined)))
        words = Counter(_WORD.findall(joined))
        self.words = sorted(w for w, c in words.items() if c >= 2)

    def overlap(self, q: frozenset[str], toks: frozenset[str]) -> float:
        return sum(self.idf.get(t, 0.0) for t in q & toks)

    def best_other(self, q: frozenset[str], para: int, rng: random.Random) -> tuple[str, str] | None:
        """The best-matching sentence (with its previous one) of another paragraph."""
        best: tuple[float, int, int] | None = None
        for p, ts in enumerate(self.toks):
            if p == para:
                continue
            for i, t in enumerate(ts):
                sc = self.overlap(q, t) + rng.random() * 1e-6
                if best is None or sc > best[0]:
                    best = (sc, p, i)
        if best is None or best[0] <= 0:
            return None
        _, p, i = best
        return self.sents[p][i], self.sents[p][i - 1] if i > 0 else ""


def pairs_for_title(qas: list[QA], rng: random.Random, p_title: float = 0.5, p_cf: float = 0.5) -> list[Pair]:
    """Every pair a title's questions give (see the module docstring)."""
    paragraphs = sorted({qa.context for qa in qas})
    where = {p: i for i, p in enumerate(paragraphs)}
    idx = TitleIndex(paragraphs)
    out: list[Pair] = []
    title = qas[0].title
    for qa in qas:
        pi = where[qa.context]
        sents, toks = idx.sents[pi], idx.toks[pi]
        qt = frozenset(tokenize(qa.question))

        def prev_of(i: int, ss: list[str] = sents) -> str:
            return ss[i - 1] if i > 0 else ""

        golds = containing(sents, qa.answers) if qa.answerable else containing(sents, qa.plausible)
        if not golds and qa.answerable:
            continue  # the answer crosses a sentence boundary: no sentence holds it
        others = [i for i in range(len(sents)) if i not in golds]
        if qa.answerable:
            g = golds[0]
            out.append(Pair(qa.question, sents[g], prev_of(g), 1, "gold", title))
        else:
            for g in golds[:1]:
                out.append(Pair(qa.question, sents[g], prev_of(g), 0, "plausible", title))
        if others:
            hard = max(others, key=lambda i: (idx.overlap(qt, toks[i]), -i))
            out.append(Pair(qa.question, sents[hard], prev_of(hard), 0, "para", title))
        if rng.random() < p_title:
            other = idx.best_other(qt, pi, rng)
            if other is not None and not containing([other[0]], qa.answers):
                out.append(Pair(qa.question, other[0], other[1], 0, "title", title))
        if qa.answerable:
            g = golds[0]
            options = list(perturbations(qa.question, sents[g], prev_of(g), idx, rng))
            if options:
                kind, q2, s2, p2 = rng.choice(options)
                out.append(Pair(q2, sents[g], prev_of(g), 0, kind, title))
                if s2 is not None and rng.random() < p_cf:
                    out.append(Pair(q2, s2, p2, 1, "cf_" + kind, title))
    return out


def build_pairs(qas: list[QA], seed: int, per_title: int | None = None) -> list[Pair]:
    """Pairs for all titles, at most ``per_title`` questions from each (a seeded sample)."""
    rng = random.Random(seed)
    by_title: dict[str, list[QA]] = {}
    for qa in qas:
        by_title.setdefault(qa.title, []).append(qa)
    out: list[Pair] = []
    for title in sorted(by_title):
        group = by_title[title]
        if per_title is not None and len(group) > per_title:
            keep = [qa for qa in group if not qa.answerable]  # the real unanswerable ones are scarce
            rest = [qa for qa in group if qa.answerable]
            rng.shuffle(rest)
            group = keep + rest[: max(per_title - len(keep), 0)]
        out.extend(pairs_for_title(group, rng))
    return out


def write_pairs(pairs: list[Pair], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(p.__dict__, ensure_ascii=False) + "\n")


def read_pairs(path: Path) -> list[Pair]:
    with open(path, encoding="utf-8") as f:
        return [Pair(**json.loads(line)) for line in f if line.strip()]


def encode_pairs(pairs: list[Pair]) -> list[tuple[list[int], list[int]]]:
    from tokenizers import Tokenizer

    from rag.answer.verifier import pair_ids, tokenizer_path

    tok = Tokenizer.from_file(str(tokenizer_path()))
    tok.no_padding()
    tok.no_truncation()
    texts = sorted({t for p in pairs for t in (p.question, p.sentence, p.previous)})
    ids = {t: e.ids for t, e in zip(texts, tok.encode_batch(texts, add_special_tokens=False), strict=True)}
    return [pair_ids(ids[p.question], ids[p.previous], ids[p.sentence]) for p in pairs]


def split_titles(pairs: list[Pair], n_val: int, seed: int) -> tuple[list[Pair], list[Pair]]:
    """Hold out ``n_val`` titles (a seeded choice) as validation, never one with SQuAD's own
    unanswerable questions (those are scarce: all of them train)."""
    scarce = {p.title for p in pairs if p.kind == "plausible"}
    titles = sorted({p.title for p in pairs} - scarce)
    n_val = min(n_val, max(len(titles) - 1, 0))
    val = set(random.Random(seed).sample(titles, n_val)) if n_val else set()
    return [p for p in pairs if p.title not in val], [p for p in pairs if p.title in val]


def batches_by_length(lengths: list[int], size: int, seed: int, epochs: int) -> list[list[int]]:
    """Every epoch's batches: shuffled, then sorted by length within pools of 50 batches, so a
    batch pads little; batch order shuffled again. Deterministic for a seed."""
    rng = random.Random(seed)
    out: list[list[int]] = []
    for _ in range(epochs):
        idx = list(range(len(lengths)))
        rng.shuffle(idx)
        pool = size * 50
        epoch: list[list[int]] = []
        for i in range(0, len(idx), pool):
            chunk = sorted(idx[i : i + pool], key=lambda j: lengths[j])
            epoch.extend(chunk[k : k + size] for k in range(0, len(chunk), size))
        rng.shuffle(epoch)
        out.extend(epoch)
    return out
