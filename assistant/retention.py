"""Deleting conversations: on a visitor's request, and after N days.

A conversation is its events in Rasa's tracker store plus the project's rows
that name it (staff review, labelled examples and, for a per-conversation
deletion, booking requests). Nothing else is touched; tests check that.
The retention purge keeps booking requests: they are the clinic's record of a
request, with their own status, and hold no transcript.
"""

from __future__ import annotations

import argparse
import os
from datetime import timedelta

from sqlalchemy import delete

from assistant.conversations import conversations_older_than, delete_events
from assistant.store import BookingRequest, ConversationReview, LabelledExample, get_engine, utcnow

DEFAULT_RETENTION_DAYS = 365


def delete_conversations(conversation_ids: list[str], url: str | None = None,
                         include_bookings: bool = True) -> dict[str, int]:
    counts = {"conversations": len(conversation_ids), "events": 0, "reviews": 0, "labels": 0, "bookings": 0}
    if not conversation_ids:
        return counts
    with get_engine(url).begin() as connection:
        counts["events"] = delete_events(connection, conversation_ids)
        for key, model in (("reviews", ConversationReview), ("labels", LabelledExample)):
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


def main() -> None:
    parser = argparse.ArgumentParser(description="Delete conversations older than N days.")
    parser.add_argument("--days", type=int,
                        default=int(os.environ.get("RETENTION_DAYS", DEFAULT_RETENTION_DAYS)))
    args = parser.parse_args()
    counts = purge(args.days)
    print(f"deleted {counts['conversations']} conversations older than {args.days} days "
          f"({counts['events']} events, {counts['reviews']} reviews, {counts['labels']} labels)")


if __name__ == "__main__":
    main()
