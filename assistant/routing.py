"""Decide what to do with a parsed message: answer, clarify or decline.

Shared by the action server and ``make eval`` so the evaluation measures the
exact behaviour visitors get. The ResponseSelector's ranking is blended with
lexical retrieval over the FAQ source (:mod:`assistant.retrieval`) when a
retriever is given. Thresholds were tuned with `make eval ARGS=--sweep`
(see docs/nlu.md); raise answer_min to make the bot more cautious.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.faq_model import RANKING_KEY
from assistant.reply_kinds import ReplyKind

FAQ_INTENT = "faq"
ANSWER, CLARIFY, FALLBACK = ReplyKind.ANSWER, ReplyKind.CLARIFY, ReplyKind.FALLBACK

MAX_OPTIONS = 3
# Share of the FAQ ranking that comes from the second FAQ classifier
# (assistant.faq_model, its ranking under RANKING_KEY in the parse); the rest
# is the ResponseSelector's. Chosen on the development sets (docs/nlu.md).
CLASSIFIER_WEIGHT = 0.7
# Share of the blended score that comes from retrieval; the rest is the
# ResponseSelector's confidence (chosen on the development sets, docs/nlu.md).
RETRIEVAL_WEIGHT = 0.4
# An FAQ served from the index alone (assistant.served.index_faqs: added by
# `make retrain`, its full training not finished) is answered when retrieval
# puts it first with at least this share of the scores.
INDEX_ANSWER_MIN = 0.6
# Intents under which such an FAQ may be found: the classifiers have never seen
# its questions, so they call them out of scope or some other FAQ.
OUT_OF_SCOPE_INTENT = "out_of_scope"
FALLBACK_INTENT = "nlu_fallback"
INDEX_INTENTS = {FAQ_INTENT, OUT_OF_SCOPE_INTENT, FALLBACK_INTENT}
# DIET torn between an FAQ question and out of scope (FallbackClassifier's
# ambiguity rule: "what is PRP?" at faq 0.49 / out_of_scope 0.44) while the
# selector and retrieval agree on one FAQ: answered when the blended score
# reaches this, declined otherwise (TriageOverride has already turned such a
# message into out_of_scope if the out-of-domain detector flags it).
AMBIGUOUS_ANSWER_MIN = 0.5
# DIET leaning towards out of scope but with an FAQ question as its clear
# runner-up ("PRP what is it? something with the platelets?": out_of_scope
# 0.65, faq 0.35). When the out-of-domain detector does not flag the message
# (TriageOverride runs it and records ``out_of_domain_flagged``), it is treated
# like the torn case above: answered at AMBIGUOUS_ANSWER_MIN, else declined.
LEANING_FAQ_MIN = 0.2
# A question the FAQs cannot place (it would be declined) is answered with one
# passage of the article (assistant.passages) when that passage has at least
# this share of the passage index's softmax and leads the next by the margin.
# Chosen on the development sets (docs/nlu.md); only for messages DIET calls
# an FAQ question, so out-of-scope requests are never answered this way.
PASSAGE_TOPIC = "passage"
PASSAGE_MIN = 0.5
PASSAGE_MARGIN = 0.2
PASSAGE_INTENTS = frozenset({FAQ_INTENT})


@dataclass(frozen=True)
class Thresholds:
    answer_min: float = 0.35   # top blended score needed to answer outright
    margin: float = 0.05       # ... and how far ahead of the runner-up it must be
    clarify_min: float = 0.30  # FAQs scoring this much are offered when it is too close to call
    # When the selector, retrieval and their blend all put the same FAQ first
    # (two rankers that learn from different things agree), this blended score
    # is enough to answer; the margin still applies (docs/nlu.md, step 13).
    agreed_min: float = 0.20


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Decision:
    kind: str
    topic: str | None = None
    confidence: float = 0.0
    options: tuple[str, ...] = field(default_factory=tuple)
    index_only: bool = False  # answered from the retrieval index alone (no model knows the FAQ yet)
    passage: Any = None  # with topic PASSAGE_TOPIC: the assistant.passages.Passage answered with


class PassageIndex(Protocol):
    def best(self, text: str) -> tuple[Any, float, float] | None: ...


class Retriever(Protocol):
    def scores(self, text: str) -> dict[str, float]: ...


def selector_ranking(parse_data: dict[str, Any]) -> list[tuple[str, float]]:
    """(faq id, confidence) pairs, best first, from the ResponseSelector output."""
    selector = (parse_data.get("response_selector") or {}).get(FAQ_INTENT) or {}
    ranking = selector.get("ranking") or []
    result = []
    for item in ranking:
        key = item.get("intent_response_key") or ""
        if key.startswith(f"{FAQ_INTENT}/"):
            result.append((key.split("/", 1)[1], float(item.get("confidence") or 0.0)))
    return result


def classifier_ranking(parse_data: dict[str, Any]) -> list[tuple[str, float]]:
    """(faq id, confidence) pairs, best first, from the second FAQ classifier (assistant.faq_model)."""
    return [(str(item.get("id")), float(item.get("confidence") or 0.0))
            for item in parse_data.get(RANKING_KEY) or [] if item.get("id")]


def faq_ranking(parse_data: dict[str, Any]) -> list[tuple[str, float]]:
    """The two FAQ classifiers' rankings mixed, best first (the selector's alone from an older model).

    An FAQ missing from one ranking (each lists its best ten) counts 0 there.
    """
    selector = selector_ranking(parse_data)
    classifier = classifier_ranking(parse_data)
    if not classifier:
        return selector
    chosen, other = dict(selector), dict(classifier)
    mixed = {t: (1 - CLASSIFIER_WEIGHT) * chosen.get(t, 0.0) + CLASSIFIER_WEIGHT * other.get(t, 0.0)
             for t in dict.fromkeys([*chosen, *other])}
    return sorted(mixed.items(), key=lambda item: -item[1])


def blend(selector: list[tuple[str, float]], retrieved: dict[str, float],
          weight: float = RETRIEVAL_WEIGHT) -> list[tuple[str, float]]:
    """Selector confidences and retrieval scores mixed, best first.

    Retrieval counts in proportion to how sure it is (its top score): for a
    vague query ("studies") its scores are flat and would only dilute the
    selector, for "Chonnam University study" it is near-certain.
    """
    if not retrieved:
        return selector
    share = weight * max(retrieved.values())
    chosen = dict(selector)
    topics = dict.fromkeys([*chosen, *retrieved])
    mixed = {t: (1 - share) * chosen.get(t, 0.0) + share * retrieved.get(t, 0.0) for t in topics}
    return sorted(mixed.items(), key=lambda item: -item[1])


def _diet_ranking(parse_data: dict[str, Any]) -> list[tuple[str, float]]:
    """DIET's (intent, confidence) pairs, best first, the fallback left aside."""
    return [(r.get("name") or "", float(r.get("confidence") or 0.0))
            for r in parse_data.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]


