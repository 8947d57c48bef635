"""Out-of-domain detector: is a message about the clinic's topics at all?

DIET learns ``faq`` from 1,200+ phrasings and ``out_of_scope`` from a few
hundred near-misses, so an everyday request to some other assistant ("set a
timer", "what does amicable mean", "book an appointment for an oil change")
lands confidently on ``faq`` or ``book_appointment``, and the visitor gets an
article quote or the booking form. Adding thousands of such requests to DIET's
``out_of_scope`` cost in-scope answers (docs/nlu.md); a binary model of its
own, with its own threshold, does not move the FAQ classifier.

Trained on this bot's own messages (FAQ phrasings, booking requests, the
safety examples) against the everyday requests of CLINC150's *train* split
(``data/out_of_domain/clinc150_train.txt``; its test split is only ever used
by ``make eval-clinc``) plus the ``out_of_scope`` examples. The threshold is
high, chosen on the development sets and CLINC150's validation split: a
clinic question wrongly called out of domain loses an answer, so only
messages the model is sure about are declined (docs/nlu.md). And a message
that uses a word of this bot's own that no everyday request ever uses ("PRP",
"sacroiliac", "fusion", "buttock") is never declined by this model, however
much travel or scheduling talk surrounds it ("I'm going on vacation next
month, can I get PRP before?"); DIET and the thresholds decide those.
"""

from __future__ import annotations

import os
from collections import Counter
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.paths import PROJECT_ROOT
from assistant.red_flag_model import EXAMPLES_FILE as SAFETY_FILE
from assistant.retrieval import tokens
from assistant.text_model import (
    EVERYDAY_FILE,
    NgramVectorClassifier,
    cached,
    everyday_requests,
    nlu_examples,
    source_digest,
)

IN, OUT = "in", "out"
# Intents of this bot whose examples say what "in domain" looks like.
IN_DOMAIN_INTENTS = ("book_appointment",)
# P(out of domain) at or above which a message DIET took for an FAQ question
# or a booking request is declined instead (docs/nlu.md).
THRESHOLD = float(os.environ.get("OUT_OF_DOMAIN_THRESHOLD", "0.8"))
MODEL_VERSION = "1"
# A word of ours counts as this bot's own when this many of our examples use
# it and none of the everyday requests does.
DOMAIN_TERM_MIN_USES = 3


def load_examples() -> tuple[list[str], list[str]]:
    """(texts, labels): the bot's own messages as ``in``, everyday requests and declines as ``out``."""
    from assistant.faq import load_faqs

    nlu = nlu_examples()
    safety = yaml.safe_load(SAFETY_FILE.read_text(encoding="utf-8"))
    inside = [p for faq in load_faqs() for p in faq.phrasings]
    inside += [e for intent in IN_DOMAIN_INTENTS for e in nlu.get(intent, [])]
    inside += [e for examples in (safety.get("urgent") or {}).values() for e in examples]
    inside += list(safety.get("ordinary") or [])
    outside = everyday_requests() + nlu.get("out_of_scope", [])
    return inside + outside, [IN] * len(inside) + [OUT] * len(outside)


class DomainModel(NgramVectorClassifier):
    """Binary, classes weighted: the everyday requests outnumber ours four to one."""

    def __init__(self) -> None:
        super().__init__(C=10.0, class_weight="balanced")
        self.domain_terms: frozenset[str] = frozenset()

    def out_of_domain(self, texts: list[str]) -> list[float]:
        """P(out of domain) per text; 0 for a text with a word of this bot's own."""
        if not texts:
            return []
        column = self.classes.index(OUT)
        return [0.0 if self.domain_terms & set(tokens(text)) else float(p)
                for text, p in zip(texts, self.probabilities(texts)[:, column], strict=True)]


def data_hash() -> str:
    return source_digest(MODEL_VERSION, [EVERYDAY_FILE, SAFETY_FILE, Path(__file__),
                                         *sorted((PROJECT_ROOT / "data" / "faq").glob("*.yml")),
                                         *sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml"))])


def domain_terms(ours: list[str], everyday: list[str]) -> frozenset[str]:
    """Stemmed words our examples use often and no everyday request uses at all.

    Compared with the everyday requests only: our own out-of-scope examples
    ("PRP for my knee") share the article's words on purpose.
    """
    uses = Counter(word for text in ours for word in set(tokens(text)))
    elsewhere = {word for text in everyday for word in tokens(text)}
    return frozenset(w for w, n in uses.items() if n >= DOMAIN_TERM_MIN_USES and w not in elsewhere)


def train() -> DomainModel:
    texts, labels = load_examples()
    model = DomainModel()
    model.fit(texts, labels)
    ours = [text for text, label in zip(texts, labels, strict=True) if label == IN]
    model.domain_terms = domain_terms(ours, everyday_requests())
    return model


@lru_cache(maxsize=1)
def load_model() -> DomainModel:
    """The fitted model, from ``var/cache`` when the data has not changed (trains in ~15 s)."""
    return cached("out_of_domain", data_hash(), train)
