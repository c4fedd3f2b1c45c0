"""The staff chat UI (Gradio), mounted by ``rag.serve.api`` at ``/``."""