def torn_between_faq_and_out_of_scope(parse_data: dict[str, Any]) -> bool:
    """DIET's two best intents, the fallback left aside, are faq and out_of_scope, in either order.

    Either order: "What is PRP?" came out faq 0.49 / out_of_scope 0.44 from one
    training run and 0.43 / 0.44 from the next. The fallback fired both times;
    which of two near-equal scores came first is noise, not a verdict. The
    out-of-domain detector and the FAQ decision's own bar decide instead.
    """
    return {name for name, _ in _diet_ranking(parse_data)[:2]} == {FAQ_INTENT, OUT_OF_SCOPE_INTENT}


def leaning_out_of_scope(parse_data: dict[str, Any]) -> bool:
    """DIET chose out_of_scope with an FAQ question second, at LEANING_FAQ_MIN or more.

    A triage override (a red flag, a diagnosis request) is never counted: its
    out_of_scope is a decision, not a classifier's doubt.
    """
    if (parse_data.get("intent") or {}).get("name") != OUT_OF_SCOPE_INTENT:
        return False
    if (parse_data.get("triage") or {}).get("kind"):
        return False
    ranking = _diet_ranking(parse_data)[:2]
    return ([name for name, _ in ranking] == [OUT_OF_SCOPE_INTENT, FAQ_INTENT]
            and ranking[1][1] >= LEANING_FAQ_MIN)


def _doubtful_intent(parse_data: dict[str, Any]) -> bool:
    """DIET could not tell an FAQ question from out of scope, and the detector did not flag it."""
    intent = (parse_data.get("intent") or {}).get("name")
    if intent == FALLBACK_INTENT:
        return torn_between_faq_and_out_of_scope(parse_data)
    return leaning_out_of_scope(parse_data) and parse_data.get("out_of_domain_flagged") is False


