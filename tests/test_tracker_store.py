"""The cached SQL tracker store hands out what the database holds, never an older or newer state.

Each test compares with Rasa's own SQLTrackerStore reading the same database
file, so "the same" means what stock Rasa would load.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.paths import PROJECT_ROOT
from assistant.tracker_store import CachedSQLTrackerStore

SENDER = "visitor-1"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "rasa.db")


def run(coroutine):
    return asyncio.run(coroutine)


def turn(text: str) -> list[Event]:
    now = time.time()
    return [UserUttered(text, intent={"name": "greet", "confidence": 1.0}, timestamp=now),
            BotUttered(f"reply to {text}", timestamp=now),
            ActionExecuted("action_listen", timestamp=now)]


def session_start() -> list[Event]:
    now = time.time()
    return [ActionExecuted("action_session_start", timestamp=now), SessionStarted(timestamp=now + 0.001),
            ActionExecuted("action_listen", timestamp=now + 0.002)]


def stored(db: str, domain: Domain) -> list[dict]:
    """The session as stock Rasa loads it."""
    tracker = run(SQLTrackerStore(domain, db=db).retrieve(SENDER))
    return [] if tracker is None else [event.as_dict() for event in tracker.events]


def events_of(tracker: DialogueStateTracker | None) -> list[dict]:
    return [] if tracker is None else [event.as_dict() for event in tracker.events]


def start_conversation(store: CachedSQLTrackerStore, domain: Domain) -> DialogueStateTracker:
    """A new conversation saved, then loaded the way Rasa's processor does for the next message."""
    new = DialogueStateTracker.from_events(SENDER, session_start() + turn("hi"), domain.slots)
    run(store.save(new))
    tracker = run(store.retrieve(SENDER))
    assert tracker is not None and tracker is not new
    return tracker


def test_a_conversation_in_use_is_not_read_again(db, domain):
    store = CachedSQLTrackerStore(domain, db=db)
    tracker = start_conversation(store, domain)
    for text in ("first", "second", "third"):
        again = run(store.retrieve(SENDER))
        assert again is tracker
        again.update_with_events(turn(text), domain)
        run(store.save(again))
        assert events_of(run(store.retrieve(SENDER))) == stored(db, domain)
    assert store.hits >= 3 and store.misses == 1


def test_what_another_replica_wrote_is_read_from_the_database(db, domain):
    ours = CachedSQLTrackerStore(domain, db=db)
    tracker = start_conversation(ours, domain)
    other = CachedSQLTrackerStore(domain, db=db)
    theirs = run(other.retrieve(SENDER))
    theirs.update_with_events(turn("sent through the other replica"), domain)
    run(other.save(theirs))

    loaded = run(ours.retrieve(SENDER))
    assert loaded is not tracker
    assert loaded.latest_message.text == "sent through the other replica"
    assert events_of(loaded) == stored(db, domain)


def test_a_tracker_changed_but_not_saved_is_not_handed_out(db, domain):
    store = CachedSQLTrackerStore(domain, db=db)
    tracker = start_conversation(store, domain)
    tracker.update_with_events(turn("lost when the action failed"), domain)  # no save
    loaded = run(store.retrieve(SENDER))
    assert loaded is not tracker
    assert "lost when the action failed" not in [e.get("text") for e in events_of(loaded)]
    assert events_of(loaded) == stored(db, domain)


def test_a_new_session_is_loaded_alone_as_rasa_loads_it(db, domain):
    store = CachedSQLTrackerStore(domain, db=db)
    tracker = start_conversation(store, domain)
    time.sleep(0.01)
    tracker.update_with_events(session_start() + turn("after the new session"), domain)
    run(store.save(tracker))
    loaded = run(store.retrieve(SENDER))
    assert loaded is not tracker
    assert events_of(loaded) == stored(db, domain)
    assert "hi" not in [e.get("text") for e in events_of(loaded)]


def test_a_deleted_conversation_is_gone(db, domain):
    store = CachedSQLTrackerStore(domain, db=db)
    start_conversation(store, domain)
    with store.session_scope() as session:
        session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == SENDER).delete()
        session.commit()
    assert run(store.retrieve(SENDER)) is None


