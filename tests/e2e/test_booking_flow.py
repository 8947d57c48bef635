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


def levels(messages) -> list[tuple[str, str | None]]:
    return [(m["custom"]["kind"], m["custom"].get("level")) for m in messages if "custom" in m]


def test_a_red_flag_inside_the_booking_form_comes_first_then_the_form_goes_on(bot):
    sender = uuid.uuid4().hex
    bot.send("I'd like to book an appointment", sender)
    reply = bot.send("my wife's face is drooping on one side and her speech is slurred", sender)
    assert levels(reply)[0] == ("urgent", "emergency") and "911" in reply[0]["text"]
    assert step(bot, reply) == "booking_name"  # the form asks again after the advice


def test_graded_replies_through_the_real_servers(bot):
    """Emergency, crisis, a doctor soon (then the answer), and a check-in (the answer, then 988)."""
    long_question = ("I've been reading about prolotherapy and PRP for my SI joint and wondering how many "
                     "sessions people need and whether you take insurance. Also, since this morning I "
                     "can't feel my groin or bottom at all and I wet myself without noticing.")
    assert levels(bot.send(long_question))[0] == ("urgent", "emergency")
    crisis = bot.send("I've written goodbye letters to my kids and I don't want to wake up tomorrow")
    assert levels(crisis)[0] == ("urgent", "crisis") and "988" in crisis[0].get("text", "")
    # Issue 28's catalogue: a pill quantity "to make it stop for good" is the overdose
    # kind, 911 first, and its reply names the crisis line too.
    quantity = bot.send("how many of my pills would it take to make it stop for good")
    assert levels(quantity)[0] == ("urgent", "emergency")
    said = " ".join(m.get("text") or "" for m in quantity)
    assert "988" in said and said.index("911") < said.index("988")
    # The answer follows when the classifiers recognise the question inside the story;
    # the advice comes either way (actions/answers.py, answer_if_decided).
    soon = bot.send("how many prolotherapy treatments will I need? I've had a slight temperature "
                    "for four days and my back is sore")
    assert levels(soon) == [("urgent", "soon"), ("answer", None)]
    assert [m["custom"] for m in soon if "custom" in m][-1]["topic"] == "number_of_treatments"
    checkin = bot.send("I'm at the end of my rope. Is fusion my only option?")
    assert [kind for kind, _ in levels(checkin)] == ["answer", "checkin"]
    assert "988" in " ".join(m.get("text") or "" for m in checkin)
    assert next(m["custom"] for m in checkin if "custom" in m)["topic"] == "fusion_only_option"
    # When the classifiers cannot place the question inside the distress, the decline
    # still ends with the supportive line (issue 28: the answer itself is issue 29's work).
    declined = bot.send("Not sure how much more of this I can take; is there anything besides surgery?")
    assert [kind for kind, _ in levels(declined)][-1] == "checkin"
    figure = bot.send("my back is murdering me, is fusion my only option?")
    assert "urgent" not in kinds(bot, figure) and "checkin" not in kinds(bot, figure)
