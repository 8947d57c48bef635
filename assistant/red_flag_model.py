"""The learned layer of red-flag detection: a small classifier next to the rules.

The rules in ``data/safety/red_flags.yml`` are precise and explainable, but
people in distress do not use fixed phrasings. This classifier is trained on
``data/safety/examples.yml`` (urgent messages labelled by kind, and ordinary
messages that mention pain, numbness, falls or surgery without being urgent)
plus every FAQ and small-talk phrasing as a negative. Its threshold is set for
recall (docs/nlu.md): a false alarm costs one extra paragraph, a miss can cost
a life.

Why a separate scikit-learn model and not an ``urgent_symptom`` intent in
DIET: a binary "is this urgent" score with its own threshold can be tuned for
recall without moving the FAQ classifier, it trains in seconds, and it is the
same object in the NLU pipeline, the tests and ``make eval-safety``.

Features and caching: :mod:`assistant.text_model`. A message is scored as a
whole and sentence by sentence, so a red flag buried in a long question about
prolotherapy is not averaged away.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np
import yaml

from assistant.paths import PROJECT_ROOT
from assistant.safety_sets import checkin_kind, development_files, development_set
from assistant.text_model import (
    EVERYDAY_FILE,
    NgramVectorClassifier,
    cached,
    everyday_requests,
    nlu_examples,
    source_digest,
)

EXAMPLES_FILE = PROJECT_ROOT / "data" / "safety" / "examples.yml"
NONE = "none"

# Probability that a message is urgent (1 - P(none)) at or above which it is
# sent to urgent care: the highest at which the development sets keep every
# red flag (docs/safety.md).
THRESHOLD = float(os.environ.get("RED_FLAG_THRESHOLD", "0.35"))

# Every n-th of CLINC150's everyday requests is a negative example (all 14,000
# took three minutes to train and shifted the model towards "none").
EVERYDAY_STEP = 4

# Bump when features or the model change, so cached models are rebuilt.
MODEL_VERSION = "2"

# Where a long message is cut into parts that are scored on their own.
_SPLIT = re.compile(r"(?:[.!?;\n]+|\s[-\u2013\u2014]\s"
                    r"|,?\s(?:but|also|btw|plus|and also|anyway|by the way|oh and)\s)", re.IGNORECASE)
_MIN_SEGMENT_WORDS = 3


@dataclass(frozen=True)
class Score:
    """How urgent the classifier finds a message, and of which kind."""

    urgent: float                     # 1 - P(none), the highest over the message's parts
    kinds: tuple[tuple[str, float], ...]  # (kind, probability) best first, for the part scored highest
    segment: str                      # the part that scored highest

    def flagged(self, threshold: float = THRESHOLD) -> bool:
        return self.urgent >= threshold

    def likely_kinds(self, share: float = 0.35) -> tuple[str, ...]:
        """The top kind, plus any other kind with at least ``share`` of its probability."""
        if not self.kinds:
            return ()
        top = self.kinds[0][1]
        return tuple(k for k, p in self.kinds if p >= share * top)


def segments(text: str) -> list[str]:
    """The whole message first, then its sentences and clauses of a few words or more."""
    parts = [p.strip() for p in _SPLIT.split(text) if p and p.strip()]
    parts = [p for p in parts if len(p.split()) >= _MIN_SEGMENT_WORDS]
    return [text, *[p for p in parts if p != text]]


def load_examples(path: Path = EXAMPLES_FILE,
                  with_development_sets: bool = True) -> tuple[list[str], list[str]]:
    """(texts, labels) from the examples file, plus FAQ and small-talk phrasings as ``none``.

    Also every EVERYDAY_STEP-th of CLINC150's train-split requests to other
    assistants (the out-of-domain detector's examples) as ``none``: "I think my
    luggage got lost" or "I no longer want this phone to sync" once read as a crisis.

    And the development sets (:mod:`assistant.safety_sets`): red flags under
    their kind, look-alikes as ``none``, check-in cases as distress. Written by
    independent writers in visitors' words, they took the sealed sets' right
    grade from 95.1-97.4% to 97.5-98.9% and their check-in from 86-95% to
    94-98% (docs/safety.md); the sealed sets stay the measure.
    """
    from assistant.faq import load_faqs  # the FAQ source is the other half of the negatives

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts: list[str] = []
    labels: list[str] = []
    for kind, examples in (data.get("urgent") or {}).items():
        texts += examples
        labels += [kind] * len(examples)
    ordinary = list(data.get("ordinary") or [])
    ordinary += [p for faq in load_faqs() for p in faq.phrasings]
    ordinary += [e for examples in nlu_examples().values() for e in examples]
    ordinary += everyday_requests()[::EVERYDAY_STEP]
    if with_development_sets:
        cases, look_alikes, checkin = development_set()
        texts += [case.text for case in cases] + checkin
        labels += [case.kind for case in cases] + [checkin_kind()] * len(checkin)
        ordinary += look_alikes
    texts += ordinary
    labels += [NONE] * len(ordinary)
    return texts, labels


def load_examples_by_kind(path: Path = EXAMPLES_FILE) -> dict[str, int]:
    """How many urgent examples each kind has (docs/safety.md's catalogue table)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {kind: len(examples or []) for kind, examples in (data.get("urgent") or {}).items()}


class RedFlagModel(NgramVectorClassifier):
    """Multinomial: ``none`` or one of the urgent kinds."""

    def score_many(self, texts: Iterable[str]) -> list[Score]:
        """Score each message on its own parts; one batch for all of them."""
        texts = list(texts)
        parts = [segments(t) for t in texts]
        flat = [p for ps in parts for p in ps]
        if not flat:
            return []
        probs = self.probabilities(flat)
        classes = self.classes
        none = classes.index(NONE)
        scores, i = [], 0
        for ps in parts:
            block = probs[i:i + len(ps)]
            i += len(ps)
            best = int(np.argmax(1 - block[:, none]))
            row = block[best]
            kinds = sorted(((c, float(row[j])) for j, c in enumerate(classes) if j != none),
                           key=lambda kp: -kp[1])
            scores.append(Score(float(1 - row[none]), tuple(kinds), ps[best]))
        return scores

    def score(self, text: str) -> Score:
        return self.score_many([text])[0]


def data_hash() -> str:
    """Changes whenever the examples, the FAQ phrasings or this model's code change."""
    return source_digest(MODEL_VERSION, [EXAMPLES_FILE, EVERYDAY_FILE, Path(__file__), *development_files(),
                                         *sorted((PROJECT_ROOT / "data" / "faq").glob("*.yml")),
                                         *sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml"))])


def train() -> RedFlagModel:
    """Fit on whole messages, plus each part of every ordinary message as ``none``.

    Messages are scored part by part (:func:`segments`), so the model must
    also learn that "I'm 45 and just started having back trouble", cut out of
    an ordinary question, is not urgent. Parts of urgent messages are left
    out: the urgent sentence is only one of them.
    """
    texts, labels = load_examples()
    ordinary = [text for text, label in zip(texts, labels, strict=True) if label == NONE]
    parts = [part for text in ordinary for part in segments(text)[1:]]
    return RedFlagModel().fit(texts + parts, labels + [NONE] * len(parts))


@lru_cache(maxsize=1)
def load_model() -> RedFlagModel:
    """The trained model, from ``var/cache`` when the data has not changed."""
    return cached("red_flags", data_hash(), train)
