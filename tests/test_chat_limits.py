"""Signed conversation ids and chat rate limits (the units; tests/e2e/test_chat_security.py drives the servers)."""

from __future__ import annotations

import pytest

from assistant import chat_sessions, limits


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("CHAT_SESSION_SECRET", "test-secret-for-signing-ids")
    chat_sessions._secret.cache_clear()
    yield
    chat_sessions._secret.cache_clear()


def test_an_issued_token_resumes_its_conversation():
    conversation_id, token = chat_sessions.issue()
    assert token.startswith(conversation_id + ".")
    assert chat_sessions.resume(token) == (conversation_id, token)


@pytest.mark.parametrize("forged", [
    "0123456789abcdef0123456789abcdef",                      # an id alone (as staff see it)
    "0123456789abcdef0123456789abcdef.00000000000000000000000000000000",
    "startup-check", "", None, 42, {"session_id": "x"}, "a" * 1000,
])
def test_anything_the_server_did_not_issue_is_refused(forged):
    assert chat_sessions.resume(forged) is None


def test_a_token_from_another_secret_is_refused(monkeypatch):
    _, token = chat_sessions.issue()
    monkeypatch.setenv("CHAT_SESSION_SECRET", "a-different-deployment")
    chat_sessions._secret.cache_clear()
    assert chat_sessions.resume(token) is None


def test_the_window_allows_the_limit_then_refuses_until_it_slides():
    window = limits.SlidingWindow(limit=3, window=60)
    assert [window.allow("a", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert window.allow("b", now=3)           # other keys are unaffected
    assert not window.allow("a", now=59.9)
    assert window.allow("a", now=60.0)         # the first event left the window


def test_one_address_cannot_go_faster_by_using_many_conversations(monkeypatch):
    monkeypatch.setenv("CHAT_LIMIT_PER_CONVERSATION", "30")
    monkeypatch.setenv("CHAT_LIMIT_PER_ADDRESS", "5")
    chat = limits.ChatLimits()
    allowed = [chat.allow(f"conversation-{i}", "203.0.113.7") for i in range(8)]
    assert allowed == [True] * 5 + [False] * 3
    assert chat.allow("conversation-x", "198.51.100.1")


@pytest.mark.parametrize(("trusted", "forwarded", "expected"), [
    ("0", "203.0.113.9", "10.0.0.2"),                  # no proxy trusted: the header is ignored
    ("1", "203.0.113.9", "203.0.113.9"),
    ("1", "198.51.100.66, 203.0.113.9", "203.0.113.9"),  # a client-written entry on the left is not believed
    ("2", "198.51.100.66, 203.0.113.9", "198.51.100.66"),
    ("2", "203.0.113.9", "10.0.0.2"),                  # fewer entries than proxies: the connection's
])
def test_the_client_address_believes_only_trusted_proxies(monkeypatch, trusted, forwarded, expected):
    monkeypatch.setenv("TRUSTED_PROXIES", trusted)
    assert limits.address_from("10.0.0.2", {"x-forwarded-for": forwarded}) == expected


def test_bookings_per_address_are_counted_over_a_day(monkeypatch):
    monkeypatch.setenv("BOOKING_LIMIT_PER_ADDRESS", "2")
    chat = limits.ChatLimits()
    assert not chat.bookings_blocked("203.0.113.7")
    chat.booking_sent("203.0.113.7")
    chat.booking_sent("203.0.113.7")
    assert chat.bookings_blocked("203.0.113.7")
    assert not chat.bookings_blocked("198.51.100.1")
    assert chat.bookings.count("203.0.113.7", now=__import__("time").monotonic() + 24 * 3600) == 0


def test_callers_on_the_machine_itself_are_not_limited_unless_asked(monkeypatch):
    monkeypatch.setenv("CHAT_LIMIT_PER_CONVERSATION", "1")
    chat = limits.ChatLimits()
    assert all(chat.allow("load-test", "127.0.0.1") for _ in range(50))
    assert all(chat.allow("load-test", "::1") for _ in range(5))
    assert chat.allow("visitor", "203.0.113.7") and not chat.allow("visitor", "203.0.113.7")
    monkeypatch.setenv("CHAT_LIMITS_EXEMPT_LOOPBACK", "0")
    assert chat.allow("local", "127.0.0.1") and not chat.allow("local", "127.0.0.1")
