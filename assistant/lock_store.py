"""A Redis lock store whose tickets are issued and served atomically.

Rasa serialises the messages of one conversation with a ticket lock: each
message takes a ticket and waits until it is the lowest one still valid. The
open-source ``RedisLockStore`` keeps the whole lock as one JSON value and
changes it by read-modify-write (``get_lock`` ... ``save_lock``), so two Rasa
replicas that take a ticket for the same conversation at the same moment can
both read ticket *n*, both write *n + 1*, and then both process at once:
their events interleave in the tracker store, or one overwrites the other.
``tests/e2e/test_scaled.py`` sends one conversation 50 messages at once
through two replicas to show what happens.

Here every step is one Lua script, which Redis runs atomically:

- ``issue``: the next number from a counter, added to a sorted set (the
  queue), and a lease key for that ticket that expires after the lock
  lifetime, as Rasa's tickets do;
- ``now serving``: the lowest ticket whose lease still exists (expired ones
  are dropped on the way), so a replica that died holding a ticket blocks the
  conversation for one lifetime at most;
- ``release``: the ticket leaves the queue; an empty queue is deleted.

Waiting is a short poll (``LOCK_STORE_POLL_SECONDS``, default 0.02 s) rather
than Rasa's one second, so quick messages of one visitor follow each other
without a second's pause.

**Leases are renewed while their process lives.** A ticket's lease lasts
``LOCK_STORE_LEASE_SECONDS`` (default 10 s, at most Rasa's lock lifetime)
and the process holding or waiting with it renews it every third of that,
up to the lock lifetime in all. A replica killed mid-message therefore
blocks its conversation for one lease (the next message, sent again by
HAProxy to another replica, waits that long), not for Rasa's 60 s lifetime;
a slow message of a live replica keeps its turn as before.

**Redis away** (killed, restarting, unreachable): each replica serialises
its own messages with an in-process lock per conversation instead, so
visitors keep getting answers while supervisord starts Redis again (a few
seconds). What is lost meanwhile is only the ordering *across* replicas for
one conversation: socket.io is sticky (one replica per connection) and a
REST client waits for each reply before it sends the next message, so two
replicas rarely hold one conversation at once; the tracker store's counting
save keeps even that from storing an event twice. A ticket whose release
fails because Redis went away mid-message is left to expire (its lease).

Keys: ``<prefix>lock:{<conversation>}:n`` (counter), ``...:q`` (queue),
``...:t:<ticket>`` (leases). The braces keep one conversation's keys in one
Redis Cluster slot.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

POLL_SECONDS = float(os.environ.get("LOCK_STORE_POLL_SECONDS", "0.02"))
LEASE_SECONDS = float(os.environ.get("LOCK_STORE_LEASE_SECONDS", "10"))

# KEYS: counter, queue, lease prefix. ARGV: lifetime in ms.
_ISSUE = """
local ticket = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ticket, ticket)
redis.call('SET', KEYS[3] .. ticket, 1, 'PX', ARGV[1])
-- counter and queue outlive every lease in them: extend, never shorten
local keep = tonumber(ARGV[1]) * 2
for i = 1, 2 do
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl >= 0 and ttl < keep or ttl == -1 then redis.call('PEXPIRE', KEYS[i], keep) end
end
return ticket
"""

# KEYS: counter, queue, lease prefix. ARGV: ticket, lease in ms. 0: the lease had already run out.
_RENEW = """
if redis.call('PEXPIRE', KEYS[3] .. ARGV[1], ARGV[2]) == 0 then return 0 end
local keep = tonumber(ARGV[2]) * 2
for i = 1, 2 do
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl >= 0 and ttl < keep or ttl == -1 then redis.call('PEXPIRE', KEYS[i], keep) end
end
return 1
"""

# KEYS: queue, lease prefix. Returns the lowest ticket with a lease, or 0.
_NOW_SERVING = """
while true do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if not head then return 0 end
  if redis.call('EXISTS', KEYS[2] .. head) == 1 then return tonumber(head) end
  redis.call('ZREM', KEYS[1], head)
