"""The article's own passages as answers, when no FAQ fits but one passage clearly does.

The FAQs cover what visitors ask most; the article says more (a study's
setting, a ligament's role, a detail of a procedure). A question the FAQ
classifier and retrieval cannot place, but whose words single out one
paragraph of a knowledge text, is answered with that paragraph verbatim and
the studies it cites (``topic: passage`` in the reply, docs/nlu.md).

Passages are the paragraphs and list items of each knowledge text
(``data/knowledge``), without the title, byline, headings and reference list.
Each is indexed with BM25 together with the reference lines it cites, so a
question naming a cited study's journal, year or authors finds the paragraph
that reports it. The index is built from the files at start-up (milliseconds).

Off unless ``PASSAGE_ANSWERS=on``: on the development sets it answered 4 of
591 questions and gained one in-scope hit, within noise (docs/nlu.md, step
10), so the visitors' bot does not take the risk of quoting the article to
an off-topic question for it. ``make eval ARGS=--passage-sweep`` measures it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from rank_bm25 import BM25Okapi

from assistant.faq import faq_index
from assistant.knowledge import Article, load_articles
from assistant.retrieval import MAX_QUERY_WORDS, softmax, tokens
from assistant.text import collapse_space

# "(18)" or "Surgery(3)" after a claim: the article's citation marks.
_CITATION = re.compile(r"\((\d{1,3})\)")
# Lines shorter than this are headings, bylines or captions, not answers.
MIN_PASSAGE_WORDS = 20
# Softmax temperature over the passages' BM25 scores (as in assistant.retrieval).
TEMPERATURE = 1.0


def enabled() -> bool:
    """Whether the action server (and ``make eval``) answer with passages: ``PASSAGE_ANSWERS=on``."""
    return os.environ.get("PASSAGE_ANSWERS", "off").strip().lower() in {"on", "1", "true", "yes"}


@dataclass(frozen=True)
class Passage:
    article: str  # knowledge text slug
    number: int  # its position among the text's passages, from 0
    text: str  # verbatim (whitespace collapsed)
    refs: tuple[int, ...]  # the article's reference numbers it cites, in order


def passages(article: Article) -> list[Passage]:
    """The paragraphs and list items of one knowledge text that can stand as an answer."""
    found: list[Passage] = []
    body = article.text
    reference_start = _reference_list_start(article)
    if reference_start is not None:
        body = body[:reference_start]
    for line in body.splitlines():
        text = collapse_space(line.replace("\u2022", " "))
        if len(text.split()) < MIN_PASSAGE_WORDS or text == collapse_space(article.title):
            continue
        refs = tuple(dict.fromkeys(int(n) for n in _CITATION.findall(text) if int(n) in article.references))
        found.append(Passage(article.slug, len(found), text, refs))
    return found


def _reference_list_start(article: Article) -> int | None:
    """Where the numbered reference list begins (its first entry), if there is one."""
    if not article.references:
        return None
    first = article.references[1]
    position = article.text.find(first)
    return None if position < 0 else article.text.rfind("\n", 0, position) + 1


class PassageRetriever:
    """BM25 over the passages (with their cited references); scores are a softmax over passages."""

    def __init__(self, articles: tuple[Article, ...]):
        self.passages = [p for article in articles for p in passages(article)]
        references = {a.slug: a.references for a in articles}
        documents = [tokens(" ".join([p.text, *(references[p.article][r] for r in p.refs)]))
                     for p in self.passages]
        self._bm25 = BM25Okapi(documents) if documents else None

    def best(self, text: str) -> tuple[Passage, float, float] | None:
        """The best passage, its share of the softmax and the runner-up's (None if nothing matches)."""
        query = tokens(text)[:MAX_QUERY_WORDS]
        if not query or self._bm25 is None:
            return None
        shares = softmax(self._bm25.get_scores(query), TEMPERATURE)
        if not shares:
            return None
        ranked = sorted(range(len(shares)), key=lambda i: -shares[i])
        runner_up = shares[ranked[1]] if len(ranked) > 1 else 0.0
        return self.passages[ranked[0]], shares[ranked[0]], runner_up


_built: tuple[tuple[Article, ...], PassageRetriever] | None = None


def default_passage_retriever() -> PassageRetriever:
    """The index over data/knowledge as the action server sees it (rebuilt when a text changes)."""
    global _built
    faq_index()  # reloads the knowledge texts when a file changed, as the FAQs' quotes need
    articles = load_articles()
    if _built is None or _built[0] is not articles:
        _built = (articles, PassageRetriever(articles))
    return _built[1]
