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

A save still refused after that goes to a journal instead of Rasa's memory
store: the conversation's events, in one file per conversation under
``TRACKER_JOURNAL_DIR`` (default ``var/tracker-journal``), written to a
temporary file, fsynced and renamed, so a crash leaves the old or the new
copy, never half of one. The next message of that conversation is answered
from the journaled tracker (it sees its own history); the journal is replayed
into the database, in order and exactly once (the same counting save), when
that conversation or any other is next saved, or after a restart, and the
file removed. One journal per process: in the scaled profile each Rasa
replica replays its own.

Reading a conversation is retried the same way (a message whose history
cannot be read is never handled, so it would be lost however well saves are
kept), and on PostgreSQL each pooled connection is tested before use
(``pool_pre_ping``): after a restart of the database every one is dead.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from assistant.paths import tracker_journal_dir

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_CACHE_SIZE = 128  # a 100-message session is about 1.1 MiB in memory: 140 MiB at worst
DEFAULT_SAVE_RETRY_SECONDS = 30.0  # below the lock lifetime (60 s), so a waiting turn keeps its lock
SQLITE_BUSY_MS = 500  # one attempt's wait for a SQLite lock (the event loop waits with it)
FIRST_BACKOFF, MAX_BACKOFF = 0.1, 2.0
REPLAYS_PER_SAVE = 5  # journaled conversations replayed after each successful save


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
        self.journal = tracker_journal_dir()
        # sender id -> the journaled events (dicts), read back when the store starts
        self._journaled: dict[str, list[dict[str, Any]]] = _read_journal(self.journal)
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _short_sqlite_busy_wait)
        elif self.engine.dialect.name == "postgresql":
            self._pre_ping()

    def _pre_ping(self) -> None:
        """Test a pooled connection before use: after a PostgreSQL restart each one is dead.

        Rasa builds its engine without ``pool_pre_ping``; the first query on a dead
        connection would fail (and be retried). Same URL and pool options, plus the ping.
        """
        url = self.engine.url
        self.engine.dispose()
        self.engine = sqlalchemy.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sessionmaker(bind=self.engine)

    @property
    def domain(self) -> Domain:
        return self._domain

    @domain.setter
    def domain(self, domain: Domain | None) -> None:
        # a new model may bring other slots: trackers are rebuilt with its domain
        self._domain = domain or Domain.empty()
        self._kept.clear()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        if sender_id in self._journaled and not await self._replay(sender_id):
            # The database still refuses it: the conversation goes on from its journal.
            return DialogueStateTracker.from_dict(sender_id, self._journaled[sender_id], self.domain.slots)
        return await self._retrying(lambda: self._read(sender_id), f"reading conversation {sender_id}")

    async def _read(self, sender_id: str) -> DialogueStateTracker | None:
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
        if not await self._save_with_retries(tracker):
            self._write_journal(tracker)
            return
        self._forget_journal(tracker.sender_id)  # this save wrote whatever the journal held
        for other in [s for s in self._journaled if s != tracker.sender_id][:REPLAYS_PER_SAVE]:
            await self._replay(other)
        if kept is None or kept.tracker is not tracker:
            return  # not one this store loaded: the next retrieve reads the database
        added = itertools.islice(tracker.events, kept.length, None)
        if any(isinstance(event, SessionStarted) for event in added):
            return  # the stored session is now the new one, shorter than this tracker
        self._keep(tracker.sender_id, _Kept(tracker, len(tracker.events)))

    async def _save_with_retries(self, tracker: DialogueStateTracker) -> bool:
        """Rasa's save, retried with back-off while the database refuses it; False if it never took it."""
        try:
            await self._retrying(lambda: super(CachedSQLTrackerStore, self).save(tracker),
                                 f"storing conversation {tracker.sender_id}")
            return True
        except DBAPIError as error:
            log.error("Could not store conversation %s (%s); journaled until the database "
                      "takes it", tracker.sender_id, error)
            return False

    async def _retrying(self, attempt: Callable[[], Awaitable[T]], what: str) -> T:
        """``attempt()``, again with back-off while the database refuses it (locked, busy, connection
        refused or dropped: a PostgreSQL restart), for up to ``TRACKER_SAVE_RETRY_SECONDS``.

        Reading is retried too: a message whose conversation cannot be read is never
        handled, so it would be lost however well saves are kept. The last error is raised.
        """
        deadline = time.monotonic() + save_retry_seconds()
        delay = FIRST_BACKOFF
        while True:
            try:
                return await attempt()
            except DBAPIError as error:
                if time.monotonic() + delay > deadline:
                    raise
                self.save_retries += 1
                log.warning("%s failed (%s); retrying in %.1f s", what.capitalize(),
                            type(error.orig).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)

    async def _replay(self, sender_id: str) -> bool:
        """One attempt to store a journaled conversation (only what the database lacks); True if done."""
        tracker = DialogueStateTracker.from_dict(sender_id, self._journaled[sender_id], self.domain.slots)
        try:
            await super().save(tracker)
        except DBAPIError:
            return False
        self._forget_journal(sender_id)
        log.info("Journaled conversation %s stored", sender_id)
        return True

    def _write_journal(self, tracker: DialogueStateTracker) -> None:
        events = [event.as_dict() for event in tracker.events]
        path = _journal_path(self.journal, tracker.sender_id)
        self.journal.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_suffix(".tmp")
        with open(os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600), "w",
                  encoding="utf-8") as handle:
            json.dump({"sender_id": tracker.sender_id, "events": events}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        _fsync_dir(self.journal)
        self._journaled[tracker.sender_id] = events

    def _forget_journal(self, sender_id: str) -> None:
        if self._journaled.pop(sender_id, None) is not None:
            _journal_path(self.journal, sender_id).unlink(missing_ok=True)
            _fsync_dir(self.journal)

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


def _journal_path(directory: Path, sender_id: str) -> Path:
    """One file per conversation; the name does not carry the (visitor-chosen) id itself."""
    return directory / f"{hashlib.sha256(sender_id.encode()).hexdigest()[:32]}.json"


def _read_journal(directory: Path) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            found[str(entry["sender_id"])] = list(entry["events"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.error("Unreadable tracker journal file %s: %s (kept for inspection)", path, error)
    return found


def _fsync_dir(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
