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
"""

from __future__ import annotations

import itertools
import logging
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

log = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 128  # a 100-message session is about 1.1 MiB in memory: 140 MiB at worst


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
        super().__init__(*args, **kwargs)

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
        await super().save(tracker)
        if kept is None or kept.tracker is not tracker:
            return  # not one this store loaded: the next retrieve reads the database
        added = itertools.islice(tracker.events, kept.length, None)
        if any(isinstance(event, SessionStarted) for event in added):
            return  # the stored session is now the new one, shorter than this tracker
        self._keep(tracker.sender_id, _Kept(tracker, len(tracker.events)))

    def _stored_session_length(self, sender_id: str) -> int:
        with self.session_scope() as session:
            return self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()

    def _keep(self, sender_id: str, kept: _Kept) -> None:
        if not self._capacity:
            return
        self._kept[sender_id] = kept
        while len(self._kept) > self._capacity:
            self._kept.popitem(last=False)
