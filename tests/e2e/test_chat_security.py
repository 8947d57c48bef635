"""Visitors' conversations against the real Rasa server: ids, rate limits, the REST token.

A second client that learns a conversation's id (it appears in staff e-mails
and console URLs) gets a conversation of its own: it receives none of the
first one's replies and cannot write into it. Bursts over the limits get the
"please wait" reply. The REST channel wants its token and a well-formed sender.
"""

from __future__ import annotations

import json
import queue
import secrets
import sqlite3
import uuid
from collections.abc import Iterator

import pytest
import requests
import socketio

from tests.e2e.conftest import Bot, running_bot

PER_CONVERSATION = 12
PER_ADDRESS = 60
BOOKINGS_PER_ADDRESS = 1
REST_TOKEN = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def guarded_bot(tmp_path_factory) -> Iterator[Bot]:
    env = {"CHAT_LIMIT_PER_CONVERSATION": str(PER_CONVERSATION), "CHAT_LIMIT_PER_ADDRESS": str(PER_ADDRESS),
           "BOOKING_LIMIT_PER_ADDRESS": str(BOOKINGS_PER_ADDRESS),
           "CHAT_LIMITS_EXEMPT_LOOPBACK": "0",  # the tests come from 127.0.0.1
           "REST_CHANNEL_TOKEN": REST_TOKEN, "CHAT_SESSION_SECRET": secrets.token_hex(16)}
    with running_bot(tmp_path_factory.mktemp("guarded"), extra_env=env) as bot:
        yield bot


class Widget:
    """A socket.io client speaking to the bot as the web widget does."""

    def __init__(self, bot: Bot, token: str | None = None):
        self.replies: queue.Queue = queue.Queue()
        self.confirmed: queue.Queue = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("bot_uttered", self.replies.put)
        self.client.on("session_confirm", self.confirmed.put)
        self.client.connect(bot.url, transports=["polling"])
        self.client.emit("session_request", {"session_id": token})
        self.token: str = self.confirmed.get(timeout=30)
        self.conversation_id = self.token.split(".")[0]

    def say(self, text: str, session_id: str | None = None) -> list[dict]:
        self.client.emit("user_uttered", {"message": text, "session_id": session_id or self.token})
        return self.collect(timeout=30)

    def collect(self, timeout: float = 3) -> list[dict]:
        got = [self.replies.get(timeout=timeout)]
        while True:
            try:
                got.append(self.replies.get(timeout=1.5))
            except queue.Empty:
                return got

    def close(self) -> None:
        self.client.disconnect()


def user_texts(bot: Bot, conversation_id: str) -> list[str]:
    with sqlite3.connect(bot.db_path) as db:
        rows = db.execute("select data from events where sender_id = ? and type_name = 'user' order by id",
                          (conversation_id,)).fetchall()
    return [json.loads(data).get("text") for (data,) in rows]


def test_a_known_conversation_id_does_not_open_the_conversation(guarded_bot):
    visitor = Widget(guarded_bot)
    try:
        assert visitor.say("is fusion my only option?")
        thief = Widget(guarded_bot, token=visitor.conversation_id)  # the id as staff see it
        try:
            assert thief.conversation_id != visitor.conversation_id
            # writing the victim's id into the message does not reach the victim's conversation
            thief.say("I'd like to book an appointment", session_id=visitor.conversation_id)
            visitor_replies = visitor.say("what is prolotherapy?")
            with pytest.raises(queue.Empty):
                thief.collect(timeout=3)  # nothing of the visitor's reaches the thief
            assert visitor_replies
        finally:
            thief.close()
        assert user_texts(guarded_bot, visitor.conversation_id) == ["is fusion my only option?",
                                                                     "what is prolotherapy?"]
    finally:
        visitor.close()


def test_the_widget_resumes_its_own_conversation_with_its_token(guarded_bot):
    first = Widget(guarded_bot)
    first.say("what is PRP?")
    first.close()
    again = Widget(guarded_bot, token=first.token)  # a page reload in the same tab
    try:
        assert again.conversation_id == first.conversation_id
        again.say("thanks")
        assert user_texts(guarded_bot, first.conversation_id) == ["what is PRP?", "thanks"]
    finally:
        again.close()


def test_a_burst_in_one_conversation_gets_the_limit_reply(guarded_bot):
    sender = f"burst-{uuid.uuid4().hex[:8]}"
    kinds = [guarded_bot.custom(guarded_bot.send("what is prolotherapy?", sender))["kind"]
             for _ in range(PER_CONVERSATION + 2)]
    assert "limit" not in kinds[:PER_CONVERSATION]
    assert kinds[PER_CONVERSATION:] == ["limit", "limit"]
    # refused messages are not processed or stored
    assert len(user_texts(guarded_bot, sender)) == PER_CONVERSATION


