"""Answer, clarify or decline, from the FAQ classifiers' rankings."""

from __future__ import annotations

import pytest

from assistant.faq_model import RANKING_KEY
from assistant.routing import (
    ANSWER,
    CLARIFY,
    CLASSIFIER_WEIGHT,
    DEFAULT_THRESHOLDS,
    FALLBACK,
    Thresholds,
    decide,
    faq_ranking,
)


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
    decision = decide(parse([("prp_what", 0.45), ("prp_vs_steroids", 0.43), ("authors", 0.01)]))
    assert decision.kind == CLARIFY
    assert decision.options == ("prp_what", "prp_vs_steroids")


def test_nothing_plausible_is_declined():
    decision = decide(parse([("prp_what", 0.10), ("authors", 0.09)]))
    assert decision.kind == FALLBACK


def test_other_intents_and_unknown_topics_are_declined():
    assert decide(parse([("prp_what", 0.99)], intent="out_of_scope")).kind == FALLBACK
    assert decide(parse([("retired_topic", 0.99)]), known_topics={"prp_what"}).kind == FALLBACK
    assert decide({"intent": {"name": "faq"}}).kind == FALLBACK


def test_a_guess_below_the_answer_level_is_declined_not_asserted():
    below = DEFAULT_THRESHOLDS.answer_min - 0.01
    decision = decide(parse([("prp_what", below), ("authors", 0.02)]))
    assert decision.kind == FALLBACK


def test_a_clarifying_question_always_offers_at_least_two_options():
    t = DEFAULT_THRESHOLDS
    for top in (t.clarify_min, t.answer_min, 0.5, 0.9):
        runner_up = max(top - t.margin / 2, t.clarify_min)
        decision = decide(parse([("prp_what", top), ("authors", runner_up), ("disclaimer", 0.01)]))
        assert decision.kind == CLARIFY
        assert decision.options == ("prp_what", "authors")


def test_a_lone_guess_too_weak_to_answer_is_declined():
    """Above the level for offering it, below the level for answering, and alone: declined."""
    t = Thresholds(answer_min=0.30, margin=0.05, clarify_min=0.20)
    decision = decide(parse([("prp_what", 0.25), ("authors", 0.02)]), thresholds=t)
    assert decision.kind == FALLBACK


def torn(ranking: list[tuple[str, float]], second: str = "out_of_scope", text: str = "what is PRP?") -> dict:
    """A parse the FallbackClassifier marked ambiguous: faq 0.49 against ``second`` 0.44."""
    return {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.3},
            "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "faq", "confidence": 0.49},
                               {"name": second, "confidence": 0.44}],
            "response_selector": {"faq": {"ranking": [
                {"intent_response_key": f"faq/{t}", "confidence": c} for t, c in ranking]}}}


def test_diet_torn_between_faq_and_out_of_scope_answers_a_clear_faq():
    from assistant.retrieval import default_retriever

    decision = decide(torn([("prp_what", 0.61), ("prolotherapy_what", 0.24)]), retriever=default_retriever())
    assert (decision.kind, decision.topic) == (ANSWER, "prp_what")


def test_diet_torn_the_other_way_round_also_answers_a_clear_faq():
    # One training run put out_of_scope 0.44 a hair above faq 0.43 for "What is PRP?".
    from assistant.retrieval import default_retriever

    parse = torn([("prp_what", 0.61), ("prolotherapy_what", 0.24)])
    parse["intent_ranking"] = [parse["intent_ranking"][0], {"name": "out_of_scope", "confidence": 0.44},
                               {"name": "faq", "confidence": 0.43}]
    decision = decide(parse, retriever=default_retriever())
    assert (decision.kind, decision.topic) == (ANSWER, "prp_what")


def test_diet_torn_but_no_clear_faq_is_declined_without_options():
    from assistant.retrieval import default_retriever

    flat = [("prp_what", 0.35), ("prolotherapy_what", 0.33)]
    assert decide(torn(flat, text="what is it?"), retriever=default_retriever()).kind == FALLBACK


def test_diet_torn_between_faq_and_another_intent_is_left_to_the_fallback():
    assert decide(torn([("prp_what", 0.9)], second="capabilities")).kind == FALLBACK


class FixedRetriever:
    """A retriever whose scores are given, whatever the text."""

    def __init__(self, scores: dict[str, float]):
        self._scores = scores

    def scores(self, text: str) -> dict[str, float]:
        return dict(self._scores)


def test_selector_and_retrieval_agreeing_answer_below_the_usual_level():
    t = DEFAULT_THRESHOLDS
    weak = [("ligament_laxity_instability", 0.18), ("prp_what", 0.06), ("authors", 0.05)]
    agreeing = FixedRetriever({"ligament_laxity_instability": 0.45, "prp_what": 0.30, "authors": 0.25})
    decision = decide({**parse(weak), "text": "why do ligaments matter?"}, retriever=agreeing)
    assert (decision.kind, decision.topic) == (ANSWER, "ligament_laxity_instability")
    assert t.agreed_min <= decision.confidence < t.answer_min


