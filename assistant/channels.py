"""REST and socket.io channels that never leave a visitor in silence.

When the action server is down, Rasa logs the failed custom action and sends
nothing: the visitor would wait forever. These channels keep Rasa's own input
handling and URLs (``/webhooks/rest/webhook``, socket.io on the same port) and
only add a closing check: if a turn produced no bot message, they send a
message saying the assistant (and booking) is unavailable, with the clinic's
phone numbers. The same wrapper registers the recovery from a broken turn
(assistant/recovery.py) and starts a new session in a very long conversation
(assistant/sessions.py). Configured in credentials.yml.

The socket.io channel also sends each bot message as one event
``{"text", "buttons", "custom"}``. Rasa's own socket.io output splits text at
blank lines into several events and cannot send a ``custom`` payload at all
(it passes the payload's keys to ``emit`` as keyword arguments); the web
widget needs the answer, its quotes and its buttons together.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from assistant import recovery, sessions
from assistant.clinic import load_clinic
from assistant.triage import MODEL_MAX_CHARS

log = logging.getLogger(__name__)

Handler = Callable[[UserMessage], Awaitable[Any]]
# Session ids are the conversation ids in the tracker store: accept only the
# shape we hand out (or a UUID) so a client cannot pick arbitrary strings.
_SESSION_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")


def unavailable_text() -> str:
    return ("Sorry, I'm having a technical problem and can't answer questions or take booking "
            f"requests right now. Please call the clinic: {load_clinic().phones}.")


class _CountingChannel(OutputChannel):
    """Passes every bot message through and remembers whether any was sent."""

    def __init__(self, inner: OutputChannel):
        self.inner = inner
        self.sent = 0

    def name(self) -> str:  # type: ignore[override]  # keep the real channel's name
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
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
        inner = message.output_channel
        counting = _CountingChannel(inner)
        message.output_channel = counting
        try:
            await on_new_message(message)
        finally:
            if counting.sent == 0:
                reply = {
                    "text": unavailable_text(),
                    "custom": {"kind": "handoff", "reason": "unavailable",
                               "offices": [{"name": o.name, "phone": o.phone}
                                           for o in load_clinic().offices]},
                }
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
        return blueprint


class WholeMessageSocketIOOutput(SocketIOOutput):
    """One ``bot_uttered`` event per bot message, custom payload included."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        event: dict[str, Any] = {}
        if message.get("text"):
            event["text"] = message["text"]
        buttons = message.get("buttons") or message.get("quick_replies") or []
        if buttons:
            event["buttons"] = [{"title": b["title"], "payload": b["payload"]} for b in buttons]
        if message.get("custom") is not None:
            event["custom"] = message["custom"]
        if message.get("image"):
            event["image"] = message["image"]
        if event:
            await self._send_message(recipient_id, event)


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
        blueprint = super().blueprint(whole_messages(never_silent(on_new_message, ref)))
        ref.remember_app(blueprint)
        sio = self.sio
        assert sio is not None

        # Replaces Rasa's handler, which calls python-socketio 5.x's coroutine
        # ``enter_room`` without awaiting it: the browser then never joins its
        # session's room and never receives a reply.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not (isinstance(session_id, str) and _SESSION_ID.fullmatch(session_id)):
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(entered):
                    await entered
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        return blueprint
