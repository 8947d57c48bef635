"""Decide what to do with a parsed message: answer, clarify or decline.

Shared by the action server and ``make eval`` so the evaluation measures the
exact behaviour visitors get. Thresholds were tuned with `make eval ARGS=--sweep`
(see docs/nlu.md); raise answer_min to make the bot more cautious.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FAQ_INTENT = "faq"
ANSWER = "answer"
CLARIFY = "clarify"
FALLBACK = "fallback"

MAX_OPTIONS = 3


@dataclass(frozen=True)
class Thresholds:
    answer_min: float = 0.30   # top FAQ confidence needed to answer outright
    margin: float = 0.10       # ... and how far ahead of the runner-up it must be
    clarify_min: float = 0.20  # below this, the bot declines instead of asking


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Decision:
    kind: str
    topic: str | None = None
    confidence: float = 0.0
    options: tuple[str, ...] = field(default_factory=tuple)


def faq_ranking(parse_data: dict[str, Any]) -> list[tuple[str, float]]:
    """(faq id, confidence) pairs, best first, from the ResponseSelector output."""
    selector = (parse_data.get("response_selector") or {}).get(FAQ_INTENT) or {}
    ranking = selector.get("ranking") or []
    result = []
    for item in ranking:
        key = item.get("intent_response_key") or ""
        if key.startswith(f"{FAQ_INTENT}/"):
            result.append((key.split("/", 1)[1], float(item.get("confidence") or 0.0)))
    return result


def decide(parse_data: dict[str, Any], known_topics: set[str] | None = None,
           thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Decision:
    """Pick the FAQ to answer, the FAQs to offer, or decline."""
    intent = (parse_data.get("intent") or {}).get("name")
    if intent != FAQ_INTENT:
        return Decision(FALLBACK)
    ranking = [(t, c) for t, c in faq_ranking(parse_data)
               if known_topics is None or t in known_topics]
    if not ranking:
        return Decision(FALLBACK)
    top, confidence = ranking[0]
    runner_up = ranking[1][1] if len(ranking) > 1 else 0.0
    if confidence >= thresholds.answer_min and confidence - runner_up >= thresholds.margin:
        return Decision(ANSWER, top, confidence)
    if confidence >= thresholds.clarify_min:
        # A lone, unconfident guess is offered as "Did you mean ...?" too:
        # a wrong answer with a quote attached would look authoritative.
        options = tuple(t for t, c in ranking[:MAX_OPTIONS] if c >= thresholds.clarify_min)
        return Decision(CLARIFY, top, confidence, options)
    return Decision(FALLBACK, top, confidence)
