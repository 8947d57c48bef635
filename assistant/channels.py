"""REST and socket.io channels that never leave a visitor in silence.

When the action server is down, Rasa logs the failed custom action and sends
nothing: the visitor would wait forever. These channels keep Rasa's own input
handling and URLs (``/webhooks/rest/webhook``, socket.io on the same port) and
only add a closing check: if a turn produced no bot message, they send a
message saying the assistant (and booking) is unavailable, with the clinic's
phone numbers. Configured in credentials.yml.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from assistant.clinic import load_clinic

Handler = Callable[[UserMessage], Awaitable[Any]]


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


def never_silent(on_new_message: Handler) -> Handler:
    async def handle(message: UserMessage) -> None:
        inner = message.output_channel
        counting = _CountingChannel(inner)
        message.output_channel = counting
        try:
            await on_new_message(message)
        finally:
            if counting.sent == 0:
                await inner.send_response(message.sender_id, {
                    "text": unavailable_text(),
                    "custom": {"kind": "handoff", "reason": "unavailable",
                               "offices": [{"name": o.name, "phone": o.phone}
                                           for o in load_clinic().offices]},
                })

    return handle


class ResilientRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        return super().blueprint(never_silent(on_new_message))


class ResilientSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        return super().blueprint(never_silent(on_new_message))
