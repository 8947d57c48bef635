""""yes", "no", office names and look-alike names, state by state (actions/everyday.py,
the form's validation in actions/booking.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import ActionCorrectBooking, ValidateBookingForm
from actions.everyday import ActionEverydayReply
from assistant.clinic import load_clinic

FILLED = {
    "booking_name": "Jane Doe", "booking_contact": "(708) 555-0123", "booking_phone": "(708) 555-0123",
    "booking_email": None, "booking_office": "oak_park", "booking_times": "weekday mornings",
    "booking_problem": "", "booking_consent": True,
}


def bot(kind: str, buttons: list[dict] | None = None, **custom: Any) -> dict[str, Any]:
    return {"event": "bot", "text": "...",
            "data": {"buttons": buttons or [], "custom": {"kind": kind, **custom}}}


def tracker(intent: str, text: str = "", confidence: float = 1.0, slots: dict | None = None,
            events: list[dict] | None = None, loop: str | None = None,
            entities: list[dict] | None = None) -> Tracker:
    message = {"intent": {"name": intent, "confidence": confidence}, "text": text,
               "entities": entities or []}
    return Tracker("visitor-1", dict(slots or {}), message, list(events or []), False, None,
                   {"name": loop} if loop else {}, "action_listen")


def everyday(t: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionEverydayReply().run(dispatcher, t, {}))
    return dispatcher.messages, events


def kinds(messages: list[dict]) -> list[str]:
    return [m["custom"]["kind"] for m in messages if m.get("custom")]


@pytest.fixture(autouse=True)
def database(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr("assistant.bookings.OUTBOX", tmp_path / "outbox.jsonl")


def test_yes_after_a_greeting_offers_topics_and_booking():
    messages, events = everyday(tracker("affirm", "yes", events=[bot("smalltalk")]))
    assert kinds(messages) == ["smalltalk"] and events == []
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert "/book_appointment" in payloads and any(p.startswith("/choose_topic") for p in payloads)


def test_no_after_an_answer_closes_politely_without_offering_anything():
    messages, _ = everyday(tracker("deny", "nope", events=[bot("answer", topic="prp_what")]))
    assert kinds(messages) == ["smalltalk"]
    assert "No problem" in messages[0]["text"] and messages[0]["buttons"] == []


def test_yes_to_a_clarifying_question_offers_the_same_options_again():
    options = [{"title": "What is PRP?", "payload": '/choose_topic{"topic": "prp_what"}'}]
    messages, _ = everyday(tracker("affirm", "yes", events=[
        bot("clarify", options, options=[{"topic": "prp_what"}])]))
    assert kinds(messages) == ["clarify"] and messages[0]["buttons"] == options


def test_ok_after_urgent_advice_repeats_the_numbers_to_call():
    messages, _ = everyday(tracker("affirm", "ok", events=[
        bot("urgent", flags=["self_harm"], call="988", numbers=["988", "911"])]))
    assert kinds(messages) == ["urgent"]
    assert messages[0]["custom"]["numbers"] == ["988", "911"] and "988" in messages[0]["text"]


def test_an_office_name_outside_the_form_gives_its_address_and_phone():
    office = load_clinic().offices[-1]
    messages, _ = everyday(tracker("choose_office", office.short_name.split(",")[0]))
    assert kinds(messages) == ["handoff"]
    assert office.phone in messages[0]["text"] and office.address in messages[0]["text"]
    assert [o["name"] for o in messages[0]["custom"]["offices"]] == [office.name]


def test_yes_at_the_summary_sends_the_request():
    messages, events = everyday(tracker("affirm", "yes", slots=FILLED))
    assert messages[0]["custom"]["status"] == "saved" and messages[0]["custom"]["booking_reference"]
    assert {"event": "slot", "name": "booking_name", "value": None} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events]


def test_no_at_the_summary_asks_what_to_change():
    messages, events = everyday(tracker("deny", "no", slots=FILLED))
    assert messages[0]["custom"]["step"] == "summary" and "change" in messages[0]["text"]
    assert events == []


def test_an_office_name_at_the_summary_changes_the_office():
    other = next(o for o in load_clinic().offices if o.id != FILLED["booking_office"])
    messages, events = everyday(tracker("choose_office", other.short_name.split(",")[0], slots=FILLED))
    assert [(e["name"], e["value"]) for e in events] == [("booking_office", other.id)]
    assert other.short_name in messages[0]["custom"]["summary"]["booking_office"]


def test_booking_again_inside_the_form_keeps_the_form_going():
    messages, events = everyday(tracker("book_appointment", "again", loop="booking_form",
                                        slots={"requested_slot": "booking_name"}))
    assert kinds(messages) == ["booking"] and "already" in messages[0]["text"] and events == []


def test_an_office_button_at_another_step_is_noted():
    messages, events = everyday(tracker("choose_office", "", loop="booking_form",
                                        slots={"requested_slot": "booking_consent"},
                                        entities=[{"entity": "office", "value": "fort_myers"}]))
    assert [(e["name"], e["value"]) for e in events] == [("booking_office", "fort_myers")]


def test_change_button_with_no_booking_open_does_not_start_the_form():
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionCorrectBooking().run(
        dispatcher, tracker("correct_booking", slots={"booking_field": "booking_office"}), {}))
    assert all(e["event"] != "followup" for e in events)
    assert "no booking request open" in dispatcher.messages[0]["text"]


def test_change_button_at_the_summary_clears_the_answer_and_hands_over_to_the_form():
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionCorrectBooking().run(
        dispatcher, tracker("correct_booking", slots={**FILLED, "booking_field": "booking_office"}), {}))
    assert {"event": "followup", "name": "booking_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events]


def validate_name(text: str, intent: str, confidence: float,
                  requested: str | None = "booking_name") -> tuple[dict, list[dict]]:
    dispatcher = CollectingDispatcher()
    result = ValidateBookingForm().validate_booking_name(
        text, dispatcher, tracker(intent, text, confidence, loop="booking_form",
                                  slots={"requested_slot": requested}), {})
    return result, dispatcher.messages


def test_a_name_that_looks_a_little_like_a_question_is_a_name():
    assert validate_name("Bobby Tables", "capabilities", 0.36)[0] == {"booking_name": "Bobby Tables"}


@pytest.mark.parametrize("text,intent,kind", [
    ("what can you do", "capabilities", "smalltalk"),
    ("talk to a person", "human_handoff", "handoff"),
    ("yes", "affirm", "booking"),
    ("hello", "greet", "smalltalk"),
    ("book an appointment", "book_appointment", "booking"),
])
def test_confident_other_intents_at_the_name_step_are_answered_and_the_name_asked_again(text, intent, kind):
    result, messages = validate_name(text, intent, 0.95)
    assert result == {"booking_name": None}
    assert kinds(messages) == [kind]


def test_an_office_name_at_the_name_step_is_noted_and_the_name_asked_again():
    office = load_clinic().offices[0]
    result, messages = validate_name(office.short_name.split(",")[0], "choose_office", 0.9)
    assert result == {"booking_name": None, "booking_office": office.id}
    assert office.short_name in messages[0]["text"]


def test_a_surname_like_an_office_city_stays_a_name():
    assert validate_name("Jo Myers", "choose_office", 0.9)[0] == {"booking_name": "Jo Myers"}


def test_a_name_kept_from_before_is_not_taken_for_an_interruption():
    """Answers already given are validated again when the form starts (e.g. "book" at the summary)."""
    result, messages = validate_name("Jane Doe", "book_appointment", 1.0, requested=None)
    assert result == {"booking_name": "Jane Doe"} and messages == []
