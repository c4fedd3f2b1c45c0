"""What ``/v1/chat/completions`` does with each parameter an OpenAI client may send.

Every parameter is either honoured, accepted with a documented no-op, or refused with a 400 that
names it (``BadQuestionError`` -> ``{"error": {...}}``):

- honoured: ``messages`` (earlier turns are the conversation, see ``rag.serve.conversation``),
  ``stream`` and ``stream_options.include_usage``, ``max_tokens`` / ``max_completion_tokens``
  (the content is cut at that many tokens, ``finish_reason: "length"``), ``stop`` (the content
  is cut before the first stop string), ``n`` (1 only), ``model`` (``rag`` only),
  ``response_format`` (``text`` only);
- accepted, no effect: ``temperature``, ``top_p``, ``presence_penalty``, ``frequency_penalty``,
  ``seed`` (answers are extractive and deterministic: there is no sampling to tune), ``user``,
  ``metadata``, ``store``, ``service_tier``, ``parallel_tool_calls``, ``tool_choice: "none"``;
- refused: ``tools`` / ``functions`` (non-empty), ``tool_choice`` other than ``none``,
  ``logprobs: true``, ``top_logprobs``, ``logit_bias`` (non-empty), ``n`` > 1, audio/modalities,
  any parameter not listed here.

System and developer messages are accepted and ignored: the answerer follows no instructions
(article text is data and grounding is fixed), so a system prompt cannot change what is quoted.

``usage`` counts tokens with the embedding model's tokenizer (MiniLM's WordPiece vocabulary),
not the tokenizer of any OpenAI model: prompt tokens are the user and assistant messages' text,
completion tokens the returned ``content``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from rag.errors import BadQuestionError

SERVED_MODEL = "rag"
NO_EFFECT = frozenset(
    "temperature top_p presence_penalty frequency_penalty seed user metadata store service_tier "
    "parallel_tool_calls".split()
)
HANDLED = frozenset(
    "model messages stream stream_options max_tokens max_completion_tokens stop n response_format "
    "tools functions tool_choice function_call logprobs top_logprobs logit_bias".split()
)
_RANGES = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "presence_penalty": (-2.0, 2.0),
    "frequency_penalty": (-2.0, 2.0),
}


@dataclass(frozen=True)
class ChatOptions:
    """The parameters that change the reply, checked."""

    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    include_usage: bool = False


def _refuse(param: str, why: str) -> BadQuestionError:
    return BadQuestionError(f"parameter {param!r}: {why}")


def check_params(body: dict[str, Any]) -> ChatOptions:
    """Validate a chat request's parameters (``body`` is the parsed JSON); raise naming the first bad one."""
    unknown = sorted(k for k in body if k not in HANDLED | NO_EFFECT)
    if unknown:
        raise _refuse(
            unknown[0], "not supported by this endpoint; remove it (see the parameter list in docs/api.md)"
        )
    model = body.get("model", SERVED_MODEL)
    if model != SERVED_MODEL:
        raise _refuse("model", f"{model!r} is not served here; use {SERVED_MODEL!r} (GET /v1/models)")
    for name, (lo, hi) in _RANGES.items():
        v = body.get(name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi):
            raise _refuse(name, f"must be a number from {lo:g} to {hi:g}, got {v!r}")
    n = body.get("n")
    if n is not None and n != 1:
        raise _refuse(
            "n", f"only one choice is returned (answers are deterministic), got {n!r}: send n=1 or omit it"
        )
    if body.get("tools") or body.get("functions"):
        which = "tools" if body.get("tools") else "functions"
        raise _refuse(which, "tool calling is not supported: the reply is always quotes from the articles")
    for name in ("tool_choice", "function_call"):
        if body.get(name) not in (None, "none"):
            raise _refuse(name, "tool calling is not supported: omit it or send 'none'")
    if body.get("logprobs") or body.get("top_logprobs") is not None:
        raise _refuse(
            "logprobs" if body.get("logprobs") else "top_logprobs", "log probabilities are not available"
        )
    if body.get("logit_bias"):
        raise _refuse("logit_bias", "not supported: the reply is extracted, not sampled")
    fmt = body.get("response_format")
    if fmt is not None and (not isinstance(fmt, dict) or fmt.get("type") != "text"):
        raise _refuse("response_format", "only {'type': 'text'} is supported (the reply is Markdown)")
    limits: list[tuple[str, Any]] = [
        (k, body[k]) for k in ("max_tokens", "max_completion_tokens") if body.get(k) is not None
    ]
    for k, v in limits:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise _refuse(k, f"must be a whole number >= 1, got {v!r}")
    stop = body.get("stop")
    stops = (stop,) if isinstance(stop, str) else tuple(stop or ())
    if len(stops) > 4 or not all(isinstance(s, str) and s for s in stops):
        raise _refuse("stop", "must be a non-empty string or a list of up to 4 non-empty strings")
    so = body.get("stream_options")
    if so is not None and (not isinstance(so, dict) or set(so) - {"include_usage"}):
        raise _refuse("stream_options", "only {'include_usage': true|false} is supported")
    return ChatOptions(
        max_tokens=min((int(v) for _, v in limits), default=None),
        stop=stops,
        include_usage=bool((so or {}).get("include_usage")),
    )


_TOKENIZER: Any = None
_LOCK = threading.Lock()


def _tokenizer() -> Any:
    global _TOKENIZER
    if _TOKENIZER is None:
        with _LOCK:
            if _TOKENIZER is None:
                from tokenizers import Tokenizer

                from rag.index.onnx_model import source_model_path

                tok = Tokenizer.from_file(str(source_model_path() / "tokenizer.json"))
                tok.no_truncation()
                tok.no_padding()
                _TOKENIZER = tok
    return _TOKENIZER


def count_tokens(text: str) -> int:
    """WordPiece tokens of ``text`` in the embedding model's vocabulary (no [CLS]/[SEP])."""
    return len(_tokenizer().encode(text, add_special_tokens=False).ids) if text else 0


def apply_limits(content: str, options: ChatOptions) -> tuple[str, str]:
    """(content cut at the first stop string and at ``max_tokens``, finish reason ``stop``/``length``)."""
    cuts = [i for s in options.stop if (i := content.find(s)) >= 0]
    if cuts:
        content = clean_cut(content[: min(cuts)])
    if options.max_tokens is not None:
        enc = _tokenizer().encode(content, add_special_tokens=False)
        if len(enc.ids) > options.max_tokens:
            return clean_cut(content[: enc.offsets[options.max_tokens - 1][1]]), "length"
    return content, "stop"


def clean_cut(text: str) -> str:
    r"""``text`` cut short without a dangling escape: an odd run of backslashes at its end would
    escape whatever a client appends (or show as a stray ``\``), so one goes.

    ``clean_cut("Aug\")`` -> ``"Aug"``; ``clean_cut("C:\\")`` (an escaped backslash) stays.
    """
    run = len(text) - len(text.rstrip("\\"))
    return text[:-1] if run % 2 else text


def usage(prompt_texts: list[str], completion: str) -> dict[str, int]:
    """OpenAI's ``usage`` object, counted with ``count_tokens``."""
    p = sum(count_tokens(t) for t in prompt_texts)
    c = count_tokens(completion)
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
