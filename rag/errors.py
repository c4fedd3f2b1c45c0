"""A small error hierarchy: every message names the bad value and how to fix it."""


class RagError(Exception):
    """Base class for errors a user can act on."""


class ConfigError(RagError):
    """A setting has a value we cannot use."""


class ArticleError(RagError):
    """An article file cannot be parsed (the message says why)."""


class NotFoundError(RagError):
    """An article id or other named thing does not exist."""


class BadQuestionError(RagError):
    """The question is empty, too long or otherwise unusable."""


class StoreUnavailableError(RagError):
    """The vector store (e.g. a Chroma server) cannot be reached."""


class IndexBusyError(StoreUnavailableError):
    """Another process is writing to the embedded index (one writer at a time)."""


class StoreWriteError(RagError):
    """A write to the index failed for a reason the operator must fix (disk full, read-only)."""
