"""Deleting conversations: on a visitor's request, and after N days.

A conversation is its events in Rasa's tracker store plus the project's rows
that name it (staff review, labelled examples, visitor feedback and, for a per-conversation
deletion, booking requests). Nothing else is touched; tests check that.
The conversation purge keeps booking requests: they are the clinic's record
of a request, with their own status. They hold a name, a phone number and a
health problem, though, so they have a retention limit of their own
(``BOOKING_RETENTION_DAYS``, default the conversations' limit): requests staff
have dealt with (any status but ``new``) and not touched for that long are
deleted; unhandled ones are kept, so no request vanishes unseen. Every purge
writes an audit row (user ``cli``).
"""

from __future__ import annotations

import argparse
import os
from datetime import timedelta

from sqlalchemy import delete, func, select

from assistant import summaries
from assistant.conversations import conversations_older_than, delete_events
from assistant.store import (
    AnswerFeedback,
    BookingRequest,
    BookingStatus,
    ConversationReview,
    LabelledExample,
    audit,
    get_engine,
    utcnow,
)

DEFAULT_RETENTION_DAYS = 365


def delete_conversations(conversation_ids: list[str], url: str | None = None,
                         include_bookings: bool = True) -> dict[str, int]:
    counts = {"conversations": len(conversation_ids), "events": 0, "reviews": 0, "labels": 0, "feedback": 0,
              "bookings": 0}
    if not conversation_ids:
        return counts
    with get_engine(url).begin() as connection:
        counts["events"] = delete_events(connection, conversation_ids)
        summaries.forget(connection, conversation_ids)
        for key, model in (("reviews", ConversationReview), ("labels", LabelledExample),
                           ("feedback", AnswerFeedback)):
            result = connection.execute(delete(model).where(model.conversation_id.in_(conversation_ids)))
            counts[key] = result.rowcount or 0
        if include_bookings:
            result = connection.execute(
                delete(BookingRequest).where(BookingRequest.conversation_id.in_(conversation_ids)))
            counts["bookings"] = result.rowcount or 0
    return counts


def purge(days: int, url: str | None = None) -> dict[str, int]:
    """Delete conversations whose last message is older than ``days`` days."""
    if days < 1:
        raise ValueError("retention must be at least one day")
    with get_engine(url).connect() as connection:
        old = conversations_older_than(connection, utcnow() - timedelta(days=days))
    return delete_conversations(old, url, include_bookings=False)


def purge_bookings(days: int, url: str | None = None) -> dict[str, int]:
    """Delete handled booking requests untouched for ``days`` days; count unhandled old ones."""
    if days < 1:
        raise ValueError("retention must be at least one day")
    cutoff = utcnow() - timedelta(days=days)
    old = BookingRequest.updated_at < cutoff
    with get_engine(url).begin() as connection:
        deleted = connection.execute(
            delete(BookingRequest).where(old, BookingRequest.status != BookingStatus.new)).rowcount or 0
        kept = connection.execute(
            select(func.count()).select_from(BookingRequest).where(
                old, BookingRequest.status == BookingStatus.new)).scalar_one()
    return {"bookings": deleted, "unhandled_kept": kept}


def main() -> None:
    parser = argparse.ArgumentParser(description="Delete conversations (and handled booking requests) "
                                                 "older than N days.")
    parser.add_argument("--days", type=int,
                        default=int(os.environ.get("RETENTION_DAYS", DEFAULT_RETENTION_DAYS)))
    parser.add_argument("--booking-days", type=int, default=None,
                        help="limit for handled booking requests (default BOOKING_RETENTION_DAYS or --days)")
    args = parser.parse_args()
    booking_days = args.booking_days or int(os.environ.get("BOOKING_RETENTION_DAYS", args.days))
    counts = purge(args.days)
    bookings = purge_bookings(booking_days)
    summary = (f"deleted {counts['conversations']} conversations older than {args.days} days "
               f"({counts['events']} events, {counts['reviews']} reviews, {counts['labels']} labels) "
               f"and {bookings['bookings']} handled booking requests untouched for {booking_days} days "
               f"({bookings['unhandled_kept']} unhandled old requests kept)")
    audit("cli", "purge", detail=summary)
    print(summary)


if __name__ == "__main__":
    main()
