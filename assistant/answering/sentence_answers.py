"""Answers from one sentence of the article, for a question no FAQ was written for.

The FAQs cover what visitors ask most; the article says more ("were women
affected more?", "can a plain X-ray show it?"). When the classifiers and the
FAQ retrieval decline a question, the article's sentences are scored against
it (BM25 with visitors' words, :mod:`assistant.answering.quotes`), and the best
one is given, verbatim and cited, when it is clearly about what was asked:

- its score is at least :data:`MIN_SCORE` (rare words of the question in it), and
- it holds at least :data:`MIN_COVERAGE` of the question's weight (each word
  weighted by its rarity in the article; a word the article never uses, such
  as "cost" or "Medicare", weighs as much as its rarest word), so that a near
  miss in the article's vocabulary ("how much does prolotherapy cost") is
  still declined: the article names no price.

Thresholds were set on the development set in ``../shared/eval`` (docs/nlu.md):
declined in-scope questions answered with the detail asked, no out-of-scope
message answered, CLINC150 within its bar.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answering.lay_terms import lay_terms
from assistant.answering.quotes import index_for
from assistant.answering.sentences import Sentence
from assistant.knowledge import get_article
from assistant.retrieval import MAX_QUERY_WORDS, tokens

MIN_SCORE = 10.0
MIN_COVERAGE = 0.5


@dataclass(frozen=True)
class Found:
    sentence: Sentence
    score: float
    coverage: float


def best_sentence(question: str) -> Found | None:
    """The article's sentence that best answers the question, with its score and coverage."""
    index = index_for(get_article(None))
    scores = index.scores(question)
    if not scores:
        return None
    best = max(range(len(scores)), key=scores.__getitem__)
    sentence = index.sentences[best]
    return Found(sentence, scores[best], coverage(question, sentence, index.idf))


def coverage(question: str, sentence: Sentence, idf: dict[str, float]) -> float:
    """The share of the question's words (rarity-weighted) that the sentence holds.

    A visitor's word counts as held when the sentence has it or the article's
    term for it ("women" -> "female", data/knowledge/lay_terms.yml).
    """
    words = list(dict.fromkeys(tokens(question)[:MAX_QUERY_WORDS]))
    if not words:
        return 0.0
    held = set(tokens(sentence.text))
    stands_for = {word: set(term) for phrase, term in lay_terms().items() for word in phrase}
    rarest = max(idf.values(), default=1.0)
    weight = {word: max(idf.get(word, rarest), 0.0) for word in words}
    total = sum(weight.values())
    found = sum(w for word, w in weight.items() if word in held or stands_for.get(word, set()) & held)
    return found / total if total > 0 else 0.0


def sentence_answer(question: str) -> Found | None:
    """The sentence to answer with, or None when none is clearly about what was asked."""
    found = best_sentence(question)
    if found is None or found.score < MIN_SCORE or found.coverage < MIN_COVERAGE:
        return None
    return found
