"""A turn that fails leaves a conversation that answers normally on the next message.

Two forced failures against the real servers: Rasa's circuit breaker (a Rasa
server started with ``MAX_NUMBER_OF_PREDICTIONS=2``, so starting a booking
runs into it), and custom actions failing while the action server is down.
Both leave a ``bot_error`` mark that the staff console shows.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Bot, running_bot


def kinds(messages: list[dict]) -> list[str]:
    return [m["custom"]["kind"] for m in messages if isinstance(m.get("custom"), dict)]


def slot_events(bot: Bot, sender: str, name: str) -> list:
    with sqlite3.connect(bot.db_path) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'slot'",
                          (sender,)).fetchall()
    return [json.loads(r[0])["value"] for r in rows if json.loads(r[0]).get("name") == name]


@pytest.fixture(scope="module")
def fragile_bot(tmp_path_factory) -> Iterator[Bot]:
    """Two actions per turn at most: starting a booking (intro, then the form) trips the breaker."""
    with running_bot(tmp_path_factory.mktemp("fragile"),
                     extra_env={"MAX_NUMBER_OF_PREDICTIONS": "2"}) as running:
        yield running


def test_after_the_circuit_breaker_the_next_message_is_answered(fragile_bot):
    sender = uuid.uuid4().hex
    tripped = fragile_bot.send("/book_appointment", sender)
    assert "booking" in kinds(tripped)  # the intro went out before the breaker stopped the turn
    assert slot_events(fragile_bot, sender, "bot_error") == ["circuit_breaker"]

    answer = fragile_bot.send("what is prolotherapy?", sender)
    assert "answer" in kinds(answer), answer
    # The booking form was reset: a name is no longer taken as the answer to it.
    after = fragile_bot.send("thanks", sender)
    assert kinds(after) == ["smalltalk"]
    assert not any(c.get("step") == "booking_contact" for c in
                   (m["custom"] for m in after if isinstance(m.get("custom"), dict)))


def test_failed_actions_get_a_reply_and_the_conversation_recovers(bot):
    sender = uuid.uuid4().hex
    assert "answer" in kinds(bot.send("what is prolotherapy?", sender))
    bot.stop_actions()
    try:
        down = bot.send("is fusion my only option?", sender)
    finally:
        bot.start_actions()
    assert [m["custom"].get("reason") for m in down if m.get("custom")] == ["unavailable"]
    assert slot_events(bot, sender, "bot_error") == ["no_reply"]
    assert "answer" in kinds(bot.send("is fusion my only option?", sender))

    from assistant.conversations import load_conversation
    from assistant.store import get_engine

    with get_engine(f"sqlite:///{bot.db_path}").connect() as connection:
        conversation = load_conversation(connection, sender)
    assert conversation is not None and "error" in conversation.flags
    # The transcript shows what the visitor saw instead of an answer.
    assert any(t.custom.get("reason") == "unavailable" for t in conversation.turns)
