"""Numbers for the staff overview page: per-day series and tops over the last N days."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from assistant.summaries import Totals


@dataclass
class Overview:
    days: list[str]
    conversations_per_day: list[int]
    bookings_per_day: list[int]
    answered: int
    fallback: int
    top_topics: list[tuple[str, int]]
    top_unanswered: list[tuple[str, int]]


def overview(totals: Totals, booking_dates: list[date], today: date, days: int = 30) -> Overview:
    """Every day of the period gets a value (0 on quiet days), so the chart's axis is even."""
    first = today - timedelta(days=days - 1)
    labels = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    bookings = Counter(d.isoformat() for d in booking_dates)
    return Overview(labels, [totals.per_day.get(d, 0) for d in labels], [bookings[d] for d in labels],
                    totals.answered, totals.fallback, totals.top_topics, totals.top_unanswered)
