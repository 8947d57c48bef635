"""Answer, clarify or decline, from the ResponseSelector's ranking."""

from __future__ import annotations

from assistant.routing import ANSWER, CLARIFY, DEFAULT_THRESHOLDS, FALLBACK, decide


def parse(ranking: list[tuple[str, float]], intent: str = "faq") -> dict:
    return {
        "intent": {"name": intent, "confidence": 0.9},
        "response_selector": {"faq": {"ranking": [
            {"intent_response_key": f"faq/{topic}", "confidence": conf} for topic, conf in ranking
        ]}},
    }


def test_a_confident_clear_winner_is_answered():
    decision = decide(parse([("prp_what", 0.92), ("prp_vs_steroids", 0.05)]))
    assert (decision.kind, decision.topic) == (ANSWER, "prp_what")


def test_two_close_candidates_are_offered_as_options():
    decision = decide(parse([("prp_what", 0.45), ("prp_vs_steroids", 0.40), ("authors", 0.01)]))
    assert decision.kind == CLARIFY
    assert decision.options == ("prp_what", "prp_vs_steroids")


def test_nothing_plausible_is_declined():
    decision = decide(parse([("prp_what", 0.10), ("authors", 0.09)]))
    assert decision.kind == FALLBACK


def test_other_intents_and_unknown_topics_are_declined():
    assert decide(parse([("prp_what", 0.99)], intent="out_of_scope")).kind == FALLBACK
    assert decide(parse([("retired_topic", 0.99)]), known_topics={"prp_what"}).kind == FALLBACK
    assert decide({"intent": {"name": "faq"}}).kind == FALLBACK


def test_a_lone_unconfident_guess_is_offered_not_asserted():
    between = (DEFAULT_THRESHOLDS.clarify_min + DEFAULT_THRESHOLDS.answer_min) / 2
    decision = decide(parse([("prp_what", between), ("authors", 0.02)]))
    assert (decision.kind, decision.options) == (CLARIFY, ("prp_what",))
