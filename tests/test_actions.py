"""Custom actions produce the machine-readable reply format, with real FAQ data."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswerFaq, ActionOutOfScope
from actions.conversation import ActionCapabilities, ActionGreet, ActionHandoff
from actions.safety import ActionUnusableInput, ActionUrgentCare
from assistant.clinic import load_clinic
from assistant.faq import load_faqs
from assistant.knowledge import get_article
from assistant.text import collapse_space


def run(action, text: str = "", intent: str = "faq", ranking=(), entities=(),
        **parse: Any) -> list[dict[str, Any]]:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": list(entities),
        "response_selector": {"faq": {"ranking": [
            {"intent_response_key": f"faq/{t}", "confidence": c} for t, c in ranking]}},
        **parse,
    }
    tracker = Tracker("visitor", {}, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages


def custom(messages: list[dict[str, Any]]) -> dict[str, Any]:
    payloads = [m["custom"] for m in messages if m.get("custom")]
    assert len(payloads) == 1, messages
    return payloads[0]


@pytest.mark.parametrize("faq", load_faqs(), ids=lambda f: f.id)
def test_every_faq_answer_carries_verbatim_sources_and_citations(faq):
    messages = run(ActionAnswerFaq(), ranking=[(faq.id, 0.95), ("authors", 0.01)])
    payload = custom(messages)
    assert payload["kind"] == "answer" and payload["topic"] == faq.id
    article = get_article()
    for source in payload["sources"]:
        assert collapse_space(source["quote"]) in article.normalised
        if source["ref"] is not None:
            assert source["citation"] == article.references[source["ref"]]
            assert source["citation"] in messages[0]["text"]
        assert source["quote"] in messages[0]["text"]
    assert "{" not in messages[0]["text"], "unfilled placeholder"
    has_booking = any(b["payload"] == "/book_appointment" for b in messages[0]["buttons"])
    assert has_booking == faq.book


def test_a_button_click_answers_the_chosen_topic():
    payload = custom(run(ActionAnswerFaq(), intent="choose_topic",
                         entities=[{"entity": "topic", "value": "prp_what"}]))
    assert (payload["kind"], payload["topic"]) == ("answer", "prp_what")


def test_an_ambiguous_question_gets_clarifying_buttons():
    messages = run(ActionAnswerFaq(), ranking=[("prp_what", 0.40), ("prp_vs_steroids", 0.38)])
    payload = custom(messages)
    assert payload["kind"] == "clarify"
    assert [o["topic"] for o in payload["options"]] == ["prp_what", "prp_vs_steroids"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert all("/choose_topic" in p for p in payloads[:-1]) and payloads[-1] == "/capabilities"


def test_low_confidence_and_out_of_scope_are_declined_with_phone_and_booking():
    for messages in (run(ActionAnswerFaq(), ranking=[("prp_what", 0.05)]), run(ActionOutOfScope())):
        payload = custom(messages)
        assert payload["kind"] == "fallback"
        assert "sources" not in payload
        assert load_clinic().offices[0].phone in messages[0]["text"]
        assert any(b["payload"] == "/book_appointment" for b in messages[0]["buttons"])


def test_urgent_care_message_names_911_or_988():
    emergency = custom(run(ActionUrgentCare(), "what is PRP? I also lost bladder control"))
    assert emergency["kind"] == "urgent" and emergency["call"] == "911"
    assert emergency["flags"] == ["bladder_bowel"]
    crisis = run(ActionUrgentCare(), "I want to kill myself")
    assert custom(crisis)["call"] == "988" and "988" in crisis[0]["text"]


def customs(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["custom"] for m in messages if m.get("custom")]


@pytest.mark.parametrize("text,level,call", [
    ("my face is drooping on one side and my speech is slurred", "emergency", "911"),
    ("I want to kill myself", "crisis", "988"),
    ("I had breast cancer and now a new back pain wakes me at night and I've lost weight", "soon",
     load_clinic().offices[0].phone),
])
def test_each_grade_has_its_own_reply_and_number(text, level, call):
    messages = run(ActionUrgentCare(), text, intent="urgent_symptom")
    payload = customs(messages)[0]
    assert (payload["kind"], payload["level"], payload["call"]) == ("urgent", level, call)
    assert call in messages[0]["text"]


def run_overridden(text: str, flag: str, level: str) -> list[dict[str, Any]]:
    """An FAQ question (PRP) that TriageOverride turned into ``urgent_symptom``."""
    return run(ActionUrgentCare(), text, intent="urgent_symptom", ranking=[("prp_what", 0.95)],
               intent_ranking=[{"name": "urgent_symptom", "confidence": 1.0}, {"name": "faq", "confidence": 0.9}],
               triage={"flags": [flag], "level": level})


def test_see_a_doctor_soon_comes_first_then_the_answer_to_the_question():
    messages = run_overridden("I had cancer, new back pain at night. What is PRP?", "cancer_warning", "soon")
    kinds = [(c["kind"], c.get("level") or c.get("topic")) for c in customs(messages)]
    assert kinds == [("urgent", "soon"), ("answer", "prp_what")]
    assert "911" in messages[0]["text"]  # should it get worse


def test_an_emergency_is_never_followed_by_an_answer():
    messages = run_overridden("what is PRP? I also lost bladder control", "bladder_bowel", "emergency")
    assert [c["kind"] for c in customs(messages)] == ["urgent"]


CHECKIN = {"flags": ["distress"], "level": "checkin"}


def test_a_check_in_gets_the_answer_and_one_supportive_line_with_988():
    messages = run(ActionAnswerFaq(), "not sure how much more of this I can take. what is PRP?",
                   ranking=[("prp_what", 0.95)], triage=CHECKIN)
    answer, checkin = customs(messages)
    assert (answer["kind"], answer["topic"]) == ("answer", "prp_what")
    assert (checkin["kind"], checkin["call"]) == ("checkin", "988")
    assert "988" in messages[-1]["text"] and "911" not in messages[-1]["text"]


def test_a_check_in_that_is_declined_still_gets_the_supportive_line():
    kinds = [c["kind"] for c in customs(run(ActionOutOfScope(), "I'm at my wits' end. set a timer",
                                            intent="out_of_scope", triage=CHECKIN))]
    assert kinds == ["fallback", "checkin"]


@pytest.mark.parametrize("text,reason", [("", "empty"), ("a" * 5000, "too_long"), ("🙂🙂", "no_words")])
def test_unusable_input_gets_a_clear_reply(text, reason):
    payload = custom(run(ActionUnusableInput(), text))
    assert (payload["kind"], payload["reason"]) == ("fallback", reason)


def test_greeting_has_the_disclaimer_and_topic_buttons():
    messages = run(ActionGreet(), intent="greet")
    assert custom(messages)["kind"] == "smalltalk"
    text = messages[0]["text"]
    assert "automated assistant" in text and "not medical advice" in text and "911" in text
    assert len(messages[0]["buttons"]) >= 5


def test_capabilities_and_handoff():
    assert custom(run(ActionCapabilities(), intent="capabilities"))["kind"] == "smalltalk"
    handoff = run(ActionHandoff(), intent="human_handoff")
    assert custom(handoff)["kind"] == "handoff"
    for office in load_clinic().offices:
        assert office.phone in handoff[0]["text"]
    assert any(b["payload"] == "/book_appointment" for b in handoff[0]["buttons"])


def test_a_request_to_read_a_scan_is_declined_as_diagnosis():
    messages = run(ActionOutOfScope(), "do I have SI joint dysfunction? here is my MRI report")
    assert custom(messages)["reason"] == "diagnosis"
    assert "can't diagnose" in messages[0]["text"]


@pytest.mark.parametrize("action", [ActionAnswerFaq(), ActionOutOfScope()], ids=lambda a: a.name())
def test_a_declined_question_the_article_answers_gets_that_sentence_verbatim_and_cited(action):
    article = get_article()
    messages = run(action, "how many patients records did the doctors in Germany analyze",
                   intent="faq" if isinstance(action, ActionAnswerFaq) else "out_of_scope",
                   ranking=[("prp_what", 0.05)])
    payload = custom(messages)
    assert (payload["kind"], payload["topic"]) == ("answer", "passage")
    [source] = payload["sources"]
    assert "100 consecutive patients" in source["quote"] and source["quote"] in article.normalised
    assert source["citation"] == article.references[6] and source["citation"] in messages[0]["text"]


@pytest.mark.parametrize("text", ["how much does prolotherapy cost", "does medicare cover prolotherapy",
                                  "can PRP injections help with hair loss?"])
def test_a_near_miss_in_the_articles_words_is_still_declined(text):
    payload = custom(run(ActionOutOfScope(), text, intent="out_of_scope"))
    assert payload["kind"] == "fallback" and "sources" not in payload
