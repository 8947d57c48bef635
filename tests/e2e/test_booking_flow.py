"""A visitor books through the REST channel; the row lands in the database."""

from __future__ import annotations

import sqlite3
import uuid


def kinds(bot, messages) -> list[str]:
    return [m["custom"]["kind"] for m in messages if "custom" in m]


def step(bot, messages) -> str | None:
    """The form step the bot ends its turn on."""
    steps = [m["custom"].get("step") for m in messages if "custom" in m]
    return steps[-1] if steps else None


def test_booking_happy_path_with_interruption_and_correction(bot):
    sender = uuid.uuid4().hex
    say = lambda text: bot.send(text, sender)  # noqa: E731

    opening = say("I'd like to book an appointment")
    assert kinds(bot, opening) == ["booking", "booking"] and step(bot, opening) == "booking_name"

    # A FAQ question in the middle is answered, then the form asks again.
    detour = say("what is prolotherapy?")
    assert kinds(bot, detour)[0] == "answer"
    assert step(bot, detour) == "booking_name"

    assert step(bot, say("Zoë O'Neill-Smith")) == "booking_contact"
    retry = say("call me maybe")
    assert any(m.get("custom", {}).get("error") for m in retry) and step(bot, retry) == "booking_contact"
    assert step(bot, say("708-555-0123")) == "booking_office"
    assert step(bot, say('/choose_office{"office": "oak_park"}')) == "booking_times"
    assert step(bot, say("weekday mornings <b>please</b>")) == "booking_problem"
    assert step(bot, say("skip")) == "booking_consent"
    summary = say("/affirm")
    assert step(bot, summary) == "summary"

    corrected = say('/correct_booking{"booking_field": "booking_office"}')
    assert step(bot, corrected) == "booking_office"
    summary = say('/choose_office{"office": "fort_myers"}')
    assert step(bot, summary) == "summary" and "Fort Myers" in summary[0]["text"]

    confirmation = say("/confirm_booking")
    payload = next(m["custom"] for m in confirmation if "custom" in m)
    assert payload["kind"] == "booking" and payload["status"] == "saved"
    reference = payload["booking_reference"]

    again = say("/confirm_booking")
    assert next(m["custom"] for m in again if "custom" in m)["status"] == "already_sent"

    with sqlite3.connect(bot.db_path) as db:
        rows = db.execute("select reference, full_name, phone, office, preferred_times, problem, "
                          "conversation_id from booking_requests where conversation_id = ?",
                          (sender,)).fetchall()
    assert rows == [(reference, "Zoë O'Neill-Smith", "(708) 555-0123", "fort_myers",
                     "weekday mornings <b>please</b>", None, sender)]


def test_stop_cancels_cleanly(bot):
    sender = uuid.uuid4().hex
    bot.send("book a consultation", sender)
    bot.send("Jane Doe", sender)
    cancelled = bot.send("never mind", sender)
    assert next(m["custom"] for m in cancelled if "custom" in m)["status"] == "cancelled"
    after = bot.send("what is PRP?", sender)
    assert kinds(bot, after) == ["answer"]


def test_talk_to_a_person_hands_off_with_phones(bot):
    messages = bot.send("can I talk to a real person?")
    assert kinds(bot, messages) == ["handoff"]
    assert "(708) 393-8266" in messages[0]["text"]
