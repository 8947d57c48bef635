"""Shared fixtures: a real SQLite database file and a real SMTP server on loopback."""

from __future__ import annotations

import contextlib
import socket
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from assistant.store import get_engine, migrate


@pytest.fixture()
def db_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'db' / 'rasa.db'}"
    migrate(url)
    yield url
    get_engine(url).dispose()


class Inbox:
    """Collects what the SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def smtp_server(monkeypatch):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("STAFF_EMAIL", "frontdesk@clinic.test")
    monkeypatch.setenv("SMTP_FROM", "assistant@clinic.test")
    yield inbox, controller
    with contextlib.suppress(AssertionError):  # already stopped by the test
        controller.stop()
