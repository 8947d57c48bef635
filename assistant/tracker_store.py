"""Rasa's SQL tracker store, with the conversations in use kept in memory.

Rasa loads the whole current session from the database for every message
(the query, the JSON of each event, and replaying the events into a tracker:
about 4 ms for a 44-event session on this machine, docs/deployment.md), even
though this process saved that very tracker when it answered the previous
message. This store keeps the tracker it loaded or saved per conversation and
hands the same object out again when the database still holds exactly that
session: Rasa's own count of the session's stored events, one indexed query,
must equal the number of events in the kept tracker.

Everything else reads the database as Rasa does: the first message after a
restart, a conversation another Rasa replica answered meanwhile (its count
moved), a tracker changed in memory and not saved (its length moved), a save
that started a new session, a new model's domain. Writes are Rasa's own
``save``, unchanged. Like Rasa's store, it relies on the lock store to keep
two processes from writing one conversation at the same time.

``TRACKER_CACHE_SIZE`` bounds how many conversations are kept (least recently
used first out; 0 turns the cache off).

A save the database refuses for a while (SQLite locked by a long write of
another process, a PostgreSQL restart) is retried with back-off for up to
``TRACKER_SAVE_RETRY_SECONDS`` (default 30) instead of failing at once: Rasa
would otherwise keep that turn in the process's memory only (its fail-safe
store), invisible to the console and lost at restart. A retry writes exactly
the events the database does not hold yet (Rasa counts them), so nothing is
stored twice. While waiting, other conversations go on: SQLite waits at most
``SQLITE_BUSY_MS`` per attempt, the back-off sleeps without blocking.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 128  # a 100-message session is about 1.1 MiB in memory: 140 MiB at worst
DEFAULT_SAVE_RETRY_SECONDS = 30.0  # below the lock lifetime (60 s), so a waiting turn keeps its lock
SQLITE_BUSY_MS = 500  # one attempt's wait for a SQLite lock (the event loop waits with it)
FIRST_BACKOFF, MAX_BACKOFF = 0.1, 2.0


def save_retry_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("TRACKER_SAVE_RETRY_SECONDS", DEFAULT_SAVE_RETRY_SECONDS)))
    except ValueError:
        return DEFAULT_SAVE_RETRY_SECONDS


def cache_size() -> int:
    try:
        return max(0, int(os.environ.get("TRACKER_CACHE_SIZE", DEFAULT_CACHE_SIZE)))
    except ValueError:
        return DEFAULT_CACHE_SIZE


@dataclass
class _Kept:
    tracker: DialogueStateTracker
    length: int  # events in the tracker, and in the stored session, when it was kept


class CachedSQLTrackerStore(SQLTrackerStore):
    """``type: assistant.tracker_store.CachedSQLTrackerStore`` in endpoints.yml, with SQL's options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._capacity = cache_size()
        self.hits = 0
        self.misses = 0
        self.save_retries = 0
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _short_sqlite_busy_wait)

    @property
    def domain(self) -> Domain:
        return self._domain

    @domain.setter
    def domain(self, domain: Domain | None) -> None:
        # a new model may bring other slots: trackers are rebuilt with its domain
        self._domain = domain or Domain.empty()
        self._kept.clear()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        kept = self._kept.pop(sender_id, None)
        if kept is not None and len(kept.tracker.events) == kept.length \
                and self._stored_session_length(sender_id) == kept.length:
            self.hits += 1
            self._keep(sender_id, kept)
            return kept.tracker
        self.misses += 1
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            self._keep(sender_id, _Kept(tracker, len(tracker.events)))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        kept = self._kept.pop(tracker.sender_id, None)
        await self._save_with_retries(tracker)
        if kept is None or kept.tracker is not tracker:
            return  # not one this store loaded: the next retrieve reads the database
        added = itertools.islice(tracker.events, kept.length, None)
        if any(isinstance(event, SessionStarted) for event in added):
            return  # the stored session is now the new one, shorter than this tracker
        self._keep(tracker.sender_id, _Kept(tracker, len(tracker.events)))

    async def _save_with_retries(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save, retried with back-off while the database refuses it (then the error)."""
        deadline = time.monotonic() + save_retry_seconds()
        delay = FIRST_BACKOFF
        while True:
            try:
                await super().save(tracker)
                return
            except DBAPIError as error:  # locked, busy, connection refused or dropped
                if time.monotonic() + delay > deadline:
                    log.error("Could not store conversation %s: %s", tracker.sender_id, error)
                    raise
                self.save_retries += 1
                log.warning("Storing conversation %s failed (%s); retrying in %.1f s",
                            tracker.sender_id, type(error.orig).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)

    def _stored_session_length(self, sender_id: str) -> int:
        with self.session_scope() as session:
            return self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()

    def _keep(self, sender_id: str, kept: _Kept) -> None:
        if not self._capacity:
            return
        self._kept[sender_id] = kept
        while len(self._kept) > self._capacity:
            self._kept.popitem(last=False)


def _short_sqlite_busy_wait(connection: Any, _record: Any) -> None:
    """Each SQLite connection waits SQLITE_BUSY_MS for a lock, not pysqlite's 5 s."""
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
    cursor.close()
