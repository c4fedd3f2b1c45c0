"""``python -m rag ...`` is the ``rag`` command."""

import sys

from rag.serve.cli import main

sys.exit(main())
