"""Questions written in Spanish, or in English with Spanish mixed in, read through an English gloss.

The clinic's visitors include Spanish speakers, and the classifiers, the
retrieval and the check for words nothing here knows are all English: "cuantas
veces necesito el tratamiento y cada cuanto tiempo?" was declined, and so was
"is possible to evitar the surgery?" (an unknown word). There is no
translation model that runs offline in this stack, and the article's
vocabulary is small, so a message that reads as Spanish is glossed word by
word with ``data/knowledge/spanish_words.yml`` ("how many times need the
treatment and how often?"): enough for the classifiers and the lexical layers
to find the passage. The reply stays in English; the triage reads the
message as typed (its rules have Spanish patterns of their own).
"""

from __future__ import annotations

import re
from functools import lru_cache

import yaml
from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH_STOP_WORDS
from spacy.lang.es.stop_words import STOP_WORDS as SPANISH_STOP_WORDS

from assistant.paths import DATA_DIR
from assistant.text import fold_accents

SPANISH_WORDS_FILE = DATA_DIR / "knowledge" / "spanish_words.yml"
# Set in the parse of a message read through its gloss: the words the gloss left in Spanish
# are not evidence of a subject the article does not discuss (assistant.answering.decision_for).
READ_AS_SPANISH = "read_as_spanish"
# A message reads as Spanish when at least this many of its words are Spanish function
# words that English does not use ("el", "que", "para", "cuantos"), and they are at least
# this share of its words: "I read about PRP para the SI joint" stays English.
MIN_SPANISH_WORDS = 2
MIN_SPANISH_SHARE = 0.2
# The longest phrase in the word list, in words.
_MAX_PHRASE = 5

_WORD = re.compile(r"[a-z0-9]+")
# Spanish function words that are English words or names here too: "SI joint", "the VA study".
# And chat English: "can u", "ya know", "yo", "ha", "USA", "dos and don'ts".
SHARED_WITH_ENGLISH = frozenset({"si", "va", "e", "o", "sea", "van", "anterior", "final", "son", "dan",
                                 "era", "fin", "gran", "solo", "u", "usa", "uso", "ya", "yo", "ha", "tan",
                                 "tal", "ti", "te", "tu", "su", "dos", "mal", "ver", "ir", "mia", "mio"})
SPANISH_FUNCTION_WORDS = frozenset(fold_accents(w) for w in SPANISH_STOP_WORDS)
_SPANISH_ONLY = SPANISH_FUNCTION_WORDS - frozenset(ENGLISH_STOP_WORDS) - SHARED_WITH_ENGLISH


@lru_cache(maxsize=1)
def glossary() -> dict[tuple[str, ...], str]:
    """Spanish word or phrase (accent-folded words) -> its English."""
    data = yaml.safe_load(SPANISH_WORDS_FILE.read_text(encoding="utf-8")) or {}
    found: dict[tuple[str, ...], str] = {}
    for english, spanish in data.items():
        for phrase in spanish or []:
            found[tuple(_WORD.findall(fold_accents(str(phrase))))] = str(english)
    return found


def reads_as_spanish(text: str) -> bool:
    """Enough Spanish function words, and a large enough share of them, to read it as Spanish."""
    words = _WORD.findall(fold_accents(text))
    spanish = sum(word in _SPANISH_ONLY for word in words)
    return spanish >= MIN_SPANISH_WORDS and spanish >= MIN_SPANISH_SHARE * len(words)


def gloss(text: str) -> str:
    """The text's words in English where the word list knows them, longest phrase first.

    Words it does not know are kept (most of the article's terms are shared,
    "prolotherapy", "PRP", "sacroiliitis", or written in English anyway), except
    Spanish function words, which name no subject.
    """
    words = _WORD.findall(fold_accents(text))
    known = glossary()
    out: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(_MAX_PHRASE, len(words) - i), 0, -1):
            english = known.get(tuple(words[i:i + size]))
            if english is not None:
                out.append(english)
                i += size
                break
        else:
            if words[i] not in _SPANISH_ONLY:  # "este", "pero", "fue": no subject, and no English word
                out.append(words[i])
            i += 1
    ending = "?" if text.rstrip().endswith("?") else ""
    return " ".join(out) + ending


def english_reading(text: str) -> str | None:
    """The gloss of a message that reads as Spanish, else None (the text is read as it is)."""
    return gloss(text) if reads_as_spanish(text) else None
