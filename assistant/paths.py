"""Where the project's files are: every module takes its paths from here.

Paths are relative to the checkout, so the project runs from any folder;
runtime files (database, caches, secrets, screenshots) live under ``var/``,
which git ignores.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
VAR_DIR = PROJECT_ROOT / "var"
# The red-flag catalogue (kinds, grades, rules): read by triage and by the written sets' loader.
RED_FLAGS_FILE = DATA_DIR / "safety" / "red_flags.yml"


def tracker_journal_dir() -> Path:
    """Conversations the database refused, waiting to be stored (assistant/tracker_store.py)."""
    return Path(os.environ.get("TRACKER_JOURNAL_DIR") or VAR_DIR / "tracker-journal")
