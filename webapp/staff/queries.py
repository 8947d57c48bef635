"""What the staff console reads and writes, without Flask.

The views (webapp/staff/views.py) parse the request, call one function here,
audit and render; the queries live here so that they can be read, tested and
benchmarked (tests/bench_console.py) apart from HTTP. Conversation lists and
counts come from the summary tables (assistant/summaries.py), brought up to
date first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from assistant import summaries
from assistant.conversations import Conversation, Turn, load_conversation
from assistant.faq import faq_index
from assistant.overview import Overview, overview
from assistant.paths import tracker_journal_dir
from assistant.routing import PASSAGE_TOPIC
from assistant.store import (
    NEW_FAQ_NEEDED,
    AuditEntry,
    BookingRequest,
    BookingStatus,
    ConversationReview,
    LabelledExample,
    get_engine,
    utcnow,
)
from assistant.store import session as db_session
from webapp.staff.times import day_start, local_date

MAX_LISTED_BOOKINGS = 500
MAX_AUDIT_ENTRIES = 500


def topic_titles() -> dict[str, str]:
    """Titles of what a reply can be about: the FAQs, and a passage of the article."""
    return {f.id: f.title for f in faq_index().values()} | {PASSAGE_TOPIC: "A passage of the article"}


def journaled_conversations() -> int:
    """Conversations with turns the database refused, waiting in the journal (assistant/tracker_store.py)."""
    directory = tracker_journal_dir()
    return sum(1 for _ in directory.glob("*.json")) if directory.is_dir() else 0


def faq_titles() -> dict[str, str]:
    return topic_titles() | {NEW_FAQ_NEEDED: "New FAQ needed"}


def faq_choices() -> list[tuple[str, str]]:
    """Nothing chosen by default: a label is a decision, not a click on "Save"."""
    return [("", "— choose —"), (NEW_FAQ_NEEDED, "New FAQ needed")] + [
        (faq.id, faq.title) for faq in sorted(faq_index().values(), key=lambda f: f.title)]


@dataclass
class ConversationPage:
    conversations: list[summaries.ConversationRow]
    total: int
    reviews: dict[str, ConversationReview]


def conversation_page(since: datetime | None, before: datetime | None, flag: str | None, query: str | None,
                      page: int, size: int) -> ConversationPage:
    """Conversations started from ``since`` up to (not including) ``before``, naive UTC."""
    with get_engine().connect() as connection:
        summaries.refresh(connection)
        shown, total = summaries.list_conversations(connection, since, before, flag, query, page, size)
    with db_session() as db:
        reviews = {r.conversation_id: r for r in db.execute(select(ConversationReview).where(
            ConversationReview.conversation_id.in_([c.id for c in shown]))).scalars()}
    return ConversationPage(shown, total, reviews)


@dataclass
class Transcript:
    conversation: Conversation
    review: ConversationReview | None
    labels: dict[int, LabelledExample]
    bookings: list[BookingRequest]


def transcript(conversation_id: str) -> Transcript | None:
    with get_engine().connect() as connection:
        conversation = load_conversation(connection, conversation_id)
    if conversation is None:
        return None
    with db_session() as db:
        review = db.get(ConversationReview, conversation_id)
        labels = {lab.event_id: lab for lab in db.execute(
            select(LabelledExample).where(LabelledExample.conversation_id == conversation_id)).scalars()}
        bookings = list(db.execute(select(BookingRequest).where(
            BookingRequest.conversation_id == conversation_id)).scalars())
    return Transcript(conversation, review, labels, bookings)


def save_review(conversation_id: str, tags: list[str], note: str, reviewed: bool, by: str) -> str:
    """Returns the tags as stored."""
    with db_session() as db:
        row = (db.get(ConversationReview, conversation_id)
               or ConversationReview(conversation_id=conversation_id))
        row.tags = ",".join(tags)
        row.note = note
        if reviewed and row.reviewed_at is None:
            row.reviewed_at, row.reviewed_by = utcnow(), by
        elif not reviewed:
            row.reviewed_at = row.reviewed_by = None
        db.add(row)
        return row.tags


def visitor_turn(conversation_id: str, event_id: int) -> Turn | None:
    """The visitor's message a label is about (None if it is not one in this conversation)."""
    with get_engine().connect() as connection:
        conversation = load_conversation(connection, conversation_id)
    return next((t for t in (conversation.turns if conversation else [])
                 if t.event_id == event_id and t.speaker == "visitor"), None)


def save_label(conversation_id: str, turn: Turn, faq_id: str, by: str) -> None:
    """A new label (or a changed one) waits for the next `make import-labels`."""
    with db_session() as db:
        row = db.execute(select(LabelledExample).where(
            LabelledExample.event_id == turn.event_id)).scalar_one_or_none() or LabelledExample(
            conversation_id=conversation_id, event_id=turn.event_id)
        row.text, row.predicted_faq, row.faq_id = turn.text, turn.predicted_faq, faq_id
        row.labelled_by, row.labelled_at, row.imported_at = by, utcnow(), None
        db.add(row)


def bookings(status: BookingStatus | None) -> tuple[list[BookingRequest], dict[str, int]]:
    """The newest requests (with this status) and how many there are of each status."""
    with db_session() as db:
        query = select(BookingRequest).order_by(BookingRequest.created_at.desc())
        if status is not None:
            query = query.where(BookingRequest.status == status)
        rows = list(db.execute(query.limit(MAX_LISTED_BOOKINGS)).scalars())
        counts = dict(db.execute(select(BookingRequest.status, func.count()).group_by(
            BookingRequest.status)).all())
    return rows, {s.value: counts.get(s, 0) for s in BookingStatus}


def new_booking_count() -> int:
    with db_session() as db:
        return db.execute(select(func.count()).select_from(BookingRequest).where(
            BookingRequest.status == BookingStatus.new)).scalar_one()


def update_booking(booking_id: int, status: BookingStatus, assignee: str | None, note: str) -> str | None:
    """Returns the request's reference, or None if there is no such request."""
    with db_session() as db:
        booking = db.get(BookingRequest, booking_id)
        if booking is None:
            return None
        booking.status, booking.assignee, booking.staff_note = status, assignee, note
        return booking.reference


def overview_numbers(today: date, days: int = 30) -> tuple[Overview, datetime, dict[str, str]]:
    """The overview's numbers for the clinic's last ``days`` days, from when (naive UTC), the titles."""
    since = day_start(today - timedelta(days=days - 1))
    with get_engine().connect() as connection:
        summaries.refresh(connection)
        totals = summaries.totals(connection, since, date_of=local_date)
    with db_session() as db:
        booked = db.execute(select(BookingRequest.created_at).where(
            BookingRequest.created_at >= since)).scalars().all()
    titles = topic_titles()
    return overview(totals, [local_date(b) for b in booked], today, days), since, titles


def chart_data(numbers: Overview, titles: dict[str, str]) -> dict[str, Any]:
    """What webapp/static/staff-overview.js draws."""
    return {"days": numbers.days, "conversations": numbers.conversations_per_day,
            "bookings": numbers.bookings_per_day, "answered": numbers.answered,
            "fallback": numbers.fallback,
            "topics": [[titles.get(t, t), n] for t, n in numbers.top_topics]}


def audit_entries() -> list[AuditEntry]:
    with db_session() as db:
        return list(db.execute(select(AuditEntry).order_by(AuditEntry.id.desc())
                               .limit(MAX_AUDIT_ENTRIES)).scalars())
