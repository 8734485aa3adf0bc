"""The CLI's two rich consoles: `console` (stderr: progress, notes, errors) and `out` (stdout: results)."""

from __future__ import annotations

import sys

from rich.console import Console

console = Console(stderr=True)
# Piped output gets a wide table rather than rich's 80-column default, so rows do not wrap.
out = Console() if sys.stdout.isatty() else Console(width=140)

STORE_HELP = "results store: a SQLAlchemy URL or a SQLite file (default $ASSAY_STORE, else $ASSAY_HOME/store.sqlite)"
MODEL_HELP = "an alias (smollm2, gemma3-270m) or hf:ID_OR_PATH / gguf:PATH"