def test_selector_and_retrieval_disagreeing_still_need_the_usual_level():
    weak = [("ligament_laxity_instability", 0.18), ("prp_what", 0.06), ("authors", 0.05)]
    disagreeing = FixedRetriever({"ligament_laxity_instability": 0.30, "prp_what": 0.45, "authors": 0.25})
    decision = decide({**parse(weak), "text": "why do ligaments matter?"}, retriever=disagreeing)
    assert decision.kind == FALLBACK


def test_agreement_below_its_own_level_is_declined():
    faint = [("ligament_laxity_instability", 0.08), ("prp_what", 0.07), ("authors", 0.06)]
    agreeing = FixedRetriever({"ligament_laxity_instability": 0.36, "prp_what": 0.33, "authors": 0.31})
    decision = decide({**parse(faint), "text": "ligaments"}, retriever=agreeing)
    assert decision.kind == FALLBACK


def leaning(flagged: bool | None, faq: float = 0.35, triage: str | None = None) -> dict:
    """DIET's out_of_scope at 0.65 with faq second ("PRP what is it? something with the platelets?")."""
    data = {"text": "PRP what is it? something with the platelets of the blood?",
            "intent": {"name": "out_of_scope", "confidence": 1 - faq},
            "intent_ranking": [{"name": "out_of_scope", "confidence": 1 - faq},
                               {"name": "faq", "confidence": faq}],
            "triage": {"kind": triage},
            "response_selector": {"faq": {"ranking": [
                {"intent_response_key": "faq/prp_what", "confidence": 0.9},
                {"intent_response_key": "faq/prolotherapy_what", "confidence": 0.05}]}}}
    if flagged is not None:
        data["out_of_domain_flagged"] = flagged
    return data


def test_diet_leaning_out_of_scope_answers_a_clear_faq_the_detector_lets_through():
    from assistant.retrieval import default_retriever

    decision = decide(leaning(flagged=False), retriever=default_retriever())
    assert (decision.kind, decision.topic) == (ANSWER, "prp_what")


def test_diet_leaning_out_of_scope_stays_declined_otherwise():
    from assistant.retrieval import default_retriever

    retriever = default_retriever()
    assert decide(leaning(flagged=True), retriever=retriever).kind == FALLBACK      # detector: everyday request
    assert decide(leaning(flagged=None), retriever=retriever).kind == FALLBACK      # detector never ran
    assert decide(leaning(flagged=False, faq=0.1), retriever=retriever).kind == FALLBACK  # DIET sure
    assert decide(leaning(flagged=False, triage="diagnosis"), retriever=retriever).kind == FALLBACK


def with_classifier(data: dict, ranking: list[tuple[str, float]]) -> dict:
    """The parse with the second FAQ classifier's ranking (assistant.faq_model) added."""
    return {**data, RANKING_KEY: [{"id": topic, "confidence": conf} for topic, conf in ranking]}


def test_the_second_classifier_lifts_an_faq_the_selector_was_unsure_of():
    # "do steroid injections work for SI joint pain": the selector's best was 0.15, on another FAQ.
    flat = parse([("repeated_image_guided_injections", 0.15), ("prp_what", 0.12), ("prp_vs_steroids", 0.1)])
    assert decide(flat).kind == FALLBACK
    both = with_classifier(flat, [("prp_vs_steroids", 0.8), ("prp_what", 0.1)])
    assert faq_ranking(both)[0][0] == "prp_vs_steroids"
    assert (decide(both).kind, decide(both).topic) == (ANSWER, "prp_vs_steroids")


def test_rankings_are_mixed_by_the_classifier_weight_and_missing_faqs_count_zero():
    both = with_classifier(parse([("prp_what", 0.6), ("authors", 0.4)]), [("authors", 0.5), ("groin_pain", 0.5)])
    mixed = dict(faq_ranking(both))
    assert mixed["prp_what"] == pytest.approx((1 - CLASSIFIER_WEIGHT) * 0.6)
    assert mixed["authors"] == pytest.approx((1 - CLASSIFIER_WEIGHT) * 0.4 + CLASSIFIER_WEIGHT * 0.5)
    assert mixed["groin_pain"] == pytest.approx(CLASSIFIER_WEIGHT * 0.5)


def test_a_parse_from_a_model_without_the_second_classifier_is_ranked_by_the_selector_alone():
    data = parse([("prp_what", 0.6), ("authors", 0.4)])
    assert faq_ranking(data) == [("prp_what", 0.6), ("authors", 0.4)]
    assert faq_ranking({**data, RANKING_KEY: []}) == faq_ranking(data)