end
"""

# KEYS: counter, queue, lease prefix. ARGV: ticket.
_RELEASE = """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3] .. ARGV[1])
if redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
end
return 1
"""


# Redis is not there (rather than refusing a command): fall back to a lock in this process.
_REDIS_AWAY = (redis.ConnectionError, redis.TimeoutError)


class _LocalLocks:
    """One asyncio lock per conversation, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def held(self, conversation_id: str) -> AsyncGenerator[None, None]:
        lock, users = self._locks.get(conversation_id, (asyncio.Lock(), 0))
        self._locks[conversation_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[conversation_id]
            if users <= 1:
                del self._locks[conversation_id]
            else:
                self._locks[conversation_id] = (lock, users - 1)


class AtomicRedisLockStore(LockStore):
    """Rasa lock store (``lock_store: type: assistant.lock_store.AtomicRedisLockStore``)."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, *,
                 client: redis.Redis | None = None, key_prefix: str = "") -> None:
        super().__init__()
        kwargs: dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config else {}
        if client is None:
            url = os.environ.get("REDIS_URL") or (endpoint_config.url if endpoint_config else None)
            if not url:
                raise ValueError("AtomicRedisLockStore needs REDIS_URL or a `url` in endpoints.yml")
            client = redis.Redis.from_url(url, socket_timeout=float(kwargs.get("socket_timeout", 10)))
        self.red = client
        prefix = key_prefix or str(kwargs.get("key_prefix") or "")
        self.key_prefix = f"{prefix}:" if prefix else ""
        self._issue = self.red.register_script(_ISSUE)
        self._now_serving = self.red.register_script(_NOW_SERVING)
        self._release = self.red.register_script(_RELEASE)
        self._renew = self.red.register_script(_RENEW)
        self._local = _LocalLocks()

    def _keys(self, conversation_id: str) -> tuple[str, str, str]:
        base = f"{self.key_prefix}lock:{{{conversation_id}}}"
        return f"{base}:n", f"{base}:q", f"{base}:t:"

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        counter, queue, lease = self._keys(conversation_id)
        try:
            return int(self._issue(keys=[counter, queue, lease], args=[max(1, int(lock_lifetime * 1000))]))
        except redis.RedisError as error:
            raise LockError(f"No ticket for conversation '{conversation_id}': {error}") from error

    def now_serving(self, conversation_id: str) -> int:
        """The ticket whose turn it is (0: nobody holds or waits)."""
        _, queue, lease = self._keys(conversation_id)
        return int(self._now_serving(keys=[queue, lease]))

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        counter, queue, lease = self._keys(conversation_id)
        self._release(keys=[counter, queue, lease], args=[ticket_number])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self.finish_serving(conversation_id, ticket_number)

    def is_someone_waiting(self, conversation_id: str) -> bool:
        return self.now_serving(conversation_id) != 0

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = POLL_SECONDS) -> AsyncGenerator[TicketLock, None]:
        try:
            ticket = self.issue_ticket(conversation_id, min(lock_lifetime, LEASE_SECONDS))
        except LockError as error:
            if not isinstance(error.__cause__, _REDIS_AWAY):
                raise
            async with self._held_here(conversation_id, error.__cause__) as lock:
                yield lock
            return
        renewing = asyncio.ensure_future(self._renew_lease(conversation_id, ticket, lock_lifetime))
        try:
            try:
                await self._wait_for_turn(conversation_id, ticket, min(wait_time_in_seconds, POLL_SECONDS))
            except _REDIS_AWAY as error:  # gone while we waited: its queue went with it
                async with self._held_here(conversation_id, error) as lock:
                    yield lock
                return
            yield TicketLock(conversation_id)
        finally:
            renewing.cancel()
            try:
                self.cleanup(conversation_id, ticket)
            except _REDIS_AWAY as error:  # the message was handled; the lease expires by itself
                logger.warning("Ticket %s of '%s' not released (%s).", ticket, conversation_id, error)

    @asynccontextmanager
    async def _held_here(self, conversation_id: str,
                         error: BaseException) -> AsyncGenerator[TicketLock, None]:
        """Redis is away: the conversation's turn is kept by a lock in this process only."""
        logger.warning("Redis away (%s): conversation '%s' locked in this process only.",
                       error, conversation_id)
        async with self._local.held(conversation_id):
            yield TicketLock(conversation_id)

    async def _renew_lease(self, conversation_id: str, ticket: int, lock_lifetime: float) -> None:
        """Keep the ticket's lease alive while this process holds or waits with it, up to the lifetime."""
        lease = min(lock_lifetime, LEASE_SECONDS)
        counter, queue, prefix = self._keys(conversation_id)
        until = asyncio.get_running_loop().time() + lock_lifetime - lease
        while asyncio.get_running_loop().time() + lease / 3 < until:
            await asyncio.sleep(lease / 3)
            try:
                if not self._renew(keys=[counter, queue, prefix], args=[ticket, max(1, int(lease * 1000))]):
                    return  # already run out: the ticket has lost its turn
            except redis.RedisError as error:  # Redis away for a moment: the lease may still hold
                logger.warning("Lease of ticket %s of '%s' not renewed (%s).", ticket, conversation_id, error)

    async def _wait_for_turn(self, conversation_id: str, ticket: int, poll: float) -> None:
        while True:
            serving = self.now_serving(conversation_id)
            if serving == ticket:
                return
            if serving == 0 or serving > ticket:  # our lease ran out while we waited
                raise LockError(f"Ticket {ticket} of '{conversation_id}' expired while waiting.")
            await asyncio.sleep(poll)

    # Rasa's read-modify-write interface is not used by this store.
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        return None

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("AtomicRedisLockStore changes tickets only through its scripts")

    def delete_lock(self, conversation_id: str) -> None:
        counter, queue, _ = self._keys(conversation_id)
        self.red.delete(counter, queue)