def test_rest_needs_its_token_and_a_well_formed_sender(guarded_bot):
    url = f"{guarded_bot.url}/webhooks/rest/webhook"
    body = {"sender": "visitor-1", "message": "hello"}
    assert requests.post(url, json=body, timeout=30).status_code == 401
    assert requests.post(url, json=body, headers={"Authorization": "Bearer wrong"}, timeout=30).status_code == 401
    headers = guarded_bot.rest_headers
    assert requests.post(url, json={"message": "hello"}, headers=headers, timeout=30).status_code == 400
    for sender in ["", "x" * 200, "<script>", "a b", 42]:
        assert requests.post(url, json={"sender": sender, "message": "hi"}, headers=headers,
                             timeout=30).status_code == 400
    assert requests.post(url, data="not json", headers=headers, timeout=30).status_code == 400
    assert requests.post(url, json=body, headers=headers, timeout=30).status_code == 200


def book(bot: Bot, sender: str) -> dict:
    for text in ("I'd like to book an appointment", "Ana Lopez", "708-555-0123",
                 '/choose_office{"office": "oak_park"}', "weekday mornings", "skip", "/affirm"):
        bot.send(text, sender)
    return bot.custom(bot.send("/confirm_booking", sender))


def test_one_address_cannot_send_booking_requests_without_end(guarded_bot):
    first, second = f"booker-{uuid.uuid4().hex[:6]}", f"booker-{uuid.uuid4().hex[:6]}"
    assert book(guarded_bot, first)["status"] == "saved"
    refused = book(guarded_bot, second)  # another conversation, same address
    assert refused["status"] == "limited" and refused["booking_reference"] is None
    with sqlite3.connect(guarded_bot.db_path) as db:
        assert db.execute("select count(*) from booking_requests where conversation_id in (?, ?)",
                          (first, second)).fetchone() == (1,)


def test_many_conversations_from_one_address_hit_the_address_limit(guarded_bot):
    """Last in this module: it uses up the minute's budget of 127.0.0.1."""
    kinds = [guarded_bot.custom(guarded_bot.send("hello", f"many-{i}-{uuid.uuid4().hex[:6]}"))["kind"]
             for i in range(PER_ADDRESS + 5)]
    assert kinds.count("limit") >= 5
    assert kinds[-1] == "limit"


def test_socketio_replies_come_in_the_shapes_rasa_clients_render(bot):
    """{text} or {text, buttons} first (what rasa-webchat renders), then {custom} on its own."""
    visitor = Widget(bot)
    try:
        events = visitor.say("what is prolotherapy?")
        shapes = [sorted(event) for event in events]
        assert shapes[0] in (["text"], ["buttons", "text"]), shapes
        assert shapes[1] == ["custom"] and events[1]["custom"]["kind"] == "answer", shapes
        assert all(shape in (["text"], ["buttons", "text"], ["custom"]) for shape in shapes), shapes
    finally:
        visitor.close()


def test_the_socketio_handshake_offers_no_websocket_upgrade(bot):
    handshake = requests.get(f"{bot.url}/socket.io/?EIO=4&transport=polling", timeout=10)
    assert handshake.status_code == 200 and handshake.text.startswith("0")
    opened = json.loads(handshake.text[1:])
    assert opened["upgrades"] == [] and opened["pingInterval"] >= 20_000
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(bot.url, transports=["websocket"], wait_timeout=5)


def test_a_client_that_vanishes_is_dropped_by_the_server(bot):
    """Issue 31, point 8: a closed laptop lid polls no more; the server notices and drops the
    connection after its ping interval and timeout, instead of keeping it open for ever."""
    import time

    handshake = requests.get(f"{bot.url}/socket.io/?EIO=4&transport=polling", timeout=10)
    opened = json.loads(handshake.text[1:])
    sid, interval, timeout = opened["sid"], opened["pingInterval"] / 1000, opened["pingTimeout"] / 1000
    assert interval + timeout <= 60, opened  # a vanished client is noticed within a minute
    poll = f"{bot.url}/socket.io/?EIO=4&transport=polling&sid={sid}"
    assert requests.post(poll, data="40", timeout=10).ok  # join the default namespace
    assert requests.get(poll, timeout=interval + 10).ok  # the connection is known: it answers
    # Then the client vanishes: no poll, no pong. The server pings after its interval and waits
    # its timeout for the pong; its sweep of the client list takes up to one more timeout (the
    # sweep visits every open connection once per timeout), so a busy server may take that long.
    waited = interval + 2 * timeout + 5
    time.sleep(waited)
    gone = requests.get(poll, timeout=10)
    assert gone.status_code == 400, f"still connected after {waited:.0f} s: {gone.status_code}"