def test_a_new_model_domain_rebuilds_the_trackers(db, domain):
    store = CachedSQLTrackerStore(domain, db=db)
    tracker = start_conversation(store, domain)
    store.domain = domain
    assert run(store.retrieve(SENDER)) is not tracker


def test_slots_survive_as_in_the_database(db, domain):
    store = CachedSQLTrackerStore(domain, db=db)
    tracker = start_conversation(store, domain)
    slot = next(iter(domain.slots)).name
    tracker.update(SlotSet(slot, "x"))
    run(store.save(tracker))
    loaded = run(store.retrieve(SENDER))
    fresh = run(SQLTrackerStore(domain, db=db).retrieve(SENDER))
    assert loaded.current_slot_values() == fresh.current_slot_values()
    assert loaded.get_slot(slot) == "x"


def test_the_cache_is_bounded_and_can_be_turned_off(db, domain, monkeypatch):
    monkeypatch.setenv("TRACKER_CACHE_SIZE", "2")
    store = CachedSQLTrackerStore(domain, db=db)
    for sender in ("a", "b", "c"):
        run(store.save(DialogueStateTracker.from_events(sender, session_start() + turn("hi"), domain.slots)))
        run(store.retrieve(sender))
    assert list(store._kept) == ["b", "c"]

    monkeypatch.setenv("TRACKER_CACHE_SIZE", "0")
    off = CachedSQLTrackerStore(domain, db=db)
    tracker = start_conversation(off, domain)
    assert run(off.retrieve(SENDER)) is not tracker
    assert off.hits == 0


