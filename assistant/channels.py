"""REST and socket.io channels that never leave a visitor in silence.

When the action server is down, Rasa logs the failed custom action and sends
nothing: the visitor would wait forever. These channels keep Rasa's own input
handling and URLs (``/webhooks/rest/webhook``, socket.io on the same port) and
only add a closing check: if a turn produced no bot message, they send a
message saying the assistant (and booking) is unavailable, with the clinic's
phone numbers. The same wrapper registers the recovery from a broken turn
(assistant/recovery.py) and starts a new session in a very long conversation
(assistant/sessions.py). Configured in credentials.yml.

Before any of that, a message over the rate limits (assistant/limits.py)
gets a "please wait" reply and goes no further.

The socket.io channel issues conversation ids itself (signed resume tokens,
assistant/chat_sessions.py) and binds each socket to its conversation: what a
client writes as ``session_id`` is never used as a conversation id. The REST
channel accepts only well-formed sender ids, keeps the health checks' ids for
loopback callers, and requires ``REST_CHANNEL_TOKEN`` (as a bearer token)
when that is set, as it should be in production.

The socket.io channel sends each bot message as Rasa clients expect it: one
``bot_uttered`` event ``{"text"}`` or ``{"text", "buttons"}`` (the shapes the
community widget rasa-webchat renders), then, when the message carries one,
the ``custom`` payload in its own event ``{"custom"}``, which this project's
widget attaches to the message before it. Rasa's own socket.io output splits
text at blank lines into several events and passes a custom payload's keys to
``emit`` as keyword arguments, which loses it.

Clients stay on HTTP long-polling: the server offers no WebSocket upgrade.
Sanic 21.12's WebSocket support (Rasa 3.6 pins it) fails the upgrade under
Python 3.11 ("Invalid frame header"), and a client whose upgrade fails, as
rasa-webchat's does, then polls in a tight loop. An idle polling client makes
one request per ping interval (25 s).
"""

from __future__ import annotations

import hmac
import inspect
import logging
import os
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request

from assistant import chat_sessions, limits, rasa_patches, recovery, sessions
from assistant.clinic import load_clinic
from assistant.conversations import SYSTEM_SENDERS
from assistant.reply_kinds import ReplyKind
from assistant.triage import MODEL_MAX_CHARS

rasa_patches.apply()  # the Rasa server loads this module (credentials.yml)

log = logging.getLogger(__name__)

Handler = Callable[[UserMessage], Awaitable[Any]]
# What a REST client may use as its conversation id.
_REST_SENDER = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
_limits: limits.ChatLimits | None = None
# Message metadata the action server reads (assistant.limits); set only here.
BOOKING_LIMIT_FLAG = "booking_limit_reached"


def chat_limits() -> limits.ChatLimits:
    global _limits
    if _limits is None:
        _limits = limits.ChatLimits()
    return _limits


def unavailable_text() -> str:
    return ("Sorry, I'm having a technical problem and can't answer questions or take booking "
            f"requests right now. Please call the clinic: {load_clinic().phones}.")


def unavailable_reply() -> dict:
    """The honest "can't answer right now" message, with the offices' numbers.

    Sent by the channel when a message got no reply, and by HAProxy in the scaled
    profile when no replica could take a message (assistant/tools/scaled.py).
    """
    return {"text": unavailable_text(),
            "custom": {"kind": ReplyKind.HANDOFF.value, "reason": "unavailable",
                       "offices": [{"name": o.name, "phone": o.phone} for o in load_clinic().offices]}}


class _CountingChannel(OutputChannel):
    """Passes every bot message through; remembers whether any was sent and if a booking was stored."""

    def __init__(self, inner: OutputChannel):
        self.inner = inner
        self.sent = 0
        self.booking_stored = False

    def name(self) -> str:  # type: ignore[override]  # keep the real channel's name
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        custom = message.get("custom") or {}
        if (isinstance(custom, dict) and custom.get("kind") == ReplyKind.BOOKING
                and custom.get("status") in {"saved", "queued"} and not custom.get("duplicate")):
            self.booking_stored = True
        await self.inner.send_response(recipient_id, message)


