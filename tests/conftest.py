"""Shared fixtures: a real SQLite database file, a real SMTP server on loopback, the staff console."""

from __future__ import annotations

import contextlib
import io
import socket
from collections.abc import Callable
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from assistant.store import get_engine, migrate, tracker_metadata

STAFF_PASSWORD = "a long enough passphrase 42"
STAFF_ACCOUNTS = (("alice", "admin"), ("sam", "staff"))


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


@pytest.fixture()
def make_console(db_url, tmp_path, monkeypatch) -> Callable[..., object]:
    """The web app on this test's database, its accounts created through the staff CLI.

    Rasa's (empty) event table exists, as beside a running bot. CSRF is off
    unless asked for: most tests post forms directly; those about the CSRF
    rules themselves keep it.
    """
    from webapp.staff.cli import main as cli

    def make(accounts: tuple[tuple[str, str], ...] = STAFF_ACCOUNTS, csrf: bool = False) -> object:
        monkeypatch.setenv("DATABASE_URL", db_url)
        monkeypatch.setenv("STAFF_SECRET_FILE", str(tmp_path / "key"))
        with get_engine(db_url).begin() as connection:
            tracker_metadata.create_all(connection)
        for name, role in accounts:
            monkeypatch.setattr("sys.stdin", io.StringIO(STAFF_PASSWORD + "\n"))
            cli(["create-user", name, "--role", role, "--password-stdin"])
        from webapp import create_app

        return create_app({"TESTING": True} if csrf else {"TESTING": True, "WTF_CSRF_ENABLED": False})

    return make
