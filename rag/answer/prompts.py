"""Prompt templates as files in ``prompts/``: loaded once at start-up, versioned by content hash."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ConfigError


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    system: str
    user: str
    sha256: str

    def render(self, **values: str) -> tuple[str, str]:
        """Fill ``{placeholders}`` in both sections (values are inserted once, never re-parsed)."""
        return _fill(self.system, values), _fill(self.user, values)


def _fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def load_prompt(path: Path) -> PromptTemplate:
    """Parse a prompt file with ``## system`` and ``## user`` sections (HTML comments ignored)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(
            f"cannot read prompt {path}: {e.strerror}; set RAG_PROMPTS_DIR or restore the file"
        ) from None
    text = re.sub(r"<!--.*?-->", "", raw, flags=re.S)
    parts = re.split(r"^##\s+(system|user)\s*$", text, flags=re.M | re.I)
    sections = {parts[i].lower(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    if "system" not in sections or "user" not in sections:
        raise ConfigError(f"prompt {path} needs '## system' and '## user' sections")
    if "{question}" not in sections["user"] or "{evidence}" not in sections["user"]:
        raise ConfigError(f"prompt {path}: the user section must contain {{question}} and {{evidence}}")
    return PromptTemplate(
        path.stem, sections["system"], sections["user"], hashlib.sha256(raw.encode()).hexdigest()[:16]
    )
