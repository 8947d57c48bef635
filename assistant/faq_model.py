"""A second FAQ classifier beside the ResponseSelector, trained on the same phrasings.

The ResponseSelector spreads its confidence thinly over 40 FAQs: for "do
steroid injections work for SI joint pain" or "prolothearpy for sacroilliac
joint pain does it work" its best guess scored 0.09-0.16 and was often the
same FAQ whatever was asked, so the question was declined. A logistic
regression over word and character n-grams and spaCy's word vectors
(:class:`assistant.text_model.NgramVectorClassifier`, the model the red-flag
and out-of-domain detectors use) learns from the same phrasings in seconds
and ranks differently: misspellings through character n-grams, synonyms
through the vectors. :func:`assistant.routing.faq_ranking` blends the two
rankings (weight chosen on the development sets, docs/nlu.md).

It is trained by :class:`assistant.nlu_components.FaqClassifier` with the
rest of the pipeline and stored in the model archive, so a rolled-back model
brings back its own FAQ classifier, and the parse carries its ranking under
:data:`RANKING_KEY` for the action server.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.text_model import NgramVectorClassifier

RANKING_KEY = "faq_classifier"
# As many FAQs as the ResponseSelector reports (Rasa's ranking_length default).
RANKING_LENGTH = 10


def train(texts: Sequence[str], labels: Sequence[str]) -> NgramVectorClassifier | None:
    """The classifier for these phrasings, or None when there are fewer than two FAQs to tell apart."""
    if len(set(labels)) < 2:
        return None
    return NgramVectorClassifier().fit(list(texts), list(labels))


def rankings(model: NgramVectorClassifier, texts: Sequence[str]) -> list[list[dict[str, float | str]]]:
    """Per text, its best :data:`RANKING_LENGTH` FAQs as ``{"id", "confidence"}``, best first."""
    if not texts:
        return []
    found = []
    for row in model.probabilities(list(texts)):
        best = sorted(zip(model.classes, row, strict=True), key=lambda pair: -pair[1])[:RANKING_LENGTH]
        found.append([{"id": faq_id, "confidence": round(float(p), 4)} for faq_id, p in best])
    return found
