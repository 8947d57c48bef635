"""A turn that fails leaves a conversation that answers normally on the next message;
a long conversation starts a new session between turns.

Two forced failures against the real servers: Rasa's circuit breaker (a Rasa
server started with ``MAX_NUMBER_OF_PREDICTIONS=3``, so "book" at the
booking summary runs into it), and custom actions failing while the action server is down.
Both leave a ``bot_error`` mark that the staff console shows. The same small
server has ``SESSION_MAX_MESSAGES=5`` for the session limit.
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


SESSION_LIMIT = 5


@pytest.fixture(scope="module")
def fragile_bot(tmp_path_factory) -> Iterator[Bot]:
    """Three actions per turn at most; five visitor messages per session."""
    with running_bot(tmp_path_factory.mktemp("fragile"),
                     extra_env={"MAX_NUMBER_OF_PREDICTIONS": "3",
                                "SESSION_MAX_MESSAGES": str(SESSION_LIMIT)}) as running:
        yield running


def sessions_started(bot: Bot, sender: str) -> int:
    with sqlite3.connect(bot.db_path) as db:
        return db.execute("SELECT count(*) FROM events WHERE sender_id = ? AND type_name = "
                          "'session_started'", (sender,)).fetchone()[0]


BOOKING = ["book a consultation", "Jane Doe", "708 555 0123", '/choose_office{"office": "oak_park"}',
           "weekday mornings", "skip", "/affirm"]


def test_after_the_circuit_breaker_the_next_message_is_answered(fragile_bot):
    sender = uuid.uuid4().hex
    for text in BOOKING:  # 7 messages: over the session limit, but a booking is open
        fragile_bot.send(text, sender)
    assert sessions_started(fragile_bot, sender) == 1
    # "book" at the summary runs the intro, the form and the summary: three actions.
    tripped = fragile_bot.send("/book_appointment", sender)
    assert "booking" in kinds(tripped)
    assert slot_events(fragile_bot, sender, "bot_error") == ["circuit_breaker"]

    answer = fragile_bot.send("what is prolotherapy?", sender)
    assert "answer" in kinds(answer), answer
    # The booking was reset: "yes" no longer sends it.
    after = fragile_bot.send("yes", sender)
    assert kinds(after) == ["smalltalk"], after
    assert sessions_started(fragile_bot, sender) == 2  # the booking closed: the limit applies


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


def test_a_long_conversation_gets_a_new_session_and_keeps_its_history(fragile_bot):
    sender = uuid.uuid4().hex
    questions = ["what is prolotherapy?", "is fusion my only option?"]
    for n in range(SESSION_LIMIT):
        assert "answer" in kinds(fragile_bot.send(questions[n % 2], sender))
    assert sessions_started(fragile_bot, sender) == 1
    assert "answer" in kinds(fragile_bot.send("what is prolotherapy?", sender))
    assert sessions_started(fragile_bot, sender) == 2
    with sqlite3.connect(fragile_bot.db_path) as db:
        visitor = db.execute("SELECT count(*) FROM events WHERE sender_id = ? AND type_name = 'user'",
                             (sender,)).fetchone()[0]
    assert visitor == SESSION_LIMIT + 1  # nothing dropped from the stored conversation
