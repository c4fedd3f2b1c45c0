"""The staff chat UI: a thin entry over ``rag.serve.ui`` (the layout the project requires)."""

from rag.serve.ui import CSS, build_ui

__all__ = ["CSS", "build_ui"]