class AgentRef:
    """The Rasa server's agent, for the channel wrappers (set when the server starts)."""

    def __init__(self) -> None:
        self.app: Any = None

    def remember_app(self, blueprint: Blueprint) -> None:
        @blueprint.listener("before_server_start")
        async def remember(app: Any, _loop: Any) -> None:
            self.app = app
            # Sanic's default is 100 MB; a chat message needs a few kilobytes.
            app.config.REQUEST_MAX_SIZE = max_body_bytes()

    def agent(self) -> Any:
        return getattr(getattr(self.app, "ctx", None), "agent", None)


def max_body_bytes() -> int:
    return int(os.environ.get("CHAT_MAX_BODY_BYTES", "262144"))


def cap_length(message: UserMessage) -> None:
    """Cut a huge message before the NLU pipeline sees it, and say so in its metadata.

    Red flags are still looked for in what is kept (the classifier reads at
    most this much anyway); the bot then answers that the message is too long.
    """
    if len(message.text) > MODEL_MAX_CHARS:
        message.metadata = {**(message.metadata or {}), "truncated_from": len(message.text)}
        message.text = message.text[:MODEL_MAX_CHARS]


def never_silent(on_new_message: Handler, ref: AgentRef | None = None) -> Handler:
    """Every visitor message gets a reply, and a broken turn leaves no broken conversation."""
    ref = ref or AgentRef()

    async def handle(message: UserMessage) -> None:
        address = limits.client_address.get()
        if not chat_limits().allow(message.sender_id, address):
            await message.output_channel.send_response(message.sender_id, {
                "text": limits.limit_text(), "custom": {"kind": ReplyKind.LIMIT.value, "reason": "rate"}})
            return
        if not isinstance(message.text, str):
            # socket.io can carry binary frames or JSON objects as "message";
            # treat anything that is not text as an empty message (which gets
            # its own reply) instead of crashing the NLU pipeline.
            message.text = ""
        cap_length(message)
        agent = ref.agent()
        recovery.install(agent)
        try:
            await sessions.start_new_session_if_long(agent, message.sender_id, message.output_channel)
        except Exception:  # the message itself must still be handled
            log.exception("could not start a new session")
        if chat_limits().bookings_blocked(address):
            message.metadata = {**(message.metadata or {}), BOOKING_LIMIT_FLAG: True}
        inner = message.output_channel
        counting = _CountingChannel(inner)
        message.output_channel = counting
        try:
            await on_new_message(message)
        finally:
            if counting.booking_stored:
                chat_limits().booking_sent(address)
            if counting.sent == 0:
                reply = unavailable_reply()
                await inner.send_response(message.sender_id, dict(reply))  # Rasa pops its keys
                await recovery.record_no_reply(agent, message.sender_id, reply)

    return handle


class ResilientRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        ref = AgentRef()
        blueprint = super().blueprint(never_silent(on_new_message, ref))
        ref.remember_app(blueprint)
        blueprint.middleware("request")(check_rest_request)
        return blueprint


async def check_rest_request(request: Request) -> Any:
    """Token, sender id and client address for a REST message (None: go on)."""
    address = limits.address_from(request.ip, request.headers)
    limits.client_address.set(address)
    if not request.path.endswith("/webhook") or request.method != "POST":
        return None
    token = os.environ.get("REST_CHANNEL_TOKEN", "")
    sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if token and not hmac.compare_digest(sent.encode(), token.encode()):
        return response.json({"error": "a valid bearer token is required"}, status=401)
    try:
        body = request.json
    except Exception:  # Sanic raises on a body that is not JSON
        return response.json({"error": "the body must be JSON"}, status=400)
    sender = body.get("sender") if isinstance(body, dict) else None
    if not (isinstance(sender, str) and _REST_SENDER.fullmatch(sender)):
        return response.json({"error": "\"sender\" must be 1-128 letters, digits or ._:@-"}, status=400)
    if sender in SYSTEM_SENDERS and not limits.is_loopback(address):
        return response.json({"error": "this sender id is reserved"}, status=400)
    return None


