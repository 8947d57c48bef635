"""Conversation summaries for the staff console, kept up to date from the tracker store.

Rebuilding every summary from Rasa's ``events`` on each request (what the
console did first) costs seconds once a clinic has tens of thousands of
conversations. Here each conversation has one row in
``conversation_summaries`` (and its answered topics and unanswered messages in
``conversation_facts``), so the list, its filters and search, and the overview
are SQL queries with an index and a page size.

Rasa writes the events and is not changed. :func:`refresh`, called at the
start of each console list or overview request, finds the conversations with
events newer than the cursor and recomputes their rows from all their
events (through the same ``assistant.conversations`` code the transcript
uses), so a refresh is idempotent: two at once do the same work. The cursor
lags ``ID_MARGIN`` event ids behind, because on PostgreSQL a transaction may
commit a lower id after a higher one was read. The first refresh after an
upgrade builds every row (seconds per ten thousand conversations).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Integer, cast, delete, func, insert, inspect, literal, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from assistant.conversations import FLAGS, SYSTEM_SENDERS, Conversation, load_many
from assistant.reply_kinds import ReplyKind
from assistant.store import (
    AnswerFeedback,
    ConversationFact,
    ConversationSummary,
    SummaryCursor,
    tracker_events,
)

ID_MARGIN = 300
CHUNK = 500
SEARCH_TEXT_LIMIT = 20_000
summaries = ConversationSummary.__table__
facts = ConversationFact.__table__
cursor_table = SummaryCursor.__table__
feedback = AnswerFeedback.__table__
RATING_FLAGS = {"helpful": True, "unhelpful": False}


@dataclass
class ConversationRow:
    """What the conversation list shows for one conversation."""

    id: str
    started_at: datetime
    visitor_messages: int
    first_question: str
    topics: list[str]
    flags: set[str]


def _stamp(value: datetime | None) -> float:
    return (value or datetime(1970, 1, 1)).replace(tzinfo=timezone.utc).timestamp()


def _when(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, tz=timezone.utc).replace(tzinfo=None)


def _summary(conversation: Conversation) -> dict[str, Any]:
    visitor = conversation.visitor_turns
    tracker_flags = conversation.flags - set(RATING_FLAGS)
    return {
        "conversation_id": conversation.id,
        "started_at": _stamp(conversation.started_at),
        "last_at": _stamp(conversation.last_at),
        "visitor_messages": len(visitor),
        "answers": sum(1 for t in conversation.turns if t.kind == ReplyKind.ANSWER),
        "fallbacks": sum(1 for t in conversation.turns if t.kind == ReplyKind.FALLBACK),
        "first_question": conversation.first_question[:2000],
        "topics": f" {' '.join(conversation.topics)} ",
        "flags": f" {' '.join(sorted(tracker_flags))} ",
        "search_text": "\n".join(t.text.casefold() for t in visitor)[:SEARCH_TEXT_LIMIT],
    }


def _facts(conversation: Conversation, started_at: float) -> list[dict[str, Any]]:
    rows = [{"conversation_id": conversation.id, "started_at": started_at, "kind": "topic",
             "value": str(t.custom.get("topic"))[:255]}
            for t in conversation.turns if t.kind == ReplyKind.ANSWER]
    rows += [{"conversation_id": conversation.id, "started_at": started_at, "kind": "unanswered",
              "value": " ".join(t.text.casefold().split())[:200]}
             for t in conversation.unanswered]
    return rows


def _rewrite(connection: Connection, senders: list[str]) -> None:
    """Replace the rows of ``senders`` with ones computed from their events now."""
    conversations = [c for c in load_many(connection, senders) if c.visitor_turns]
    connection.execute(delete(summaries).where(summaries.c.conversation_id.in_(senders)))
    connection.execute(delete(facts).where(facts.c.conversation_id.in_(senders)))
    rows = [_summary(c) for c in conversations]
    if rows:
        connection.execute(insert(summaries), rows)
    fact_rows = [f for c, row in zip(conversations, rows, strict=True) for f in _facts(c, row["started_at"])]
    if fact_rows:
        connection.execute(insert(facts), fact_rows)


def refresh(connection: Connection) -> int:
    """Bring the summaries up to the newest event; returns how many conversations were recomputed.

    Commits as it goes (one transaction per chunk), so call it on a
    connection without an open transaction of the caller's.
    """
    if not inspect(connection).has_table(tracker_events.name):  # Rasa has not started yet
        return 0
    newest = connection.execute(select(func.max(tracker_events.c.id))).scalar() or 0
    seen = connection.execute(select(cursor_table.c.last_event_id).where(cursor_table.c.id == 1)).scalar()
    connection.commit()
    if seen is not None and newest <= seen:
        return 0
    floor = max(0, (seen or 0) - ID_MARGIN)
    senders = [s for (s,) in connection.execute(
        select(tracker_events.c.sender_id).where(tracker_events.c.id > floor).distinct())
        if s not in SYSTEM_SENDERS]
    connection.commit()
    for start in range(0, len(senders), CHUNK):
        try:
            _rewrite(connection, senders[start:start + CHUNK])
            connection.commit()
        except IntegrityError:  # another refresh wrote the same rows first
            connection.rollback()
    try:
        if seen is None:
            connection.execute(insert(cursor_table).values(id=1, last_event_id=newest))
        else:
            connection.execute(update(cursor_table).where(cursor_table.c.id == 1,
                                                          cursor_table.c.last_event_id < newest)
                               .values(last_event_id=newest))
        connection.commit()
    except IntegrityError:
        connection.rollback()
    return len(senders)


def forget(connection: Connection, conversation_ids: list[str]) -> None:
    """Drop the rows of deleted conversations (in the caller's transaction)."""
    connection.execute(delete(summaries).where(summaries.c.conversation_id.in_(conversation_ids)))
    connection.execute(delete(facts).where(facts.c.conversation_id.in_(conversation_ids)))


def _contains(column: Any, needle: str) -> Any:
    return column.contains(needle, autoescape=True)


def list_conversations(connection: Connection, since: datetime | None = None, until: datetime | None = None,
                       flag: str | None = None, search: str | None = None, page: int = 1,
                       page_size: int = 25) -> tuple[list[ConversationRow], int]:
    """One page of conversations, newest first, and how many match in all.

    Dates alone are answered from the (started_at, id) index: a count and an
    offset within it. A flag or a search reads every summary once (no index
    helps a substring): one scan that sorts the matches and counts them,
    instead of walking the index in order and reading each row, which costs
    a random read per conversation when few match.
    """
    order = summaries.c.started_at.desc(), summaries.c.conversation_id
    dates: list[Any] = []
    if since is not None:
        dates.append(summaries.c.started_at >= _stamp(since))
    if until is not None:
        dates.append(summaries.c.started_at < _stamp(until))
    others: list[Any] = []
    if flag in RATING_FLAGS:
        others.append(summaries.c.conversation_id.in_(
            select(feedback.c.conversation_id).where(feedback.c.helpful == RATING_FLAGS[flag])))
    elif flag in FLAGS:
        others.append(_contains(summaries.c.flags, f" {flag} "))
    if search:
        others.append(_contains(summaries.c.search_text, search.casefold()))
    offset = (max(page, 1) - 1) * page_size
    if others:
        # "+ 0" keeps the planner off the order index; count() OVER () is the total from the same scan.
        found = connection.execute(
            select(summaries.c.conversation_id, func.count().over().label("total")).where(*dates, *others)
            .order_by((summaries.c.started_at + 0).desc(), summaries.c.conversation_id)
            .limit(page_size).offset(offset)).all()
        ids = [row.conversation_id for row in found]
        total = found[0].total if found else connection.execute(
            select(func.count()).select_from(summaries).where(*dates, *others)).scalar_one()
    else:
        total = connection.execute(select(func.count()).select_from(summaries).where(*dates)).scalar_one()
        ids = list(connection.execute(select(summaries.c.conversation_id).where(*dates).order_by(*order)
                                      .limit(page_size).offset(offset)).scalars())
    rows = connection.execute(select(summaries).where(summaries.c.conversation_id.in_(ids))
                              .order_by(*order)).all() if ids else []
    return _with_ratings(connection, rows, feedback.c.conversation_id.in_(ids)), total


def export(connection: Connection, since: datetime | None = None,
           until: datetime | None = None) -> list[ConversationRow]:
    """Every conversation started in the range, newest first (the CSV export)."""
    query = select(summaries).order_by(summaries.c.started_at.desc(), summaries.c.conversation_id)
    if since is not None:
        query = query.where(summaries.c.started_at >= _stamp(since))
    if until is not None:
        query = query.where(summaries.c.started_at < _stamp(until))
    return _with_ratings(connection, connection.execute(query).all(), literal(True))


def _with_ratings(connection: Connection, rows: list[Any], which: Any) -> list[ConversationRow]:
    ratings: dict[str, set[str]] = {}
    if rows:
        for row in connection.execute(select(feedback.c.conversation_id, feedback.c.helpful).where(which)):
            ratings.setdefault(row.conversation_id, set()).add("helpful" if row.helpful else "unhelpful")
    return [ConversationRow(r.conversation_id, _when(r.started_at), r.visitor_messages, r.first_question,
                            r.topics.split(), set(r.flags.split()) | ratings.get(r.conversation_id, set()))
            for r in rows]


@dataclass
class Totals:
    per_day: dict[str, int]
    answered: int
    fallback: int
    top_topics: list[tuple[str, int]]
    top_unanswered: list[tuple[str, int]]


BUCKET_SECONDS = 900  # conversations are counted per quarter-hour in SQL, then filed under days


def _bucket(connection: Connection, since_stamp: float) -> Any:
    """Whole quarter-hours since ``since_stamp``: SQLite's CAST truncates, PostgreSQL's rounds."""
    offset = (summaries.c.started_at - literal(since_stamp)) / BUCKET_SECONDS
    if connection.dialect.name == "sqlite":
        return cast(offset, Integer)
    return func.floor(offset)


def _utc_date(moment: datetime) -> date:
    return moment.date()


def totals(connection: Connection, since: datetime, top: int = 10,
           date_of: Callable[[datetime], date] = _utc_date) -> Totals:
    """The overview's numbers for conversations started since ``since`` (naive UTC).

    ``date_of`` files a (naive UTC) time under a day: the console passes the
    clinic's calendar (webapp/staff/times.py), so an evening in Chicago is not
    tomorrow. Counting per quarter-hour in SQL keeps the query small (at most
    96 rows a day) and lets every zone's days, also the 23- and 25-hour ones
    when daylight saving changes, be built from them.
    """
    since_stamp = _stamp(since)
    recent = summaries.c.started_at >= since_stamp
    bucket = _bucket(connection, since_stamp).label("bucket")
    per_day: dict[str, int] = {}
    for row in connection.execute(select(bucket, func.count()).where(recent).group_by(bucket)):
        day = date_of(_when(since_stamp + int(row[0]) * BUCKET_SECONDS)).isoformat()
        per_day[day] = per_day.get(day, 0) + row[1]
    answered, fallback = connection.execute(
        select(func.coalesce(func.sum(summaries.c.answers), 0),
               func.coalesce(func.sum(summaries.c.fallbacks), 0)).where(recent)).one()

    def most(kind: str) -> list[tuple[str, int]]:
        """The ``top`` most frequent values; among equals the most recently seen first."""
        count = func.count().label("n")
        query = (select(facts.c.value, count)
                 .where(facts.c.kind == kind, facts.c.started_at >= since_stamp)
                 .group_by(facts.c.value)
                 .order_by(count.desc(), func.max(facts.c.started_at).desc(), facts.c.value).limit(top))
        return [(row.value, row.n) for row in connection.execute(query)]

    return Totals(per_day, int(answered), int(fallback), most("topic"), most("unanswered"))
