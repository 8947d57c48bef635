"""How text is compared and folded: every normaliser of the project, each for one purpose.

- :func:`fold` is what the red-flag rules (assistant/triage.py) and the
  learned text models (assistant/text_model.py) read: lower case,
  compatibility forms (NFKC: full-width letters, ligatures), curly
  apostrophes as straight ones, single spaces.
- :func:`phrase_key` says when two phrasings are the same question (duplicate
  and leak checks of the training data and the evaluation sets).
- :func:`collapse_space` is the only folding a quote may differ by from the
  article and still count as verbatim.
- :func:`collapse_punctuation_runs` is what the NLU pipeline's classifiers
  read (assistant/nlu_components.py, ``PunctuationRuns``).
- :func:`asks` says whether a sentence is shaped as a question.
- :func:`fold_accents` is what the red-flag rules read: :func:`fold`, then
  accents dropped, so a Spanish rule matches "orinar" written with or
  without them ("sangró", "sangro").
"""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")
_PUNCTUATION_RUN = re.compile(r"([?!.,;:])\1+")
_ASKS = re.compile(r"\?\s*$|^(what|how|why|when|where|which|who|whose|is|are|was|were|do|does|did|can|could|"
                   r"would|will|should|shall|may|might|has|have|any|anything)\b")


def fold(text: str) -> str:
    """Lower-case, fold compatibility forms and curly apostrophes, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split())


def fold_accents(text: str) -> str:
    """:func:`fold`, then every accent and tilde dropped ("dormída" -> "dormida", "año" -> "ano")."""
    decomposed = unicodedata.normalize("NFD", fold(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def phrase_key(text: str) -> str:
    """Folded, punctuation-free: "Is PRP safe?" and "is prp safe" are one phrasing."""
    return _NOT_ALPHANUMERIC.sub(" ", fold(text)).strip()


def collapse_space(text: str) -> str:
    """Every run of whitespace (incl. no-break spaces) as one space; nothing else changes.

    The page text has line breaks, bullets' indentation and no-break spaces in
    arbitrary places; a quote is "verbatim" if it matches modulo whitespace.
    """
    return _WHITESPACE.sub(" ", text).strip()


def collapse_punctuation_runs(text: str) -> str:
    """"Is PRP safe???" as "Is PRP safe?": a run of one mark as the mark once.

    Worried visitors repeat question marks; the classifiers saw few such runs in
    training, and "???" appended to development set 1's questions cost six
    points of answers (docs/nlu.md, step 12). "..." becomes "." the same way.
    """
    return _PUNCTUATION_RUN.sub(r"\1", text)


def asks(sentence: str) -> bool:
    """The sentence ends in "?" or opens like a question ("did they stop ...").

    Visitors often leave the question mark off; the opening word is then the
    only sign that a sentence asks rather than tells.
    """
    return bool(_ASKS.search(fold(sentence)))
