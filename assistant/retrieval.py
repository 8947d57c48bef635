"""Lexical retrieval over the FAQ source, next to the ResponseSelector.

The ResponseSelector learns from phrasings; visitors also use the article's own
words (a study's journal, year or patient count, a ligament's name) that no
phrasing happens to contain. A BM25 index over each FAQ's title, answer, quoted
passages, the full reference lines it cites and its phrasings catches those,
and blending its scores with the selector's (:func:`assistant.routing.blend`)
re-ranks flat or wrong rankings. Weight and temperature were chosen on the
development sets (numbers in docs/nlu.md).

The index is built from ``data/faq`` at start-up (milliseconds), so it needs no
training run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import snowballstemmer
from rank_bm25 import BM25Okapi
from spacy.lang.en.stop_words import STOP_WORDS

from assistant.faq import Faq, faq_index
from assistant.knowledge import get_article

# Softmax temperature that turns BM25 scores into a distribution comparable
# with the selector's confidences (assistant.routing blends the two).
TEMPERATURE = 1.0
# Scoring costs time per query word; a question needs far fewer than this
# (a 20,000-character paste would otherwise cost ~0.1 s on every turn).
MAX_QUERY_WORDS = 200

_WORD = re.compile(r"[a-z0-9]+")
_STEMMER = snowballstemmer.stemmer("english")


def tokens(text: str) -> list[str]:
    """Stemmed content words: "injections" and "injected" meet at "inject"."""
    words = [w for w in _WORD.findall(text.lower())
             if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())]
    return _STEMMER.stemWords(words)


def faq_document(faq: Faq) -> str:
    """Everything a visitor might echo when asking for this FAQ."""
    references = {}
    for source in faq.sources:
        if source.ref is not None:
            references[source.ref] = get_article(source.article).references.get(source.ref, "")
    return " ".join([faq.title, faq.answer, *(s.quote for s in faq.sources),
                     *references.values(), *faq.phrasings])


def softmax(raw: Sequence[float], temperature: float = TEMPERATURE) -> list[float]:
    """BM25 scores as a distribution (empty when nothing matched: every score is 0 or less)."""
    best = max(raw, default=0.0)
    if best <= 0:
        return []
    weights = [math.exp((score - best) / temperature) for score in raw]
    total = sum(weights)
    return [weight / total for weight in weights]


class FaqRetriever:
    """BM25 over one document per FAQ; scores are a softmax over the FAQs."""

    def __init__(self, faqs: Iterable[Faq]):
        faqs = list(faqs)
        self.ids = [faq.id for faq in faqs]
        self._bm25 = BM25Okapi([tokens(faq_document(faq)) for faq in faqs]) if faqs else None

    def scores(self, text: str) -> dict[str, float]:
        """topic -> probability-like score summing to 1 (empty when nothing matches)."""
        query = tokens(text)[:MAX_QUERY_WORDS]
        if not query or self._bm25 is None:
            return {}
        shares = softmax(self._bm25.get_scores(query))
        return dict(zip(self.ids, shares, strict=True)) if shares else {}


@lru_cache(maxsize=2)
def _retriever_for(faqs: tuple[Faq, ...]) -> FaqRetriever:
    return FaqRetriever(faqs)


def default_retriever() -> FaqRetriever:
    """The index over the FAQs the action server answers with (rebuilt when they change)."""
    return _retriever_for(tuple(faq_index().values()))
