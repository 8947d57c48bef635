"""The console's conversation summaries follow the tracker store (real SQLite file)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from assistant import summaries
from assistant.retention import delete_conversations
from assistant.store import AnswerFeedback, get_engine, session, tracker_events, tracker_metadata

DAY = 86400.0


def user(text: str) -> tuple[str, dict]:
    return "user", {"event": "user", "text": text}


def bot(kind: str, topic: str | None = None) -> tuple[str, dict]:
    custom = {"kind": kind, **({"topic": topic} if topic else {})}
    return "bot", {"event": "bot", "text": "...", "data": {"custom": custom}}


def add(url: str, sender: str, events: list[tuple[str, dict]], at: float | None = None) -> None:
    at = time.time() if at is None else at
    with get_engine(url).begin() as connection:
        tracker_metadata.create_all(connection)
        connection.execute(insert(tracker_events), [
            {"sender_id": sender, "type_name": kind, "timestamp": at + i, "data": json.dumps(data)}
            for i, (kind, data) in enumerate(events)])


def listed(url: str, **filters) -> tuple[list[str], int]:
    with get_engine(url).connect() as connection:
        summaries.refresh(connection)
        rows, total = summaries.list_conversations(connection, **filters)
    return [r.id for r in rows], total


def test_new_events_and_new_conversations_appear_after_the_first_build(db_url) -> None:
    add(db_url, "a", [user("is fusion my only option?"), bot("answer", "fusion_only_option")], time.time() - 60)
    assert listed(db_url) == (["a"], 1)
    add(db_url, "b", [user("what's the weather?"), bot("fallback")])
    add(db_url, "a", [user("my legs are numb"), bot("urgent")])  # an old conversation goes on
    assert listed(db_url) == (["b", "a"], 2)
    assert listed(db_url, flag="urgent") == (["a"], 1)
    assert listed(db_url, flag="fallback") == (["b"], 1)
    with get_engine(db_url).connect() as connection:
        rows, _ = summaries.list_conversations(connection)
        assert summaries.refresh(connection) == 0  # nothing new: nothing recomputed
    a = next(r for r in rows if r.id == "a")
    assert a.visitor_messages == 2 and a.first_question == "is fusion my only option?"
    assert a.topics == ["fusion_only_option"] and a.flags == {"urgent"}


def test_search_is_literal_and_case_blind(db_url) -> None:
    add(db_url, "percent", [user("Is 100% relief LIKE_this possible?"), bot("fallback")])
    add(db_url, "other", [user("what is prolotherapy?"), bot("answer", "prolotherapy_what")])
    assert listed(db_url, search="100% relief like_this") == (["percent"], 1)
    assert listed(db_url, search="%")[0] == ["percent"]
    assert listed(db_url, search="_")[0] == ["percent"]
    assert listed(db_url, search="PROLOTHERAPY")[0] == ["other"]
    assert listed(db_url, search="' OR 1=1 --") == ([], 0)


def test_button_payloads_and_system_senders_are_not_visitors(db_url) -> None:
    add(db_url, "only-buttons", [user("/greet"), bot("smalltalk")])
    add(db_url, "startup-check", [user("hello"), bot("smalltalk")])
    assert listed(db_url) == ([], 0)


def test_pages_dates_and_ratings(db_url) -> None:
    now = time.time()
    for i in range(30):
        add(db_url, f"c{i:02d}", [user(f"question {i}"), bot("answer", "prp_what")], now - i * 3600)
    ids, total = listed(db_url, page=2, page_size=25)
    assert total == 30 and ids == [f"c{i:02d}" for i in range(25, 30)]
    since = datetime.fromtimestamp(now - 5.5 * 3600, tz=timezone.utc).replace(tzinfo=None)
    assert listed(db_url, since=since)[1] == 6
    with session(db_url) as db:
        db.add(AnswerFeedback(conversation_id="c03", topic="prp_what", helpful=False))
    ids, total = listed(db_url, flag="unhelpful")
    assert (ids, total) == (["c03"], 1)
    with get_engine(db_url).connect() as connection:
        rows, _ = summaries.list_conversations(connection, flag="unhelpful")
    assert rows[0].flags == {"unhelpful"}


def test_deleted_conversations_leave_the_list_and_the_counts(db_url) -> None:
    add(db_url, "keep", [user("what is PRP?"), bot("answer", "prp_what")])
    add(db_url, "forget-me", [user("what is PRP?"), bot("answer", "prp_what"), user("and the weather?"),
                              bot("fallback")])
    assert listed(db_url)[1] == 2
    delete_conversations(["forget-me"], db_url)
    assert listed(db_url) == (["keep"], 1)
    today = datetime.now(timezone.utc).replace(tzinfo=None)
    with get_engine(db_url).connect() as connection:
        totals = summaries.totals(connection, datetime.combine(today.date() - timedelta(days=29),
                                                               datetime.min.time()))
    assert totals.answered == 1 and totals.fallback == 0
    assert totals.top_topics == [("prp_what", 1)] and totals.top_unanswered == []


def test_overview_totals_per_day_and_tops(db_url) -> None:
    midnight = datetime.combine(datetime.now(timezone.utc).date(), datetime.min.time())
    stamp = midnight.replace(tzinfo=timezone.utc).timestamp()
    add(db_url, "today", [user("what is PRP?"), bot("answer", "prp_what"), user("Parking  there?"),
                          bot("fallback")], stamp + 60)
    add(db_url, "yesterday", [user("parking there?"), bot("fallback")], stamp - DAY + 60)
    add(db_url, "old", [user("what is PRP?"), bot("answer", "prp_what")], stamp - 40 * DAY)
    with get_engine(db_url).connect() as connection:
        summaries.refresh(connection)
        totals = summaries.totals(connection, midnight - timedelta(days=29))
    assert totals.per_day == {midnight.date().isoformat(): 1,
                              (midnight - timedelta(days=1)).date().isoformat(): 1}
    assert (totals.answered, totals.fallback) == (1, 2)
    assert totals.top_topics == [("prp_what", 1)]
    assert totals.top_unanswered == [("parking there?", 2)]


def test_among_equally_frequent_questions_the_newest_come_first(db_url) -> None:
    """Twelve questions asked once each: the overview's ten are the ten most recent, not the first
    ten in alphabetical order."""
    now = time.time()
    for i in range(12):
        add(db_url, f"q{i}", [user(f"{'zyx'[i % 3]} question number {i}"), bot("fallback")], now - (12 - i) * 60)
    with get_engine(db_url).connect() as connection:
        summaries.refresh(connection)
        midnight = datetime.combine(datetime.now(timezone.utc).date(), datetime.min.time())
        totals = summaries.totals(connection, midnight - timedelta(days=29))
    assert [text for text, _ in totals.top_unanswered] == [
        f"{'zyx'[i % 3]} question number {i}" for i in range(11, 1, -1)]