class WholeMessageSocketIOOutput(SocketIOOutput):
    """Per bot message: ``{text[, buttons]}`` unsplit, then ``{custom}`` on its own."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        event: dict[str, Any] = {}
        if message.get("text"):
            event["text"] = message["text"]
        buttons = message.get("buttons") or message.get("quick_replies") or []
        if buttons:
            event["text"] = event.get("text", "")
            event["buttons"] = [{"title": b["title"], "payload": b["payload"]} for b in buttons]
        if event:
            await self._send_message(recipient_id, event)
        if message.get("image"):
            await self.send_image_url(recipient_id, message["image"])
        if message.get("custom") is not None:
            await self._send_message(recipient_id, {"custom": message["custom"]})


def whole_messages(on_new_message: Handler) -> Handler:
    async def handle(message: UserMessage) -> None:
        channel = message.output_channel
        if isinstance(channel, SocketIOOutput):
            message.output_channel = WholeMessageSocketIOOutput(channel.sio, channel.bot_message_evt)
        await on_new_message(message)

    return handle


class ResilientSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def get_output_channel(self) -> OutputChannel | None:
        channel = super().get_output_channel()
        if isinstance(channel, SocketIOOutput):
            return WholeMessageSocketIOOutput(channel.sio, channel.bot_message_evt)
        return channel

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        ref = AgentRef()
        handler = whole_messages(never_silent(on_new_message, ref))
        blueprint = super().blueprint(handler)
        ref.remember_app(blueprint)
        sio = self.sio
        assert sio is not None
        # Polling only: no upgrade is offered (see the module docstring).
        sio.eio.allow_upgrades = False
        sio.eio.transports = ["polling"]

        bound: dict[str, str] = {}  # socket id -> the conversation it may write to

        async def join(sid: str, conversation_id: str) -> None:
            bound[sid] = conversation_id
            entered = sio.enter_room(sid, conversation_id, namespace=self.namespace)
            if inspect.isawaitable(entered):
                await entered

        # Replaces Rasa's handler, which calls python-socketio 5.x's coroutine
        # ``enter_room`` without awaiting it (the browser then never receives
        # a reply), and takes any id the client names.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            token = data.get("session_id") if isinstance(data, dict) else None
            conversation_id, token = chat_sessions.resume(token) or chat_sessions.issue()
            await join(sid, conversation_id)
            await sio.emit("session_confirm", token, room=sid, namespace=self.namespace)

        # Replaces Rasa's handler: the conversation is the one bound to this
        # socket, whatever ``session_id`` the client writes in the message.
        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def user_uttered(sid: str, data: Any) -> None:
            if sid not in bound:  # a client that skipped session_request
                conversation_id, token = chat_sessions.issue()
                await join(sid, conversation_id)
                await sio.emit("session_confirm", token, room=sid, namespace=self.namespace)
            text = data.get("message", "") if isinstance(data, dict) else ""
            limits.client_address.set(_socket_address(sio, sid))
            output = WholeMessageSocketIOOutput(sio, self.bot_message_evt)
            await handler(UserMessage(text, output, bound[sid], input_channel=self.name()))

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str, *_: Any) -> None:
            bound.pop(sid, None)

        return blueprint


def _socket_address(sio: Any, sid: str) -> str:
    try:
        environ = sio.get_environ(sid) or {}
    except Exception:  # the socket went away
        return "unknown"
    request = environ.get("sanic.request")
    if request is None:
        return limits.address_from(environ.get("REMOTE_ADDR"), {})
    return limits.address_from(request.ip, request.headers)
