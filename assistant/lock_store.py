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
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            await self._wait_for_turn(conversation_id, ticket, min(wait_time_in_seconds, POLL_SECONDS))
            lock = TicketLock(conversation_id)
            yield lock
        finally:
            self.cleanup(conversation_id, ticket)

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
