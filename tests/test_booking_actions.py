"""The booking form's actions against a real SQLite database file."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import (
    ActionBookingSummary,
    ActionCancelBooking,
    ActionCorrectBooking,
    ActionSubmitBooking,
    ValidateBookingForm,
)

FILLED = {
    "booking_name": "José Álvarez", "booking_contact": "(708) 555-0123", "booking_phone": "(708) 555-0123",
    "booking_email": None, "booking_office": "fort_myers", "booking_times": "<b>Friday</b> afternoons",
    "booking_problem": "", "booking_consent": True,
}


def tracker(slots: dict[str, Any], sender: str = "visitor-1") -> Tracker:
    return Tracker(sender, slots, {"intent": {"name": "confirm_booking"}, "entities": []}, [], False,
                   None, {}, "action_listen")


def run(action, slots: dict[str, Any], sender: str = "visitor-1") -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker(slots, sender), {}))
    return dispatcher.messages, events


def custom(messages):
    return next(m["custom"] for m in messages if m.get("custom"))


@pytest.fixture(autouse=True)
def database(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr("assistant.bookings.OUTBOX", tmp_path / "outbox.jsonl")
    return db_url.removeprefix("sqlite:///")


def validate(slot: str, value: Any) -> tuple[dict[str, Any], list[dict]]:
    dispatcher = CollectingDispatcher()
    method = getattr(ValidateBookingForm(), f"validate_{slot}")
    return method(value, dispatcher, tracker({}), {}), dispatcher.messages


def test_contact_is_normalised_into_phone_and_email():
    slots, _ = validate("booking_contact", "jane@example.com / 239.555.0199")
    assert slots == {"booking_contact": "(239) 555-0199 and jane@example.com",
                     "booking_phone": "(239) 555-0199", "booking_email": "jane@example.com"}


def test_an_invalid_answer_is_re_asked_with_a_hint():
    slots, messages = validate("booking_contact", "call me maybe")
    assert slots == {"booking_contact": None}
    assert custom(messages) == {"kind": "booking", "step": "booking_contact", "error": True}
    assert "phone number" in messages[0]["text"]


def test_a_10000_character_answer_is_refused_politely():
    slots, messages = validate("booking_times", "x" * 10_000)
    assert slots == {"booking_times": None} and "too long" in messages[0]["text"]


def test_summary_lists_every_answer_with_correction_buttons():
    messages, _ = run(ActionBookingSummary(), FILLED)
    payload = custom(messages)
    assert payload["step"] == "summary"
    assert payload["summary"]["booking_problem"] == "(not given)"
    assert "9738 Commerce Center Ct." in messages[0]["text"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[0] == "/confirm_booking" and "/stop" in payloads
    assert '/correct_booking{"booking_field": "booking_office"}' in payloads


def test_refused_consent_sends_nothing(database):
    messages, events = run(ActionBookingSummary(), {**FILLED, "booking_consent": False})
    assert custom(messages)["status"] == "cancelled"
    assert all(e["value"] is None for e in events)


def test_confirmation_stores_the_request_and_gives_a_reference(database):
    messages, events = run(ActionSubmitBooking(), FILLED)
    payload = custom(messages)
    assert payload["kind"] == "booking" and payload["status"] == "saved"
    reference = payload["booking_reference"]
    assert reference in messages[0]["text"] and "out-of-network" in messages[0]["text"]
    with sqlite3.connect(database) as db:
        rows = db.execute("select reference, full_name, preferred_times, problem, office, status "
                          "from booking_requests").fetchall()
    assert rows == [(reference, "José Álvarez", "<b>Friday</b> afternoons", None, "fort_myers", "new")]
    assert {"event": "slot", "name": "booking_reference", "value": reference, "timestamp": None} in events


def test_a_second_confirmation_does_not_create_a_duplicate(database):
    first, _ = run(ActionSubmitBooking(), FILLED)
    again, _ = run(ActionSubmitBooking(), FILLED)  # e.g. a double click before slots reset
    after, _ = run(ActionSubmitBooking(), {"booking_reference": custom(first)["booking_reference"]})
    assert custom(again)["booking_reference"] == custom(first)["booking_reference"]
    assert custom(after)["status"] == "already_sent"
    with sqlite3.connect(database) as db:
        assert db.execute("select count(*) from booking_requests").fetchone() == (1,)


def test_database_down_at_confirmation_is_told_honestly(database, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing-dir' / 'sub' / 'x.db'}")
    messages, _ = run(ActionSubmitBooking(), FILLED)
    payload = custom(messages)
    assert payload["status"] == "queued" and payload["booking_reference"]
    assert "(239) 308-4701" in messages[0]["text"]
    assert payload["booking_reference"] in (tmp_path / "outbox.jsonl").read_text()


def test_correct_and_cancel_clear_the_right_slots():
    _, events = run(ActionCorrectBooking(), {**FILLED, "booking_field": "booking_contact"})
    cleared = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert cleared == {"booking_contact", "booking_phone", "booking_email", "booking_field"}
    messages, events = run(ActionCancelBooking(), FILLED)
    assert custom(messages)["status"] == "cancelled"
    assert {"event": "active_loop", "name": None, "timestamp": None} in events


def test_cancel_with_no_booking_open_says_nothing_about_a_booking():
    messages, events = run(ActionCancelBooking(), {slot: None for slot in FILLED})
    assert custom(messages)["kind"] == "smalltalk"
    assert "booking" not in messages[0]["text"].lower()
    assert events == []


def test_an_address_over_its_booking_limit_stores_and_sends_nothing(database):
    flagged = Tracker("visitor-2", FILLED, {"intent": {"name": "confirm_booking"}, "entities": [],
                                            "metadata": {"booking_limit_reached": True}},
                      [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionSubmitBooking().run(dispatcher, flagged, {}))
    payload = custom(dispatcher.messages)
    assert payload["status"] == "limited" and payload["booking_reference"] is None
    assert "NOT" in dispatcher.messages[0]["text"] and "(708)" in dispatcher.messages[0]["text"]
    assert events == []  # the answers stay, for a call or a later try
    with sqlite3.connect(database) as db:
        assert db.execute("select count(*) from booking_requests").fetchone() == (0,)
