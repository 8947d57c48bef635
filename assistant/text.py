"""How visitor text is folded before rules and models read it.

One function, so the red-flag rules (assistant/triage.py) and the learned
text models (assistant/text_model.py) see the same text: lower case,
compatibility forms (NFKC: full-width letters, ligatures), curly apostrophes
as straight ones, single spaces.
"""

from __future__ import annotations

import unicodedata


def normalise(text: str) -> str:
    """Lower-case, fold curly apostrophes, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split())
