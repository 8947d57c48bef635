"""Visitors' words for the article's terms (``data/knowledge/lay_terms.yml``).

A visitor asks whether "women" get it more; the article says "Female patients
suffered more". Quote selection scores sentences on stemmed words, so each lay
word found in a question adds the article's term to the words scored.
"""

from __future__ import annotations

from functools import lru_cache

import yaml

from assistant.paths import PROJECT_ROOT
from assistant.retrieval import tokens

LAY_TERMS_FILE = PROJECT_ROOT / "data" / "knowledge" / "lay_terms.yml"


@lru_cache(maxsize=1)
def lay_terms() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Stemmed lay word or phrase -> the stemmed article term it stands for."""
    data = yaml.safe_load(LAY_TERMS_FILE.read_text(encoding="utf-8")) or {}
    found: dict[tuple[str, ...], tuple[str, ...]] = {}
    for term, words in data.items():
        for word in words:
            key = tuple(tokens(str(word)))
            if key:
                found[key] = tuple(tokens(str(term)))
    return found


def expanded(question_tokens: list[str]) -> list[str]:
    """The question's stemmed words, then the article terms its lay words stand for."""
    extra: list[str] = []
    for phrase, term in lay_terms().items():
        size = len(phrase)
        if any(tuple(question_tokens[i:i + size]) == phrase for i in range(len(question_tokens) - size + 1)):
            extra += [t for t in term if t not in question_tokens and t not in extra]
    return [*question_tokens, *extra]
