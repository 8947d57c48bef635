"""Conversations as staff see them, read from Rasa's SQL tracker store.

Transcripts and flags are computed from the ``events`` table. Flags come
from the machine-readable ``custom.kind`` every bot reply carries
(actions/replies.py), not from prose. The console's list and overview read
(and the CSV export) the summaries assistant/summaries.py derives with this
code; the retention job reads the events directly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from assistant.reply_kinds import ReplyKind
from assistant.store import AnswerFeedback, tracker_events

# flag -> the reply kinds that raise it
FLAGS: dict[str, str] = {
    ReplyKind.FALLBACK: "Fallback / low confidence",
    ReplyKind.CLARIFY: "Clarifying question",
    ReplyKind.URGENT: "Urgent (red flag)",
    ReplyKind.CHECKIN: "Distress check-in (988 offered)",
    ReplyKind.BOOKING: "Booking made",
    ReplyKind.HANDOFF: "Handoff asked",
    "error": "Bot error",
    "unhelpful": "Visitor: answer not helpful",
    "helpful": "Visitor: answer helpful",
}
# Set by assistant/recovery.py when a turn failed (no reply, or the circuit breaker).
BOT_ERROR_SLOT = "bot_error"
SYSTEM_SENDERS = {"startup-check", "restart-check"}


def _load(data: str | None) -> dict[str, Any]:
    try:
        value = json.loads(data or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _when(timestamp: float | None) -> datetime | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).replace(tzinfo=None)


@dataclass
class Turn:
    """One visitor message or bot message in a transcript."""

    event_id: int
    speaker: str  # "visitor" or "bot"
    at: datetime | None
    text: str
    intent: str | None = None
    confidence: float | None = None
    predicted_faq: str | None = None
    faq_confidence: float | None = None
    kind: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    buttons: list[dict[str, Any]] = field(default_factory=list)
    # A reply to the booking form (a name, a phone number): not a question to label.
    in_form: bool = False


@dataclass
class Conversation:
    id: str
    started_at: datetime | None
    last_at: datetime | None
    turns: list[Turn]
    errors: list[str] = field(default_factory=list)
    # FAQ id -> the visitor's "was this helpful?" (assistant/feedback.py)
    ratings: dict[str, bool] = field(default_factory=dict)

    @property
    def visitor_turns(self) -> list[Turn]:
        """What the visitor typed: the "visitor messages" every console page and export counts."""
        return [t for t in self.turns if t.speaker == "visitor" and not t.text.startswith("/")]

    @property
    def button_clicks(self) -> int:
        """Buttons the visitor clicked (shown in the transcript, counted apart from messages)."""
        return sum(1 for t in self.turns if t.speaker == "visitor" and t.text.startswith("/"))

    @property
    def first_question(self) -> str:
        visitor = self.visitor_turns
        return visitor[0].text if visitor else ""

    @property
    def topics(self) -> list[str]:
        seen: list[str] = []
        for turn in self.turns:
            topic = turn.custom.get("topic") if turn.kind == ReplyKind.ANSWER else None
            if isinstance(topic, str) and topic not in seen:
                seen.append(topic)
        return seen

    @property
    def flags(self) -> set[str]:
        flags: set[str] = set()
        for turn in self.turns:
            if turn.kind in {ReplyKind.FALLBACK, ReplyKind.CLARIFY, ReplyKind.URGENT, ReplyKind.CHECKIN,
                             ReplyKind.HANDOFF}:
                flags.add(turn.kind)
            if turn.kind == ReplyKind.BOOKING and turn.custom.get("booking_reference"):
                flags.add(ReplyKind.BOOKING)
        if self.errors:
            flags.add("error")
        if False in self.ratings.values():
            flags.add("unhelpful")
        if True in self.ratings.values():
            flags.add("helpful")
        return flags

    @property
    def unanswered(self) -> list[Turn]:
        """Visitor messages followed by a fallback reply."""
        result: list[Turn] = []
        last_visitor: Turn | None = None
        for turn in self.turns:
            if turn.speaker == "visitor":
                last_visitor = turn
            elif turn.kind == ReplyKind.FALLBACK and last_visitor is not None and last_visitor not in result:
                result.append(last_visitor)
        return result

    def mentions(self, needle: str) -> bool:
        needle = needle.casefold()
        return any(needle in t.text.casefold() for t in self.visitor_turns)


def _turn(row: Any) -> Turn | None:
    data = _load(row.data)
    if row.type_name == "user":
        parse = data.get("parse_data") or {}
        intent = parse.get("intent") or {}
        selector = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        faq = selector.get("intent_response_key")
        return Turn(row.id, "visitor", _when(row.timestamp), str(data.get("text") or ""),
                    intent=intent.get("name"), confidence=intent.get("confidence"),
                    predicted_faq=faq.split("/", 1)[1] if isinstance(faq, str) and "/" in faq else None,
                    faq_confidence=selector.get("confidence"))
    if row.type_name == "bot":
        extra = data.get("data") or {}
        custom = extra.get("custom") if isinstance(extra.get("custom"), dict) else {}
        return Turn(row.id, "bot", _when(row.timestamp), str(data.get("text") or ""),
                    kind=custom.get("kind"), custom=custom, buttons=extra.get("buttons") or [])
    return None


def _bot_error(row: Any) -> str | None:
    if row.type_name != "slot":
        return None
    data = _load(row.data)
    value = data.get("value")
    return str(value) if data.get("name") == BOT_ERROR_SLOT and value else None


def _ratings(connection: Connection, conversation_ids: list[str]) -> dict[str, dict[str, bool]]:
    feedback = AnswerFeedback.__table__
    rows = connection.execute(select(feedback.c.conversation_id, feedback.c.topic, feedback.c.helpful)
                              .where(feedback.c.conversation_id.in_(conversation_ids)))
    ratings: dict[str, dict[str, bool]] = {}
    for row in rows:
        ratings.setdefault(row.conversation_id, {})[row.topic] = bool(row.helpful)
    return ratings


def _build(sender_id: str, rows: Iterable[Any], ratings: dict[str, bool] | None = None) -> Conversation:
    turns: list[Turn] = []
    errors: list[str] = []
    first = last = None
    form_open = False
    for row in rows:
        first = first if first is not None else row.timestamp
        last = row.timestamp
        turn = _turn(row)
        if turn is not None:
            if turn.speaker == "bot":
                form_open = turn.kind == ReplyKind.BOOKING and not turn.custom.get("booking_reference")
            else:
                turn.in_form = form_open
            turns.append(turn)
        error = _bot_error(row)
        if error:
            errors.append(error)
    return Conversation(sender_id, _when(first), _when(last), turns, errors, ratings or {})


def load_many(connection: Connection, senders: list[str]) -> list[Conversation]:
    """The conversations of ``senders`` (those with events), in chunks of 500 ids per query."""
    conversations: list[Conversation] = []
    for chunk_start in range(0, len(senders), 500):
        chunk = senders[chunk_start:chunk_start + 500]
        rows = connection.execute(
            select(tracker_events).where(
                tracker_events.c.sender_id.in_(chunk),
                tracker_events.c.type_name.in_(["user", "bot"])
                | ((tracker_events.c.type_name == "slot")
                   & tracker_events.c.data.contains(f'"{BOT_ERROR_SLOT}"')))
            .order_by(tracker_events.c.sender_id, tracker_events.c.id)
        ).all()
        by_sender: dict[str, list[Any]] = {}
        for row in rows:
            by_sender.setdefault(row.sender_id, []).append(row)
        ratings = _ratings(connection, chunk)
        conversations += [_build(sender, by_sender[sender], ratings.get(sender))
                          for sender in chunk if sender in by_sender]
    return conversations


def load_conversation(connection: Connection, conversation_id: str) -> Conversation | None:
    rows = connection.execute(
        select(tracker_events).where(tracker_events.c.sender_id == conversation_id)
        .order_by(tracker_events.c.id)
    ).all()
    if not rows:
        return None
    return _build(conversation_id, rows, _ratings(connection, [conversation_id]).get(conversation_id))


def delete_events(connection: Connection, conversation_ids: list[str]) -> int:
    """Remove conversations from the tracker store; returns the number of events deleted."""
    if not conversation_ids:
        return 0
    query = delete(tracker_events).where(tracker_events.c.sender_id.in_(conversation_ids))
    result = connection.execute(query)
    return result.rowcount or 0


def conversations_older_than(connection: Connection, cutoff: datetime) -> list[str]:
    """Conversations whose latest event is before ``cutoff`` (naive UTC)."""
    last = (select(tracker_events.c.sender_id)
            .group_by(tracker_events.c.sender_id)
            .having(func.max(tracker_events.c.timestamp) < cutoff.replace(tzinfo=timezone.utc).timestamp()))
    return [r.sender_id for r in connection.execute(last)]
