"""Quotes chosen for the question: lead with the sentence that holds the detail asked.

An FAQ answers a topic; the visitor asked one thing about it ("how many
patients?", "which journal?", "how long do I rest?"). Among the FAQ's own
quotes and the sentences around them in the article (their paragraphs and the
lines next to them, within the same section), the sentence that shares the
most of the question's rare words is the *anchor* (Azure question answering
calls this precise answering). It is quoted first; the FAQ's quotes follow,
most relevant first, at most :data:`MAX_QUOTES` in all. Every quote stays
verbatim and cited.

Scores are BM25 over the article's sentences (:mod:`assistant.answering.sentences`),
so "124" or "Steadman" count for much and "pain" for little.
"""

from __future__ import annotations

from dataclasses import dataclass

from rank_bm25 import BM25Okapi

from assistant.answering.details import asked_details, detail_factor
from assistant.answering.lay_terms import expanded
from assistant.answering.sentences import Sentence, sentences
from assistant.faq import Faq
from assistant.knowledge import Article, get_article
from assistant.retrieval import MAX_QUERY_WORDS, tokens
from assistant.text import collapse_space

MAX_QUOTES = 3
# Lines before and after an FAQ quote's line whose sentences may be the anchor.
NEIGHBOURHOOD = 3
# An anchor must score at least this (BM25) and beat the FAQ's best quote by
# this factor; below, the FAQ's own quotes are the best there is.
ANCHOR_MIN = 3.0
ANCHOR_GAIN = 1.2
# A follow-up asking for a kind of detail needs only a shared word (choose_quotes).
FOLLOWUP_ANCHOR_MIN = 0.3


@dataclass(frozen=True)
class Quote:
    text: str
    ref: int | None
    article: str | None


class SentenceIndex:
    """BM25 over one article's sentences."""

    def __init__(self, article: Article):
        self.article = article
        self.sentences = sentences(article)
        documents = [tokens(s.text) or ["_"] for s in self.sentences]
        self._bm25 = BM25Okapi(documents)
        self.idf: dict[str, float] = dict(self._bm25.idf)

    def scores(self, question: str) -> list[float]:
        query = expanded(tokens(question)[:MAX_QUERY_WORDS])
        if not query:
            return [0.0] * len(self.sentences)
        return list(self._bm25.get_scores(query))

    def detail_scores(self, question: str) -> list[float]:
        """BM25 scores, raised for sentences holding the kind of detail asked (answering.details)."""
        scores = self.scores(question)
        details = asked_details(question)
        if not details:
            return scores
        return [score * detail_factor(details, s.text) if score > 0 else score
                for s, score in zip(self.sentences, scores, strict=True)]

    def lines_of(self, quote: str) -> set[int]:
        """The body lines a verbatim quote lies in (a quote may span two sentences)."""
        needle = collapse_space(quote)
        return {s.line for s in self.sentences if s.text in needle or needle in s.text}

    def around(self, lines: set[int], reach: int = NEIGHBOURHOOD) -> list[Sentence]:
        near = {n for line in lines for n in range(line - reach, line + reach + 1)}
        return [s for s in self.sentences if s.line in near]


_indexes: dict[str, SentenceIndex] = {}


def index_for(article: Article) -> SentenceIndex:
    index = _indexes.get(article.slug)
    if index is None or index.article is not article:
        index = _indexes[article.slug] = SentenceIndex(article)
    return index


def choose_quotes(question: str, faq: Faq, followup: bool = False, study: int | None = None) -> list[Quote]:
    """The FAQ's quotes for this question: the anchor first when one is found, at most MAX_QUOTES.

    A follow-up ("how many patients were in it?") is short, so its scores are
    low: when it asks for a kind of detail (assistant.answering.details), the
    anchor is the best sentence holding such a detail that shares a word with
    it, without the ANCHOR_MIN a whole question must reach. ``study``: the study
    the answer before cited first; such a detail is looked for in it before the
    FAQ's first source.
    """
    own = [Quote(s.quote, s.ref, s.article) for s in faq.sources]
    if not question.strip() or not own:
        return own[:MAX_QUOTES]
    article = get_article(own[0].article)
    index = index_for(article)
    scores = index.detail_scores(question)
    by_text = {s.text: scores[s.number] for s in index.sentences}

    def score_of(quote: Quote) -> float:
        """The best sentence the quote holds or lies in (quotes may cut a sentence short)."""
        needle = collapse_space(quote.text)
        return max((v for t, v in by_text.items() if t in needle or needle in t), default=0.0)

    ranked = sorted(own, key=score_of, reverse=True)
    lines = set().union(*(index.lines_of(q.text) for q in own if (q.article or None) == own[0].article))
    candidates = index.around(lines)
    # The other sentences that report the same study: "how many patients?" about a study the FAQ cites.
    studies = {q.ref for q in own if q.ref} | ({study} if study else set())
    candidates += [s for s in index.sentences
                   if studies & set(s.refs) and s.article == article.slug and s not in candidates]
    details = asked_details(question) if followup else ()
    if details:
        # "How old?" or "what year?" shares no word with "average age 55 years" or "July 2017":
        # a sentence of the study discussed that holds such a detail needs none.
        scores = [max(v, FOLLOWUP_ANCHOR_MIN) if studies & set(s.refs) else v
                  for s, v in zip(index.sentences, scores, strict=True)]
        holding = [s for s in candidates if scores[s.number] > 0 and detail_factor(details, s.text) > 1]
        # "Which journal was that in?": the journal of the study the answer before quoted first (else
        # the FAQ's first source), not of a neighbouring study that shares the word "journal".
        primary = [s for s in holding if (study or own[0].ref) in s.refs]
        candidates = primary or holding or candidates
    anchor = max(candidates, key=lambda s: scores[s.number], default=None)
    # A quote may be a fragment of the anchor's sentence that leaves the detail asked out
    # ("researchers looked at ..." without "from The Steadman Clinic"): then the whole sentence leads.
    best_own = score_of(ranked[0]) if not details or detail_factor(details, ranked[0].text) > 1 else 0.0
    if (anchor is None or scores[anchor.number] < (FOLLOWUP_ANCHOR_MIN if details else ANCHOR_MIN)
            or scores[anchor.number] < ANCHOR_GAIN * best_own
            or any(anchor.text in collapse_space(q.text) for q in own)):
        return ranked[:MAX_QUOTES]
    lead = Quote(anchor.text, anchor.refs[0] if anchor.refs else None, own[0].article)
    return [lead, *(q for q in ranked if collapse_space(q.text) not in anchor.text)][:MAX_QUOTES]
