"""Words the assistant knows: a question with a word outside them asks about something else.

The classifiers place "can I drink alcohol after prolo shots?" under the FAQ
on recovery: every other word of it is about prolotherapy. The article says
nothing about alcohol, and an answer about recovery with its quotes would
read as if it did. The known words are the article's, the FAQs' (titles,
answers, phrasings: what visitors were seen to ask), the clinic's facts and
the visitors' words for the article's terms (``data/knowledge/lay_terms.yml``)
and everyday chat words that name no subject (``data/knowledge/chat_words.yml``),
the Spanish words visitors mix in (``data/knowledge/spanish_words.yml`` and
Spanish function words, :mod:`assistant.spanish`), all stemmed, accents
dropped; a word within a typo of a known one is known ("injecton").

Only the question is checked (:func:`question_part`): the sentences that
ask, not the story around them. Measured on the development sets
(docs/nlu.md).
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

import yaml

from assistant.answering.lay_terms import LAY_TERMS_FILE
from assistant.clinic import CLINIC_FILE
from assistant.faq import Faq, faq_index
from assistant.knowledge import load_articles
from assistant.paths import PROJECT_ROOT
from assistant.retrieval import MAX_QUERY_WORDS, tokens
from assistant.spanish import SPANISH_FUNCTION_WORDS, glossary
from assistant.text import fold_accents

# A word at least this long within this similarity of a known word is a typo of it.
TYPO_MIN_LENGTH = 4
TYPO_CUTOFF = 0.8
# Unknown words that decline an FAQ answer. A message read through its Spanish gloss
# (assistant.spanish) keeps the Spanish words the gloss does not know ("entrevistan",
# "tuvieron"), which name no other subject: there it takes two (docs/nlu.md).
UNKNOWN_LIMIT = 1
SPANISH_UNKNOWN_LIMIT = 2
# A message without a question mark is checked whole only when it is this short.
SHORT_MESSAGE_WORDS = 12
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
# Everyday chat words that name no subject ("gimmick", "gonna", "anybody").
CHAT_WORDS_FILE = PROJECT_ROOT / "data" / "knowledge" / "chat_words.yml"


@lru_cache(maxsize=4)
def _known(faqs: tuple[Faq, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    words: set[str] = set()
    for article in load_articles():
        words.update(tokens(article.normalised))
    for faq in faqs:
        words.update(tokens(" ".join([faq.title, faq.answer, *faq.phrasings])))
    for path in (LAY_TERMS_FILE, CLINIC_FILE):
        words.update(tokens(path.read_text(encoding="utf-8")))
    # Its lists only: its comments name subjects that must stay unknown ("alcohol").
    chat = yaml.safe_load(CHAT_WORDS_FILE.read_text(encoding="utf-8")) or {}
    words.update(tokens(fold_accents(" ".join(str(w) for group in chat.values() for w in group))))
    # Spanish mixed into English: the word list's words stand for English ones here
    # ("dolor", "cadera"), and Spanish function words name no subject ("que", "para").
    words.update(tokens(" ".join(" ".join(phrase) for phrase in glossary())))
    words.update(tokens(" ".join(SPANISH_FUNCTION_WORDS)))
    return frozenset(words), tuple(sorted(words))


def known_words() -> tuple[frozenset[str], tuple[str, ...]]:
    """The known stems (rebuilt when the FAQs change), as a set and a sorted tuple."""
    return _known(tuple(faq_index().values()))


def question_part(text: str) -> str:
    """The sentences that ask (end in "?"); a short message without one is all question.

    A visitor's story around the question ("my mother had her hip replaced in
    2019, then ...") holds words no FAQ uses and says nothing about what is
    asked; a long message with no question mark is not checked at all.
    """
    asking = [s for s in _SENTENCE.split(text) if s.rstrip().endswith("?")]
    if asking:
        return " ".join(asking)
    return text if len(tokens(text)) <= SHORT_MESSAGE_WORDS else ""


def unknown_words(text: str) -> list[str]:
    """The question's content words (stemmed) that nothing the assistant knows uses."""
    known, ordered = known_words()
    found = []
    for word in tokens(fold_accents(question_part(text)))[:MAX_QUERY_WORDS]:
        if word in known or word.isdigit():
            continue
        if len(word) >= TYPO_MIN_LENGTH and difflib.get_close_matches(word, ordered, n=1, cutoff=TYPO_CUTOFF):
            continue
        found.append(word)
    return found