def test_rasa_builds_this_store_from_endpoints_yml(tmp_path, domain, monkeypatch):
    """A typo in the class path would make Rasa fall back to memory, losing every conversation."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.core.utils import AvailableEndpoints

    monkeypatch.setenv("ACTION_SERVER_TOKEN", "x")
    endpoints = AvailableEndpoints.read_endpoints(str(PROJECT_ROOT / "endpoints.yml"))
    endpoints.tracker_store.kwargs["db"] = str(tmp_path / "rasa.db")
    store = TrackerStore.create(endpoints.tracker_store, domain)
    while not isinstance(store, CachedSQLTrackerStore) and hasattr(store, "_tracker_store"):
        store = store._tracker_store
    assert isinstance(store, CachedSQLTrackerStore)


def hold_write_lock(db: str, seconds: float) -> threading.Thread:
    """Another process's long write (a purge, a backup tool): the file locked for writing."""
    ready = threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(db, timeout=1, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(seconds)
        connection.execute("ROLLBACK")
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(5)
    return thread


def stored_rows(db: str) -> list[tuple[str, str]]:
    """Every stored event, as (type, JSON), in the order written."""
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT type_name, data FROM events ORDER BY id").fetchall()


def user_texts(rows: list[tuple[str, str]]) -> list[str]:
    return [json.loads(data)["text"] for kind, data in rows if kind == "user"]


def journaled_while_locked(db, domain, monkeypatch, tmp_path, retry: float, lock: float):
    """A turn saved while the file is write-locked longer than the retries: it goes to the journal.

    Returns the store and the thread holding the lock (join it to free the file).
    """
    monkeypatch.setenv("TRACKER_SAVE_RETRY_SECONDS", str(retry))
    monkeypatch.setenv("TRACKER_JOURNAL_DIR", str(tmp_path / "journal"))
    store = CachedSQLTrackerStore(domain, db=db)
    tracker = start_conversation(store, domain)
    tracker.update_with_events(turn("asked while locked"), domain)
    locker = hold_write_lock(db, lock)
    run(store.save(tracker))  # not raised: Rasa would keep it in memory only
    return store, locker


def test_a_save_while_the_database_is_write_locked_is_stored_once_when_it_frees(db, domain):
    store = CachedSQLTrackerStore(domain, db=db)
    tracker = start_conversation(store, domain)
    tracker.update_with_events(turn("asked while locked"), domain)
    locker = hold_write_lock(db, 3.0)

    async def save_while_others_go_on() -> float:
        """The save, and the longest the event loop was blocked meanwhile."""
        longest, last = 0.0, time.monotonic()

        async def ticker() -> None:
            nonlocal longest, last
            while True:
                await asyncio.sleep(0.05)
                now = time.monotonic()
                longest, last = max(longest, now - last), now

        ticking = asyncio.ensure_future(ticker())
        await store.save(tracker)
        ticking.cancel()
        return longest

    started = time.monotonic()
    blocked = run(save_while_others_go_on())
    locker.join()
    assert time.monotonic() - started >= 2.5, "saved although the file was locked"
    assert store.save_retries > 0
    assert blocked < 1.5, f"the event loop was blocked {blocked:.1f} s"
    rows = stored_rows(db)
    assert user_texts(rows) == ["hi", "asked while locked"]  # stored, once, in order
    assert len(rows) == len(session_start()) + 2 * len(turn("x")) == len(set(rows)), "an event twice"


def test_a_save_refused_beyond_the_retry_bound_is_journaled_then_stored_once(db, domain, monkeypatch,
                                                                             tmp_path):
    store, locker = journaled_while_locked(db, domain, monkeypatch, tmp_path, retry=0.5, lock=3.0)
    journaled = list((tmp_path / "journal").glob("*.json"))
    assert len(journaled) == 1 and oct(journaled[0].stat().st_mode)[-3:] == "600"
    # the next message, still locked: the conversation goes on from its journal
    again = run(store.retrieve(SENDER))
    assert again is not None and again.latest_message.text == "asked while locked"
    locker.join()

    # after a restart, the journal is read back and replayed on the next message
    restarted = CachedSQLTrackerStore(domain, db=db)
    loaded = run(restarted.retrieve(SENDER))
    assert loaded is not None and loaded.latest_message.text == "asked while locked"
    assert list((tmp_path / "journal").glob("*.json")) == []
    assert user_texts(stored_rows(db)) == ["hi", "asked while locked"]  # stored, once, in order


def test_a_journaled_conversation_is_stored_when_another_one_is_saved(db, domain, monkeypatch, tmp_path):
    store, locker = journaled_while_locked(db, domain, monkeypatch, tmp_path, retry=0.3, lock=2.0)
    locker.join()
    other = DialogueStateTracker.from_events("visitor-2", session_start() + turn("hello"), domain.slots)
    run(store.save(other))
    assert list((tmp_path / "journal").glob("*.json")) == []
    assert [e.get("text") for e in stored(db, domain) if e["event"] == "user"][-1] == "asked while locked"


def test_a_read_the_database_refuses_for_a_moment_is_retried(db, domain, monkeypatch):
    """A PostgreSQL restart refuses connections for a second or two: the message waits, not fails."""
    from sqlalchemy.exc import OperationalError

    store = CachedSQLTrackerStore(domain, db=db)
    tracker = start_conversation(store, domain)
    time.sleep(0.01)
    tracker.update_with_events(turn("asked before the restart"), domain)
    run(store.save(tracker))
    store._kept.clear()  # as after a restart of this replica: the next read goes to the database
    refusals = [OperationalError("select", {}, ConnectionRefusedError("connection refused"))] * 2
    original = SQLTrackerStore.retrieve

    async def refusing(self, sender_id):
        if refusals:
            raise refusals.pop()
        return await original(self, sender_id)

    monkeypatch.setattr(SQLTrackerStore, "retrieve", refusing)
    tracker = run(store.retrieve(SENDER))
    assert tracker is not None and tracker.latest_message.text == "asked before the restart"
    assert store.save_retries == 2 and refusals == []


def test_a_read_refused_beyond_the_retry_bound_raises(db, domain, monkeypatch):
    """Then the channel sends the honest "can't answer now" reply (assistant/channels.py)."""
    from sqlalchemy.exc import OperationalError

    monkeypatch.setenv("TRACKER_SAVE_RETRY_SECONDS", "0.3")
    store = CachedSQLTrackerStore(domain, db=db)

    async def refusing(self, sender_id):
        raise OperationalError("select", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(SQLTrackerStore, "retrieve", refusing)
    with pytest.raises(OperationalError):
        run(store.retrieve(SENDER))
