"""The staff chat UI (Gradio), mounted by ``rag.api`` at ``/``."""
