"""With the action server down, the visitor gets phone numbers, not silence."""

from __future__ import annotations


def test_booking_when_the_action_server_is_down(bot_without_actions):
    messages = bot_without_actions.send("I'd like to book an appointment")
    payloads = [m["custom"] for m in messages if "custom" in m]
    assert payloads == [{"kind": "handoff", "reason": "unavailable", "offices": payloads[0]["offices"]}]
    assert "booking requests right now" in messages[0]["text"]
    assert "(708) 393-8266" in messages[0]["text"]


def test_a_question_when_the_action_server_is_down(bot_without_actions):
    messages = bot_without_actions.send("what is prolotherapy?")
    assert [m["custom"]["kind"] for m in messages if "custom" in m] == ["handoff"]
    assert "(708) 393-8266" in messages[0]["text"] and "(239) 308-4701" in messages[0]["text"]
