"""Numbers for the staff overview page, computed from the conversations."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from assistant.conversations import Conversation


@dataclass
class Overview:
    days: list[str]
    conversations_per_day: list[int]
    bookings_per_day: list[int]
    answered: int
    fallback: int
    top_topics: list[tuple[str, int]]
    top_unanswered: list[tuple[str, int]]


def overview(conversations: list[Conversation], booking_dates: list[date], today: date,
             days: int = 30) -> Overview:
    """Per-day counts for the last ``days`` days; shares and tops over the same period."""
    first = today - timedelta(days=days - 1)
    labels = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    per_day = Counter(c.started_at.date().isoformat() for c in conversations if c.started_at)
    bookings = Counter(d.isoformat() for d in booking_dates)
    answered = fallback = 0
    topics: Counter[str] = Counter()
    unanswered: Counter[str] = Counter()
    for conversation in conversations:
        for turn in conversation.turns:
            if turn.kind == "answer":
                answered += 1
                topics[str(turn.custom.get("topic"))] += 1
            elif turn.kind == "fallback":
                fallback += 1
        for turn in conversation.unanswered:
            unanswered[" ".join(turn.text.casefold().split())[:200]] += 1
    return Overview(labels, [per_day[d] for d in labels], [bookings[d] for d in labels],
                    answered, fallback, topics.most_common(10), unanswered.most_common(10))
