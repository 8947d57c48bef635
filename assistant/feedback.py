"""Visitors' "was this helpful?" on the bot's answers.

The widget shows Yes / No under every answer and sends the click to the web
app (``POST /widget/feedback``) with the conversation's resume token, not its
id: only the browser holding the conversation can rate it (the token is
signed, assistant/chat_sessions.py). A rating is accepted only for an FAQ the
bot did answer in that conversation, so the table holds at most one row per
answered FAQ per conversation, and a second click replaces the first.

Staff see the ratings as conversation flags and filters, beside the answer in
the transcript, and counted per FAQ on the overview: the signal that says
which answers to fix.
"""

from __future__ import annotations

import enum
from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from assistant import chat_sessions
from assistant.conversations import load_conversation
from assistant.store import AnswerFeedback, LabelledExample, get_engine, session


class Outcome(str, enum.Enum):
    saved = "saved"
    invalid = "invalid"  # not a topic id and a true/false rating
    not_yours = "not_yours"  # no valid resume token
    not_answered = "not_answered"  # this conversation got no answer on that FAQ


def record(token: object, topic: object, helpful: object, url: str | None = None) -> Outcome:
    """Store (or replace) one visitor's rating of one answered FAQ."""
    if not isinstance(topic, str) or not 0 < len(topic) <= 64 or not isinstance(helpful, bool):
        return Outcome.invalid
    resumed = chat_sessions.resume(token)
    if resumed is None:
        return Outcome.not_yours
    conversation_id = resumed[0]
    with get_engine(url).connect() as connection:
        conversation = load_conversation(connection, conversation_id)
    if conversation is None or topic not in conversation.topics:
        return Outcome.not_answered
    for _ in range(2):  # a double click can race its own insert once
        try:
            _upsert(conversation_id, topic, helpful, url)
            return Outcome.saved
        except IntegrityError:
            continue
    return Outcome.saved


def _upsert(conversation_id: str, topic: str, helpful: bool, url: str | None) -> None:
    with session(url) as db:
        row = db.execute(select(AnswerFeedback).where(
            AnswerFeedback.conversation_id == conversation_id,
            AnswerFeedback.topic == topic)).scalar_one_or_none()
        if row is None:
            db.add(AnswerFeedback(conversation_id=conversation_id, topic=topic, helpful=helpful))
        else:
            row.helpful = helpful


def counts_per_faq(since: datetime, url: str | None = None) -> dict[str, tuple[int, int]]:
    """FAQ id -> (helpful, not helpful) for ratings given since ``since`` (naive UTC)."""
    with session(url) as db:
        rows = db.execute(select(AnswerFeedback.topic, AnswerFeedback.helpful, func.count())
                          .where(AnswerFeedback.updated_at >= since)
                          .group_by(AnswerFeedback.topic, AnswerFeedback.helpful)).all()
    tally: Counter[tuple[str, bool]] = Counter({(topic, bool(helpful)): n for topic, helpful, n in rows})
    topics = sorted({topic for topic, _ in tally}, key=lambda t: (-tally[(t, False)], -tally[(t, True)], t))
    return {topic: (tally[(topic, True)], tally[(topic, False)]) for topic in topics}


def unhelpful_unlabelled(url: str | None = None) -> list[tuple[str, str]]:
    """(conversation, FAQ) rated not helpful in conversations nobody has labelled yet.

    A "no" says an answer missed, not which FAQ was right, so it is never
    turned into a phrasing by itself: ``make import-labels`` lists these for
    staff to label in the console, and the labels then come in as usual.
    """
    labelled = select(LabelledExample.conversation_id)
    with session(url) as db:
        rows = db.execute(select(AnswerFeedback.conversation_id, AnswerFeedback.topic)
                          .where(AnswerFeedback.helpful.is_(False),
                                 AnswerFeedback.conversation_id.not_in(labelled))
                          .order_by(AnswerFeedback.updated_at.desc())).all()
    return [(row.conversation_id, row.topic) for row in rows]
