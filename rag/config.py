"""Settings, read once at the edge (CLI, API, UI, eval) and passed down.

Every field can be set by an environment variable with the ``RAG_`` prefix
(``RAG_DATA_DIR``, ``RAG_CHROMA_URL``, ...). Library code never reads ``os.environ``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import ConfigError
from rag.types import TOP_K_MAX

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _default_data_dir() -> Path:
    # In a checkout the index lives beside the code (git-ignored); installed elsewhere, in the CWD.
    return PROJECT_ROOT / "data" if (PROJECT_ROOT / "pyproject.toml").exists() else Path("data")


class Settings(BaseSettings):
    """All configuration of the assistant. Environment: ``RAG_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir, description="Embedded Chroma folder")
    chroma_url: str | None = Field(default=None, description="Chroma server URL; overrides data_dir")
    chroma_timeout: float = Field(
        default=5.0, gt=0, le=300, description="Seconds each Chroma server call may take (then a 503)"
    )
    collection: str = Field(default="news", description="Collection name prefix")
    seeds_dir: Path = Field(default=PROJECT_ROOT / "seeds")
    prompts_dir: Path = Field(default=PROJECT_ROOT / "prompts")

    top_k: int = Field(default=30, ge=1, le=TOP_K_MAX, description="Chunks retrieved per question")
    max_quotes: int = Field(default=3, ge=1, le=10)
    max_false_refusal: float | None = Field(
        default=None, ge=0, lt=1, description="Answer with the model's levels fitted for this bound"
    )
    max_question_chars: int = Field(default=2000, ge=10)
    embed_batch_size: int = Field(default=64, ge=1)
    embedder: Literal["onnx-int8", "torch"] = Field(
        default="onnx-int8", description="MiniLM as an int8 ONNX graph (fast) or on torch"
    )
    model_dir: Path = Field(
        default_factory=lambda: _default_data_dir().parent / "models",
        description="Where the int8 ONNX model is built at set-up",
    )

    feedback_path: Path | None = Field(
        default=None, description="SQLite file of answer ratings; default RAG_DATA_DIR/feedback.sqlite3"
    )

    host: str = "127.0.0.1"
    port: int = Field(default=7860, ge=1, le=65535)
    api_key: SecretStr | None = None
    cors_origins: list[str] = Field(default_factory=list)

    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=60.0, gt=0)

    @property
    def feedback_file(self) -> Path:
        """Where ratings are stored: ``feedback_path``, else beside the embedded index."""
        return self.feedback_path or self.data_dir / "feedback.sqlite3"

    @field_validator("chroma_url", "llm_base_url")
    @classmethod
    def _check_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        u = urlparse(v.strip())
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"{v!r} is not an http(s) URL; use e.g. http://127.0.0.1:8000")
        return v.strip().rstrip("/")

    @field_validator("collection")
    @classmethod
    def _check_collection(cls, v: str) -> str:
        import re

        if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,60}[a-zA-Z0-9]", v):
            raise ValueError(f"collection {v!r} must be 3-62 characters of [a-zA-Z0-9._-]")
        return v


def load_settings(**overrides: object) -> Settings:
    """Build Settings from the environment plus explicit overrides; errors become ConfigError."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        msgs = "; ".join(f"RAG_{'_'.join(map(str, err['loc'])).upper()}: {err['msg']}" for err in e.errors())
        raise ConfigError(f"bad configuration: {msgs}") from None


def set_offline_env() -> None:
    """Process-wide switches every entry point sets before importing heavy libraries.

    Offline model loading and no telemetry (see shared/PITFALLS.md). Uses setdefault so a
    caller can still override; never sets TIKTOKEN_CACHE_DIR or NLTK_DATA.
    """
    for k, v in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "RAGAS_DO_NOT_TRACK": "true",
        "ANONYMIZED_TELEMETRY": "False",
        "TOKENIZERS_PARALLELISM": "false",
        # numpy's OpenBLAS keeps a second thread spinning after each product: on 2 cores it
        # took the core BM25 and the embedder answer on (100,000 articles: a question's CPU
        # time 77 -> 37 ms, its wall time 39 -> 31 ms). Read by subprocesses as they start.
        "OPENBLAS_NUM_THREADS": "1",
    }.items():
        os.environ.setdefault(k, v)
    blas = os.environ["OPENBLAS_NUM_THREADS"]
    if blas.isdigit() and int(blas) > 0:  # numpy is loaded already: set its pool as it runs
        from threadpoolctl import threadpool_limits

        threadpool_limits(int(blas), user_api="blas")
