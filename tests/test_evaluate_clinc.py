"""How `make eval-clinc` counts a reply (assistant/tools/evaluate_clinc.py)."""

from __future__ import annotations

from assistant.faq import load_faqs
from assistant.tools.evaluate_clinc import load_labelled, outcome


def faq_parse(topic: str, text: str) -> dict:
    return {"text": text, "intent": {"name": "faq", "confidence": 0.95},
            "response_selector": {"faq": {"ranking": [
                {"intent_response_key": f"faq/{topic}", "confidence": 0.95}]}}}


def test_an_insurance_question_given_the_out_of_network_reply_is_counted_apart():
    topics = {faq.id for faq in load_faqs()}
    parse = faq_parse("out_of_network", "is my insurance accepted")
    assert outcome(parse, topics, "insurance") == ("out-of-network", "out_of_network")
    # the same reply to any other everyday request is an answer it should not have got
    assert outcome(parse, topics, "pto_request")[0] == "answered"
    assert outcome(faq_parse("prp_what", "what is prp"), topics, "insurance")[0] == "answered"


def test_booking_and_declines():
    topics = {faq.id for faq in load_faqs()}
    assert outcome({"text": "x", "intent": {"name": "book_appointment"}}, topics, "") == ("booking", None)
    assert outcome({"text": "x", "intent": {"name": "out_of_scope"}}, topics, "")[0] == "declined"


def test_small_talk_intents_are_left_out_of_the_queries():
    labelled = load_labelled()
    assert len(labelled) == 5350
    assert not {"greeting", "goodbye", "thank_you"} & {intent for _, intent in labelled}