def index_answer(parse_data: dict[str, Any], index_topics: frozenset[str],
                 retriever: Retriever) -> Decision | None:
    """An answer from an FAQ no model was trained on yet, when retrieval clearly points to it."""
    intent = (parse_data.get("intent") or {}).get("name")
    if intent not in INDEX_INTENTS or (parse_data.get("triage") or {}).get("kind"):
        return None  # red flags, diagnosis requests and unusable input keep their replies
    scores = retriever.scores(parse_data.get("text") or "")
    if not scores:
        return None
    best = max(scores, key=scores.__getitem__)
    if best in index_topics and scores[best] >= INDEX_ANSWER_MIN:
        return Decision(ANSWER, best, scores[best], index_only=True)
    return None


def passage_answer(parse_data: dict[str, Any], passages: PassageIndex) -> Decision | None:
    """An answer with one passage of the article, when the question's words single it out."""
    if (parse_data.get("triage") or {}).get("kind"):
        return None  # red flags, diagnosis requests and unusable input keep their replies
    found = passages.best(parse_data.get("text") or "")
    if found is None:
        return None
    passage, share, runner_up = found
    if share >= PASSAGE_MIN and share - runner_up >= PASSAGE_MARGIN:
        return Decision(ANSWER, PASSAGE_TOPIC, share, passage=passage)
    return None


def decide(parse_data: dict[str, Any], known_topics: set[str] | None = None,
           thresholds: Thresholds = DEFAULT_THRESHOLDS,
           retriever: Retriever | None = None,
           index_topics: frozenset[str] = frozenset(),
           passages: PassageIndex | None = None) -> Decision:
    """Pick the FAQ to answer, the FAQs to offer, a passage to answer with, or decline."""
    decision = _decide_faq(parse_data, known_topics, thresholds, retriever, index_topics)
    intent = (parse_data.get("intent") or {}).get("name")
    if decision.kind == FALLBACK and passages is not None and intent in PASSAGE_INTENTS:
        return passage_answer(parse_data, passages) or decision
    return decision


def _decide_faq(parse_data: dict[str, Any], known_topics: set[str] | None,
                thresholds: Thresholds, retriever: Retriever | None,
                index_topics: frozenset[str]) -> Decision:
    if index_topics and retriever is not None:
        served = index_topics if known_topics is None else index_topics & known_topics
        found = index_answer(parse_data, served, retriever) if served else None
        if found is not None:
            return found
    intent = (parse_data.get("intent") or {}).get("name")
    if _doubtful_intent(parse_data):
        decision = _decide_faq({**parse_data, "intent": {"name": FAQ_INTENT}}, known_topics, thresholds,
                               retriever, frozenset())
        if decision.kind == ANSWER and decision.confidence >= AMBIGUOUS_ANSWER_MIN:
            return decision
        return Decision(FALLBACK)
    if intent != FAQ_INTENT:
        return Decision(FALLBACK)
    ranking = faq_ranking(parse_data)
    agreed = None  # the FAQ both the selector and retrieval put first, if they agree
    if retriever is not None:
        # Retrieval re-ranks the selector's candidates and adds none: only
        # FAQs the served model knows are answered, so a rolled-back model
        # answers exactly as before even though the FAQ files moved on.
        candidates = {t for t, _ in ranking}
        retrieved = retriever.scores(parse_data.get("text") or "")
        retrieved = {t: v for t, v in retrieved.items() if t in candidates}
        if ranking and retrieved and max(retrieved, key=retrieved.__getitem__) == ranking[0][0]:
            agreed = ranking[0][0]
        ranking = blend(ranking, retrieved)
    ranking = [(t, c) for t, c in ranking if known_topics is None or t in known_topics]
    if not ranking:
        return Decision(FALLBACK)
    top, confidence = ranking[0]
    runner_up = ranking[1][1] if len(ranking) > 1 else 0.0
    if confidence - runner_up >= thresholds.margin and (
            confidence >= thresholds.answer_min
            or (confidence >= thresholds.agreed_min and top == agreed)):
        return Decision(ANSWER, top, confidence)
    # Too close to call: ask, but only between real candidates; "Did you
    # mean X?" with a single X is no question (and a wrong answer with a
    # quote attached would look authoritative), so a lone guess is declined.
    options = tuple(t for t, c in ranking[:MAX_OPTIONS] if c >= thresholds.clarify_min)
    if len(options) >= 2:
        return Decision(CLARIFY, top, confidence, options)
    return Decision(FALLBACK, top, confidence)
