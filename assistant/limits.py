"""Rate limits on chat messages, per conversation and per client address, and on bookings.

Without them one script can fill the tracker store, keep the NLU pipeline
busy for everyone and, through the booking form, the clinic's inbox. A
message over a limit is not processed; the visitor gets a reply saying to
wait (never silence). Limits are per minute, counted in a sliding window in
this process (with several Rasa replicas each counts its own share; the
socket.io channel is sticky, so a conversation stays on one replica).

Booking requests are limited per address too: once an address has sent
``BOOKING_LIMIT_PER_ADDRESS`` (10) in 24 hours, the channel marks its messages
``booking_limit_reached`` (server-set metadata; clients cannot set metadata
on these channels) and the action server stores and e-mails no more.

Callers on the machine itself (loopback: health checks, tests, load runs)
are not limited unless CHAT_LIMITS_EXEMPT_LOOPBACK=0.

The client address is the connection's, or with ``TRUSTED_PROXIES=N`` the
N-th address from the right of ``X-Forwarded-For`` (the one the nearest
trusted proxy saw); it is used only for counting and never stored.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections import defaultdict, deque
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field

WINDOW_SECONDS = 60.0
# Set by the channel for the message being handled (never stored).
client_address: ContextVar[str] = ContextVar("client_address", default="unknown")


def per_conversation() -> int:
    return int(os.environ.get("CHAT_LIMIT_PER_CONVERSATION", "30"))


def per_address() -> int:
    return int(os.environ.get("CHAT_LIMIT_PER_ADDRESS", "300"))


@dataclass
class SlidingWindow:
    """At most ``limit`` events per key in any ``window`` seconds."""

    limit: int
    window: float = WINDOW_SECONDS
    _events: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def count(self, key: str, now: float | None = None) -> int:
        """Events of ``key`` in the window ending now."""
        now = time.monotonic() if now is None else now
        events = self._events.get(key)
        if not events:
            return 0
        while events and now - events[0] >= self.window:
            events.popleft()
        return len(events)

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if self.count(key, now) >= self.limit:
            return False
        events = self._events[key]
        events.append(now)
        if len(self._events) > 100_000:  # forget idle keys so memory stays bounded
            self._forget_idle(now)
        return True

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._events.items() if not v or now - v[-1] >= self.window]:
            del self._events[key]


def bookings_per_address() -> int:
    return int(os.environ.get("BOOKING_LIMIT_PER_ADDRESS", "10"))


def exempt(address: str) -> bool:
    """Loopback callers (health checks, tests, load runs on the machine itself) are not limited.

    Behind a reverse proxy on the same machine every visitor would look like
    loopback: set TRUSTED_PROXIES there (the scaled profile does), or set
    CHAT_LIMITS_EXEMPT_LOOPBACK=0.
    """
    return os.environ.get("CHAT_LIMITS_EXEMPT_LOOPBACK", "1") == "1" and is_loopback(address)


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8 and ::1; False for anything that is not an address."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class ChatLimits:
    def __init__(self) -> None:
        self.conversations = SlidingWindow(per_conversation())
        self.addresses = SlidingWindow(per_address())
        # Booking requests sent from each address in the last 24 hours.
        self.bookings = SlidingWindow(bookings_per_address(), window=24 * 3600)

    def bookings_blocked(self, address: str) -> bool:
        return not exempt(address) and self.bookings.count(address) >= self.bookings.limit

    def booking_sent(self, address: str) -> None:
        self.bookings.allow(address)

    def allow(self, conversation_id: str, address: str) -> bool:
        if exempt(address):
            return True
        # Count against the address first, so one client cannot use many ids to go faster.
        return self.addresses.allow(address) and self.conversations.allow(conversation_id)


def address_from(remote: str | None, headers: Mapping[str, str]) -> str:
    """The client's address, believing X-Forwarded-For only as far as TRUSTED_PROXIES allows."""
    trusted = int(os.environ.get("TRUSTED_PROXIES", "0") or 0)
    if trusted > 0:
        forwarded = [a.strip() for a in (headers.get("x-forwarded-for") or "").split(",") if a.strip()]
        if len(forwarded) >= trusted:
            return forwarded[-trusted][:64]
    return (remote or "unknown")[:64]


def limit_text() -> str:
    return ("You're sending messages faster than I can read them. Please wait a minute and try "
            "again; your conversation is still here.")
