"""Retention: old conversations go, everything else stays (real SQLite file)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from assistant.retention import delete_conversations, purge, purge_bookings
from assistant.retention import main as retention_main
from assistant.store import (
    AnswerFeedback,
    AuditEntry,
    BookingRequest,
    BookingStatus,
    ConversationReview,
    LabelledExample,
    get_engine,
    session,
    tracker_events,
    tracker_metadata,
    utcnow,
)

DAY = 24 * 3600


def add_conversation(url: str, sender: str, age_days: float, with_rows: bool = True) -> None:
    now = time.time() - age_days * DAY
    with get_engine(url).begin() as connection:
        tracker_metadata.create_all(connection)
        for offset, (kind, text) in enumerate([("user", "is fusion my only option?"), ("bot", "No...")]):
            connection.execute(insert(tracker_events).values(
                sender_id=sender, type_name=kind, timestamp=now + offset,
                data=json.dumps({"event": kind, "text": text})))
    if not with_rows:
        return
    with session(url) as db:
        db.add(ConversationReview(conversation_id=sender, tags="follow up", note=""))
        db.add(LabelledExample(conversation_id=sender, event_id=abs(hash(sender)) % 10**6, text="q",
                               faq_id="fusion_only_option", labelled_by="alice"))
        db.add(AnswerFeedback(conversation_id=sender, topic="fusion_only_option", helpful=False))
        db.add(BookingRequest(reference=f"SIJ-{sender[:8].upper()}", submission_key=sender,
                              conversation_id=sender, full_name="A B", phone="(708) 555-0123",
                              office="oak_park", preferred_times="mornings", consent=True))


def counts(url: str, sender: str) -> dict[str, int]:
    with session(url) as db:
        def count(model, column) -> int:
            return db.execute(select(func.count()).select_from(model).where(column == sender)).scalar_one()

        return {"events": count(tracker_events, tracker_events.c.sender_id),
                "reviews": count(ConversationReview, ConversationReview.conversation_id),
                "labels": count(LabelledExample, LabelledExample.conversation_id),
                "feedback": count(AnswerFeedback, AnswerFeedback.conversation_id),
                "bookings": count(BookingRequest, BookingRequest.conversation_id)}


def test_purge_deletes_only_conversations_older_than_the_limit(db_url) -> None:
    add_conversation(db_url, "old-conversation", age_days=40)
    add_conversation(db_url, "recent-conversation", age_days=5)
    result = purge(30, db_url)
    assert result["conversations"] == 1 and result["events"] == 2
    assert counts(db_url, "old-conversation") == {"events": 0, "reviews": 0, "labels": 0, "feedback": 0, "bookings": 1}
    assert counts(db_url, "recent-conversation") == {"events": 2, "reviews": 1, "labels": 1, "feedback": 1, "bookings": 1}


def test_a_conversation_still_active_is_kept(db_url) -> None:
    add_conversation(db_url, "long-running", age_days=40, with_rows=False)
    add_conversation(db_url, "long-running", age_days=1, with_rows=False)  # came back yesterday
    assert purge(30, db_url)["conversations"] == 0
    assert counts(db_url, "long-running")["events"] == 4


def test_deleting_one_conversation_on_request_touches_nothing_else(db_url) -> None:
    add_conversation(db_url, "asked-to-forget", age_days=1)
    add_conversation(db_url, "someone-else", age_days=1)
    result = delete_conversations(["asked-to-forget"], db_url)
    assert result == {"conversations": 1, "events": 2, "reviews": 1, "labels": 1, "feedback": 1, "bookings": 1}
    assert counts(db_url, "asked-to-forget") == {"events": 0, "reviews": 0, "labels": 0, "feedback": 0, "bookings": 0}
    assert counts(db_url, "someone-else") == {"events": 2, "reviews": 1, "labels": 1, "feedback": 1, "bookings": 1}


def add_booking(url: str, key: str, status: BookingStatus, age_days: float) -> None:
    stamp = utcnow() - timedelta(days=age_days)
    with session(url) as db:
        db.add(BookingRequest(reference=f"SIJ-{key.upper()}", submission_key=key, conversation_id=key,
                              full_name="A B", phone="(708) 555-0123", office="oak_park",
                              preferred_times="mornings", consent=True, status=status,
                              created_at=stamp, updated_at=stamp))


def test_handled_booking_requests_are_purged_after_their_limit_unhandled_ones_kept(db_url) -> None:
    add_booking(db_url, "oldclosed", BookingStatus.closed, age_days=400)
    add_booking(db_url, "oldbooked", BookingStatus.booked, age_days=400)
    add_booking(db_url, "oldnew", BookingStatus.new, age_days=400)
    add_booking(db_url, "recentclosed", BookingStatus.closed, age_days=10)
    assert purge_bookings(365, db_url) == {"bookings": 2, "unhandled_kept": 1}
    with session(db_url) as db:
        left = set(db.execute(select(BookingRequest.submission_key)).scalars())
    assert left == {"oldnew", "recentclosed"}


def test_the_command_line_purge_is_audited(db_url, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr("sys.argv", ["retention", "--days", "30"])
    add_conversation(db_url, "old-conversation", age_days=40)
    retention_main()
    assert "deleted 1 conversations" in capsys.readouterr().out
    with session(db_url) as db:
        entries = db.execute(select(AuditEntry)).scalars().all()
    assert [(e.username, e.action) for e in entries] == [("cli", "purge")]
    assert "1 conversations" in entries[0].detail


def test_a_retention_limit_below_one_day_is_refused(db_url) -> None:
    with pytest.raises(ValueError):
        purge_bookings(0, db_url)
